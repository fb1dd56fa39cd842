package io.kddm.ipc;

/**
 * Who makes a call: permissions are checked by uid, gid and mode as System V
 * does (uid 0 may do anything); {@code pid} and {@code node} are what
 * IPC_STAT and GETPID report (lspid, lrpid, sempid).
 *
 * @param uid  user id
 * @param gid  group id
 * @param pid  process id on its node
 * @param node the node the caller runs on
 */
public record Caller(int uid, int gid, int pid, int node) {
    public boolean root() {
        return uid == 0;
    }
}
