package io.kddm.kdfs;

/**
 * A regular file opened by {@link Kdfs#open}. Each call is made of kDDM
 * critical sections on the inode and the data pages, so a write completed on one
 * node is seen by every read started afterwards on any node. Closing a handle
 * that wrote has the file written back to its partition at once, on another
 * thread and not forced: the close does not wait for the disk; {@link #fsync}
 * does, and makes it durable.
 */
public interface OpenFile extends AutoCloseable {
    int READ = 1;
    int WRITE = 2;
    /** Every write goes to the end of the file, atomically. */
    int APPEND = 4;
    /** Truncate to zero on open (needs {@link #WRITE}). */
    int TRUNCATE = 8;

    int ino();

    /** Up to {@code length} bytes from {@code offset}; fewer at the end of the file, none past it. Holes read as zeros. */
    byte[] read(long offset, int length);

    /**
     * Writes {@code data} at {@code offset} (at the end with {@link #APPEND}), past
     * the end if need be: the gap is a hole that reads as zeros.
     *
     * @return the offset the data was written at
     */
    long write(long offset, byte[] data);

    /** Writes the file's data and attributes back to its partition, durably. */
    void fsync();

    /**
     * Writes what was written through this open back to the file's store nodes
     * (its home and its replicas), not forced to disk: on return it outlives a
     * crash of this node. What {@code close(2)} through FUSE does (FLUSH). With
     * kDFS's {@code close.waits=false} it only starts the write-back.
     *
     * @throws KdfsException EIO if it could not be written back (it is tried again later)
     */
    void flush();

    /**
     * Releases the file; if it was written, it is written back as by {@link #flush}
     * first (with {@code close.waits=false} the write-back only starts).
     *
     * @throws KdfsException EIO if it could not be written back (the file is closed anyway)
     */
    @Override
    void close();
}
