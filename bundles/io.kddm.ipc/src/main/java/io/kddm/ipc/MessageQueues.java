package io.kddm.ipc;

import java.time.Duration;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Cluster-wide System V message queues. Waits (a full queue, no message of the
 * type asked) last at most the timeout given, then fail with EAGAIN; with
 * {@link Ipc#IPC_NOWAIT} they fail at once (EAGAIN for a send, ENOMSG for a
 * receive). A queue removed while a call waits on it makes the call fail with EIDRM.
 */
@ProviderType
public interface MessageQueues {

    /**
     * The queue of {@code key}, made with {@link Ipc#IPC_CREAT} if it does not
     * exist (the low 9 bits of {@code flags} are its mode). {@link Ipc#IPC_PRIVATE}
     * always makes a new one. Of two nodes racing to make one key with
     * {@link Ipc#IPC_EXCL}, exactly one gets it, the other EEXIST.
     *
     * @return its msqid
     */
    int msgget(Caller caller, long key, int flags);

    /** Appends a message of {@code type} (&gt; 0), waiting for room under the queue's byte limit. */
    void msgsnd(Caller caller, int id, long type, byte[] data, int flags, Duration timeout);

    /**
     * Takes a message: {@code msgtyp} 0 the first, &gt; 0 the first of that type
     * (of any other with {@link Ipc#MSG_EXCEPT}), &lt; 0 the first of the lowest type
     * at most {@code -msgtyp}. A message longer than {@code maxSize} fails with
     * E2BIG and stays, unless {@link Ipc#MSG_NOERROR} cuts it.
     */
    Message msgrcv(Caller caller, int id, int maxSize, long msgtyp, int flags, Duration timeout);

    /** IPC_STAT. */
    QueueInfo stat(Caller caller, int id);

    /** IPC_SET: owner, group, mode and byte limit (raising it above {@link Ipc#MSGMNB} needs root). */
    void set(Caller caller, int id, int uid, int gid, int mode, long qbytes);

    /** IPC_RMID: the queue and its messages are gone; waiting callers fail with EIDRM. */
    void remove(Caller caller, int id);

    /** Every queue of the cluster (as {@code ipcs -q}, without permission checks). */
    List<QueueInfo> list();
}
