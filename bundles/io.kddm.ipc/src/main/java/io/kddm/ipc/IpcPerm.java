package io.kddm.ipc;

/**
 * The ownership and permissions of a queue or semaphore set (struct ipc_perm).
 *
 * @param key  its key (IPC_PRIVATE: 0)
 * @param uid  owner's user id
 * @param gid  owner's group id
 * @param cuid creator's user id
 * @param cgid creator's group id
 * @param mode permission bits (0777)
 */
public record IpcPerm(long key, int uid, int gid, int cuid, int cgid, int mode) {
    /** The mode as {@code ipcs} prints it, e.g. {@code 600}. */
    public String octalMode() {
        return Integer.toOctalString(mode);
    }
}
