package io.kddm.shm;

/**
 * An attached segment. Offsets are bytes from its start; 64-bit words are
 * little-endian and must be 8-byte aligned (so no word spans two pages, and no
 * word can be torn). Each call on one page is one critical section on it (a get
 * to read, a grab to write), atomic cluster-wide; a range over several pages
 * is done page by page, each page atomically. Closing it is shmdt.
 * Writes to a segment attached read only fail with EACCES; offsets or lengths
 * out of the segment, and unaligned words, with EINVAL.
 */
public interface Segment extends AutoCloseable {

    int id();

    /** Bytes. */
    long size();

    boolean readOnly();

    /** Copies {@code length} bytes from {@code offset} into {@code into} at {@code at}. */
    void read(long offset, byte[] into, int at, int length);

    /** Copies {@code length} bytes of {@code from} at {@code at} to {@code offset}. */
    void write(long offset, byte[] from, int at, int length);

    long getLong(long offset);

    void setLong(long offset, long value);

    /** Sets the word to {@code update} if it is {@code expected}; atomic cluster-wide. */
    boolean compareAndSet(long offset, long expected, long update);

    /** As {@link #compareAndSet}, returning the word found (equal to {@code expected} on success). */
    long compareAndExchange(long offset, long expected, long update);

    /** Adds {@code delta} and returns the word before; atomic cluster-wide. */
    long getAndAdd(long offset, long delta);

    /** Runs {@code work} with page {@code index} held once, read-locked or write-locked. */
    <R> R withPage(long index, boolean writable, PageWork<R> work);

    /** What {@link #withPage} runs. */
    @FunctionalInterface
    interface PageWork<R> {
        R run(PageAccess page);
    }

    /** shmdt: the attach is no longer counted; harmless twice. */
    @Override
    void close();
}
