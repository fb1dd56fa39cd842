package io.kddm.shm.impl;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.shm.Errno;
import io.kddm.shm.PageAccess;
import io.kddm.shm.Segment;
import io.kddm.shm.SharedMemory;
import io.kddm.shm.ShmException;

/**
 * A segment attached on this node: its pages' kDDM set, an object per page.
 * Every call on a page is one get (reads) or one grab (writes and atomics) of
 * that page's object: the core's single-writer protocol makes each atomic
 * cluster-wide, and an aligned word lies in one page, so it is never torn.
 */
final class AttachedSegment implements Segment {
    private static final int PAGE = SharedMemory.PAGE_SIZE;

    private final LocalSharedMemory owner;
    private final int id;
    private final KddmSet pages;
    private final long size;
    private final boolean readOnly;
    private final long incarnation;
    private final AtomicBoolean detached = new AtomicBoolean();

    AttachedSegment(LocalSharedMemory owner, int id, KddmSet pages, long size, boolean readOnly, long incarnation) {
        this.owner = owner;
        this.id = id;
        this.pages = pages;
        this.size = size;
        this.readOnly = readOnly;
        this.incarnation = incarnation;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    private void range(long offset, long length) {
        if (detached.get()) {
            throw new ShmException(Errno.EINVAL, "segment " + id + " is detached here");
        }
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new ShmException(Errno.EINVAL, "bytes " + offset + ".." + (offset + length) + " are out of segment "
                    + id + " (" + size + " bytes)");
        }
    }

    private void word(long offset) {
        if ((offset & 7) != 0) {
            throw new ShmException(Errno.EINVAL, "offset " + offset + " is not 8-byte aligned: a 64-bit word must be");
        }
        range(offset, 8);
    }

    private void writing() {
        if (readOnly) {
            throw new ShmException(Errno.EACCES, "segment " + id + " is attached read only (SHM_RDONLY)");
        }
    }

    private int pageLength(long index) {
        return (int) Math.min(PAGE, size - index * PAGE);
    }

    @Override
    public <R> R withPage(long index, boolean writable, PageWork<R> work) {
        Objects.requireNonNull(work);
        if (index < 0 || index * PAGE >= size) {
            throw new ShmException(Errno.EINVAL, "segment " + id + " has no page " + index + " (" + size + " bytes)");
        }
        range(index * PAGE, 0);
        if (writable) {
            writing();
        }
        try (ObjectHandle h = writable ? pages.grab(index) : pages.get(index)) {
            PageBuffer page = new PageBuffer(index, h.value(), pageLength(index), writable);
            R result = work.run(page);
            if (page.dirty()) {
                h.value(page.bytes());
            }
            return result;
        }
    }

    @Override
    public void read(long offset, byte[] into, int at, int length) {
        Objects.checkFromIndexSize(at, length, into.length);
        range(offset, length);
        pages(offset, length, false, (p, in, done, n) -> p.read(in, into, at + done, n));
    }

    @Override
    public void write(long offset, byte[] from, int at, int length) {
        Objects.checkFromIndexSize(at, length, from.length);
        range(offset, length);
        writing();
        pages(offset, length, true, (p, in, done, n) -> p.write(in, from, at + done, n));
    }

    /** One part of a byte range: {@code n} bytes at {@code in} of a page, {@code done} bytes of the range before. */
    private interface Part {
        void run(PageAccess page, int in, int done, int n);
    }

    /** Runs {@code part} on each page the range crosses, one critical section a page. */
    private void pages(long offset, int length, boolean writable, Part part) {
        int done = 0;
        while (done < length) {
            long position = offset + done;
            int in = (int) (position % PAGE);
            int n = Math.min(length - done, PAGE - in);
            int before = done;
            withPage(position / PAGE, writable, p -> {
                part.run(p, in, before, n);
                return null;
            });
            done += n;
        }
    }

    @Override
    public long getLong(long offset) {
        word(offset);
        return withPage(offset / PAGE, false, p -> p.getLong((int) (offset % PAGE)));
    }

    @Override
    public void setLong(long offset, long value) {
        word(offset);
        writing();
        withPage(offset / PAGE, true, p -> {
            p.putLong((int) (offset % PAGE), value);
            return null;
        });
    }

    @Override
    public boolean compareAndSet(long offset, long expected, long update) {
        return compareAndExchange(offset, expected, update) == expected;
    }

    @Override
    public long compareAndExchange(long offset, long expected, long update) {
        word(offset);
        writing();
        int in = (int) (offset % PAGE);
        return withPage(offset / PAGE, true, p -> {
            long found = p.getLong(in);
            if (found == expected) {
                p.putLong(in, update);
            }
            return found;
        });
    }

    @Override
    public long getAndAdd(long offset, long delta) {
        word(offset);
        writing();
        int in = (int) (offset % PAGE);
        return withPage(offset / PAGE, true, p -> {
            long found = p.getLong(in);
            p.putLong(in, found + delta);
            return found;
        });
    }

    @Override
    public void close() {
        if (detached.compareAndSet(false, true)) {
            owner.detach(id, incarnation);
        }
    }

    @Override
    public String toString() {
        return "segment " + id + " (" + size + " bytes" + (readOnly ? ", read only" : "") + ")";
    }
}
