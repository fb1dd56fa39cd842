package io.kddm.linker.map.internal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The entries of one bucket object, as bytes: a count, then each key and value
 * with its length. An empty object (a bucket never written) has no entries.
 */
final class Bucket {
    record Entry(byte[] key, byte[] value) {
    }

    private final List<Entry> entries;
    private boolean changed;

    private Bucket(List<Entry> entries) {
        this.entries = entries;
    }

    /** @throws IllegalStateException if the bytes are not a bucket; {@code where} names the object */
    static Bucket decode(byte[] bytes, Supplier<String> where) {
        if (bytes.length == 0) {
            return new Bucket(new ArrayList<>());
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int count = b.getInt();
            if (count < 0 || count > bytes.length / 8) {
                throw new IllegalStateException("impossible entry count " + count);
            }
            List<Entry> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                entries.add(new Entry(field(b), field(b)));
            }
            if (b.hasRemaining()) {
                throw new IllegalStateException(b.remaining() + " bytes after the last entry");
            }
            return new Bucket(entries);
        } catch (BufferUnderflowException | IllegalStateException e) {
            throw new IllegalStateException(where.get() + " is not a map bucket: "
                    + (e.getMessage() == null ? "truncated" : e.getMessage()), e);
        }
    }


    private static byte[] field(ByteBuffer b) {
        int length = b.getInt();
        if (length < 0 || length > b.remaining()) {
            throw new IllegalStateException("a field of " + length + " bytes with " + b.remaining() + " left");
        }
        byte[] f = new byte[length];
        b.get(f);
        return f;
    }

    byte[] encode() {
        int size = Integer.BYTES;
        for (Entry e : entries) {
            size += 2 * Integer.BYTES + e.key.length + e.value.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).putInt(entries.size());
        for (Entry e : entries) {
            b.putInt(e.key.length).put(e.key).putInt(e.value.length).put(e.value);
        }
        return b.array();
    }

    /** The value bytes of {@code key}, or null. */
    byte[] get(byte[] key) {
        int i = indexOf(key);
        return i < 0 ? null : entries.get(i).value;
    }

    /** Sets {@code key} to {@code value} (null removes it). */
    void set(byte[] key, byte[] value) {
        int i = indexOf(key);
        if (value == null) {
            if (i >= 0) {
                entries.remove(i);
                changed = true;
            }
        } else if (i < 0) {
            entries.add(new Entry(key, value));
            changed = true;
        } else if (!Arrays.equals(entries.get(i).value, value)) {
            entries.set(i, new Entry(key, value));
            changed = true;
        }
    }

    void clear() {
        changed |= !entries.isEmpty();
        entries.clear();
    }

    int size() {
        return entries.size();
    }

    boolean changed() {
        return changed;
    }

    /** The entries (the bucket is not changed after it is read). */
    List<Entry> entries() {
        return entries;
    }

    private int indexOf(byte[] key) {
        for (int i = 0; i < entries.size(); i++) {
            if (Arrays.equals(entries.get(i).key, key)) {
                return i;
            }
        }
        return -1;
    }
}
