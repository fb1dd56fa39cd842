package io.kddm.ipc;

/**
 * What IPC_STAT tells of a semaphore set (struct semid_ds), and one line of {@code ipcs -s}.
 *
 * @param id      its semid
 * @param perm    owner and permissions
 * @param nsems   semaphores in the set
 * @param otime   last semop, ms since the epoch (0 if none)
 * @param ctime   creation or last change by semctl, likewise
 * @param waiters semop calls waiting now, on every node
 * @param undos   clients holding undo adjustments on it
 */
public record SemInfo(int id, IpcPerm perm, int nsems, long otime, long ctime, int waiters, int undos) {
}
