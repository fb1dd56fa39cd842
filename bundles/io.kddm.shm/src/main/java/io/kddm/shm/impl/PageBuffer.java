package io.kddm.shm.impl;

import io.kddm.shm.Errno;
import io.kddm.shm.PageAccess;
import io.kddm.shm.ShmException;

/**
 * A page's bytes inside one critical section: the object's value, padded with
 * zeros to the page's length (a page never written is empty, and reads as
 * zeros). Words are little-endian.
 */
final class PageBuffer implements PageAccess {
    private final long index;
    private final byte[] bytes;
    private final boolean writable;
    private boolean dirty;

    PageBuffer(long index, byte[] value, int length, boolean writable) {
        this.index = index;
        this.bytes = value.length == length ? value : java.util.Arrays.copyOf(value, length);
        this.writable = writable;
    }

    boolean dirty() {
        return dirty;
    }

    byte[] bytes() {
        return bytes;
    }

    @Override
    public long index() {
        return index;
    }

    @Override
    public int length() {
        return bytes.length;
    }

    private void range(int offset, int length) {
        if (offset < 0 || length < 0 || offset > bytes.length - length) {
            throw new ShmException(Errno.EINVAL, "bytes " + offset + ".." + ((long) offset + length)
                    + " are out of page " + index + " (" + bytes.length + " bytes)");
        }
    }

    private void word(int offset) {
        if ((offset & 7) != 0) {
            throw new ShmException(Errno.EINVAL, "offset " + offset + " of page " + index
                    + " is not 8-byte aligned: a 64-bit word must be");
        }
        range(offset, 8);
    }

    private void writing() {
        if (!writable) {
            throw new ShmException(Errno.EACCES, "page " + index + " is held for reading only");
        }
        dirty = true;
    }

    @Override
    public byte getByte(int offset) {
        range(offset, 1);
        return bytes[offset];
    }

    @Override
    public void putByte(int offset, byte value) {
        range(offset, 1);
        writing();
        bytes[offset] = value;
    }

    @Override
    public long getLong(int offset) {
        word(offset);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (bytes[offset + i] & 0xFF);
        }
        return v;
    }

    @Override
    public void putLong(int offset, long value) {
        word(offset);
        writing();
        for (int i = 0; i < 8; i++) {
            bytes[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    @Override
    public void read(int offset, byte[] into, int at, int length) {
        range(offset, length);
        System.arraycopy(bytes, offset, into, at, length);
    }

    @Override
    public void write(int offset, byte[] from, int at, int length) {
        range(offset, length);
        writing();
        System.arraycopy(from, at, bytes, offset, length);
    }
}
