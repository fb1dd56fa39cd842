package io.kddm.shm;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Cluster-wide System V shared memory, as Kerrighed made it: keys, ids and
 * segments are the same on every node. A segment is one kDDM set with an
 * object per page ({@link #PAGE_SIZE} bytes): a read is a get, a write a grab,
 * so it is page-granular sequentially consistent memory. Every failure of the
 * System V contract is a {@link ShmException} naming its {@link Errno}; a kDDM
 * failure underneath (a node down, a timeout) is the core's own exception.
 */
@ProviderType
public interface SharedMemory {

    /** The key that makes a new segment every time, reachable only by its id. */
    int IPC_PRIVATE = 0;
    /** shmget flag: create the segment if the key has none. */
    int IPC_CREAT = 01000;
    /** shmget flag, with {@link #IPC_CREAT}: fail with EEXIST if the key has one. */
    int IPC_EXCL = 02000;
    /** attach flag: read only (the caller needs read permission only). */
    int SHM_RDONLY = 010000;
    /** Bytes in a page: one kDDM object. An aligned 64-bit word never spans two. */
    int PAGE_SIZE = 4096;

    /**
     * The id of the segment of {@code key}, made if asked. The permission bits
     * of {@code flags} (0777) are the new segment's mode, or, for an existing one,
     * the access asked (checked as ipcperms does). Atomic cluster-wide: of two
     * nodes asking {@code IPC_CREAT|IPC_EXCL} for one key at once, exactly one
     * makes it.
     *
     * @throws ShmException ENOENT (no segment and no IPC_CREAT), EEXIST (IPC_EXCL), EACCES,
     *                      EINVAL (size below 1 or over the limit, or larger than the existing segment),
     *                      ENOSPC (too many segments)
     */
    int shmget(int key, long size, int flags, Caller caller);

    /**
     * Attaches the segment on this node: read-write, or read only with
     * {@link #SHM_RDONLY}. The attach is counted until the view is closed, or
     * until this node leaves the cluster.
     *
     * @throws ShmException EINVAL (no such id), EIDRM (removed, waiting for its last detach), EACCES
     */
    Segment attach(int shmid, int flags, Caller caller);

    /**
     * IPC_STAT (needs read permission); a removed segment still attached answers too.
     *
     * @throws ShmException EINVAL, EACCES
     */
    SegmentInfo stat(int shmid, Caller caller);

    /**
     * IPC_SET: the owner, its group and the permission bits (0777). Only the
     * owner, the creator or root may.
     *
     * @throws ShmException EINVAL, EIDRM, EPERM
     */
    SegmentInfo set(int shmid, int uid, int gid, int mode, Caller caller);

    /**
     * IPC_RMID: the key is free at once, new attaches are refused (EIDRM); the
     * segment and its pages are destroyed at the last detach, at once if none.
     * Only the owner, the creator or root may.
     *
     * @throws ShmException EINVAL, EIDRM (already removed), EPERM
     */
    void remove(int shmid, Caller caller);

    /** Every segment of the cluster, removed ones still attached included, by id (for {@code ipcs}). */
    List<SegmentInfo> segments();
}
