package io.kddm.impl.core;

import java.util.Arrays;

import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.ObjectTooLargeException;

/** A get or grab in progress; closing it is put. Meant for the thread that made it. */
final class Handle implements ObjectHandle {
    final Coherence coherence;
    final SetState set;
    final ObjectEntry entry;
    final boolean write;
    private final int maxSize;
    private final byte[] granted;
    boolean changed;
    byte[] newValue;
    private boolean closed;

    Handle(Coherence coherence, SetState set, ObjectEntry entry, boolean write, int maxSize, byte[] granted) {
        this.coherence = coherence;
        this.set = set;
        this.entry = entry;
        this.write = write;
        this.maxSize = maxSize;
        this.granted = granted;
    }

    @Override
    public long setId() {
        return set.id;
    }

    @Override
    public long objectId() {
        return entry.objectId;
    }

    @Override
    public boolean writable() {
        return write;
    }

    /** The bytes as this handle sees them, not copied (for the core's own use). */
    byte[] current() {
        return changed ? newValue : granted;
    }

    /** The version of {@link #current()} while it is unchanged: the entry's, which the handle holds still. */
    Version version() {
        synchronized (entry) {
            return entry.version;
        }
    }

    @Override
    public byte[] value() {
        checkOpen();
        byte[] v = current();
        return Arrays.copyOf(v, v.length);
    }

    @Override
    public int read(int offset, byte[] into, int at, int length) {
        checkOpen();
        byte[] v = current();
        if (offset < 0 || length < 0) {
            throw new IndexOutOfBoundsException("offset " + offset + ", length " + length);
        }
        int n = Math.max(0, Math.min(length, v.length - offset));
        if (n > 0) { // an offset past the end copies nothing (arraycopy would refuse it)
            System.arraycopy(v, offset, into, at, n);
        }
        return n;
    }

    @Override
    public void value(byte[] bytes) {
        checkOpen();
        if (!write) {
            throw new IllegalStateException("object " + entry.objectId + " is held by get: grab it to write");
        }
        if (bytes.length > maxSize) {
            throw new ObjectTooLargeException(bytes.length + " bytes exceed the family's limit of " + maxSize);
        }
        newValue = Arrays.copyOf(bytes, bytes.length);
        changed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("object " + entry.objectId + " was already put");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            coherence.release(this);
        }
    }
}
