package io.kddm.ipc;

/**
 * What IPC_STAT tells of a queue (struct msqid_ds), and one line of {@code ipcs -q}.
 *
 * @param id        its msqid
 * @param perm      owner and permissions
 * @param qbytes    the byte limit (msg_qbytes)
 * @param cbytes    bytes queued now
 * @param qnum      messages queued now
 * @param lspid     pid of the last msgsnd (0 if none)
 * @param lrpid     pid of the last msgrcv (0 if none)
 * @param stime     last msgsnd, ms since the epoch (0 if none)
 * @param rtime     last msgrcv, likewise
 * @param ctime     creation or last IPC_SET, likewise
 * @param receivers receivers waiting now, on every node
 * @param senders   senders waiting for room now, on every node
 */
public record QueueInfo(int id, IpcPerm perm, long qbytes, long cbytes, int qnum, int lspid, int lrpid, long stime,
        long rtime, long ctime, int receivers, int senders) {
}
