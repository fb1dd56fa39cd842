package io.kddm.shm;

/**
 * One page of a segment held in one critical section ({@link Segment#withPage}):
 * any number of reads, and writes if it was taken writable, for the price of
 * one get or grab. Offsets are within the page. Valid only inside the call.
 */
public interface PageAccess {

    /** The page's index in the segment. */
    long index();

    /** Bytes of the segment in this page (the page size, less on the last page). */
    int length();

    byte getByte(int offset);

    void putByte(int offset, byte value);

    /** The 64-bit word at {@code offset} (8-byte aligned), little-endian. */
    long getLong(int offset);

    void putLong(int offset, long value);

    void read(int offset, byte[] into, int at, int length);

    void write(int offset, byte[] from, int at, int length);
}
