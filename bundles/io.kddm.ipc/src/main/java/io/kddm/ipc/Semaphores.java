package io.kddm.ipc;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** Cluster-wide System V semaphore sets; the semctl commands are methods of their own. */
@ProviderType
public interface Semaphores {

    /**
     * The semaphore set of {@code key} (see {@link MessageQueues#msgget} for the
     * flags), made of {@code nsems} semaphores at 0 with {@link Ipc#IPC_CREAT};
     * an existing one must have at least {@code nsems} (0: any).
     *
     * @return its semid
     */
    int semget(Caller caller, long key, int nsems, int flags);

    /** A client for semop; close it to apply its undo adjustments (as a process exits). */
    SemClient open(Caller caller);

    /** GETVAL. */
    int getval(Caller caller, int id, int num);

    /** SETVAL: also clears every client's undo adjustment of that semaphore, and wakes waiters. */
    void setval(Caller caller, int id, int num, int value);

    /** GETALL. */
    int[] getall(Caller caller, int id);

    /** SETALL, as SETVAL for each. */
    void setall(Caller caller, int id, int[] values);

    /** GETPID: the pid of the last semop on semaphore {@code num}. */
    int getpid(Caller caller, int id, int num);

    /** GETNCNT: callers waiting for semaphore {@code num} to increase. */
    int getncnt(Caller caller, int id, int num);

    /** GETZCNT: callers waiting for semaphore {@code num} to be zero. */
    int getzcnt(Caller caller, int id, int num);

    /** IPC_STAT. */
    SemInfo stat(Caller caller, int id);

    /** IPC_SET: owner, group and mode. */
    void set(Caller caller, int id, int uid, int gid, int mode);

    /** IPC_RMID: waiting callers fail with EIDRM. */
    void remove(Caller caller, int id);

    /** Every semaphore set of the cluster (as {@code ipcs -s}). */
    List<SemInfo> list();
}
