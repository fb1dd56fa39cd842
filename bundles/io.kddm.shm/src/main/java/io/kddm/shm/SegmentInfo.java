package io.kddm.shm;

/**
 * What IPC_STAT tells of a segment (struct shmid_ds), and one line of {@code ipcs -m}.
 *
 * @param key         its key (0 for IPC_PRIVATE, or once removed: the key is free)
 * @param id          its shmid
 * @param size        bytes
 * @param uid         owner's user id
 * @param gid         owner's group id
 * @param cuid        creator's user id
 * @param cgid        creator's group id
 * @param mode        permission bits (0777)
 * @param attached    attaches in force, on every node (shm_nattch)
 * @param removed     IPC_RMID was asked: it is destroyed at the last detach (SHM_DEST)
 * @param creatorNode the node that created it (shm_cpid: nodes stand for processes here)
 * @param lastNode    the node of the last attach or detach (shm_lpid), 0 if none yet
 * @param attachTime  the last attach, milliseconds since the epoch, 0 if none
 * @param detachTime  the last detach, likewise
 * @param changeTime  the creation or last IPC_SET, likewise
 */
public record SegmentInfo(int key, int id, long size, int uid, int gid, int cuid, int cgid, int mode, int attached,
        boolean removed, int creatorNode, int lastNode, long attachTime, long detachTime, long changeTime) {

    /** The mode as {@code ipcs} prints it, e.g. {@code 600}. */
    public String octalMode() {
        return Integer.toOctalString(mode);
    }
}
