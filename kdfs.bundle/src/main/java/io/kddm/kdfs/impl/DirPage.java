package io.kddm.kdfs.impl;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.kddm.kdfs.FileType;

/**
 * A page of directory entries: an object of a dir set, and a {@link #SIZE}-byte
 * slot of the directory's {@code .content} (page {@code i} at {@code i * SIZE},
 * zero-padded). Names are spread over a directory's pages by a hash of their
 * bytes ({@link #bucket}), so a look-up reads one page. Layout, big-endian:
 * <pre>
 * magic "KDde" | count i32 | count x (cookie i64 | ino i32 | type u8 | name length u16 | name UTF-8)
 * </pre>
 * An empty page is zero bytes (on disk, zeros, which {@link PageLinker} trims away).
 */
final class DirPage {
    static final int SIZE = 8192;
    static final int MAGIC = 0x4B446465;
    /** Cookies 1 and 2 are {@code .} and {@code ..}. */
    static final long FIRST_COOKIE = 3;
    private static final int HEADER = 8;

    record Entry(String name, int ino, FileType type, long cookie) {
        int encodedLength() {
            return 8 + 4 + 1 + 2 + name.getBytes(StandardCharsets.UTF_8).length;
        }
    }

    final List<Entry> entries;

    DirPage(List<Entry> entries) {
        this.entries = entries;
    }

    static int bucket(String name, int buckets) {
        return Integer.remainderUnsigned(hash(name), buckets);
    }

    private static int hash(String name) {
        int h = 0x811C9DC5; // FNV-1a: the same on every JVM, unlike String.hashCode's use in HashMap
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x01000193;
        }
        return h;
    }

    /**
     * Where a name stands in a directory's listing: its bucket hash with the bits
     * reversed (the high 32 bits), then a second hash of the name (the low 31, never
     * below {@link #FIRST_COOKIE}). With power-of-two buckets, bucket {@code b} of
     * {@code 2^k} holds exactly the names whose order's top {@code k} bits are
     * {@code b} reversed, so a split cuts a bucket's range in two halves and leaves
     * every name's place unchanged: a listing resumes from a cookie without reading
     * the pages before it and without losing or repeating an entry, however often
     * the directory split meanwhile (ext4's hash-ordered readdir, in Kerrighed's
     * buckets). Two names share an order once in about 2^63.
     */
    static long order(String name) {
        long high = Integer.reverse(hash(name)) & 0xFFFF_FFFFL;
        int second = 7;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            second = second * 31 + (b & 0xFF);
        }
        long low = FIRST_COOKIE + Integer.remainderUnsigned(second, Integer.MAX_VALUE - (int) FIRST_COOKIE);
        return high << 31 | low;
    }

    /** The bucket, of {@code 2^bits}, whose names come at listing position {@code top} ({@link #order}'s top bits). */
    static int bucketAt(int top, int bits) {
        return bits == 0 ? 0 : Integer.reverse(top) >>> (32 - bits);
    }

    /** The top {@code bits} bits of an order: which bucket of {@code 2^bits} holds it, in listing position. */
    static int topBits(long order, int bits) {
        return bits == 0 ? 0 : (int) ((order >>> 31) >>> (32 - bits));
    }

    Entry find(String name) {
        for (Entry e : entries) {
            if (e.name.equals(name)) {
                return e;
            }
        }
        return null;
    }

    boolean remove(String name) {
        return entries.removeIf(e -> e.name.equals(name));
    }

    int length() {
        int n = entries.isEmpty() ? 0 : HEADER;
        for (Entry e : entries) {
            n += e.encodedLength();
        }
        return n;
    }

    boolean fits(Entry e) {
        return Math.max(length(), HEADER) + e.encodedLength() <= SIZE;
    }

    byte[] encode() {
        if (entries.isEmpty()) {
            return new byte[0];
        }
        ByteBuffer b = ByteBuffer.allocate(length());
        b.putInt(MAGIC).putInt(entries.size());
        for (Entry e : entries) {
            byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
            b.putLong(e.cookie).putInt(e.ino).put((byte) e.type.ordinal()).putShort((short) name.length).put(name);
        }
        return b.array();
    }

    /**
     * The entry {@code name} of an encoded page, or null: what {@code decode(bytes).find(name)}
     * returns, checked alike, without decoding the other entries (a lookup's path).
     */
    static Entry find(byte[] bytes, String name, Object where) {
        return scan(bytes, name.getBytes(StandardCharsets.UTF_8), name, null, where);
    }

    /** Decodes a page (what follows its entries is ignored); {@code where} names it in errors. */
    static DirPage decode(byte[] bytes, Object where) {
        List<Entry> entries = new ArrayList<>();
        scan(bytes, null, null, entries, where);
        return new DirPage(entries);
    }

    /**
     * Reads an encoded page's entries, checking each: returns the one named
     * {@code wanted} (as {@code name}), or, without a name, adds every entry to
     * {@code all} and returns null.
     */
    private static Entry scan(byte[] bytes, byte[] wanted, String name, List<Entry> all, Object where) {
        if (bytes.length == 0) {
            return null;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            if (b.getInt() != MAGIC) {
                throw new CorruptPartitionException(where, "not a kDFS directory page (bad magic)");
            }
            int count = b.getInt();
            if (count < 0 || count > SIZE / 16) {
                throw new CorruptPartitionException(where, "bad entry count " + count);
            }
            for (int i = 0; i < count; i++) {
                long cookie = b.getLong();
                int ino = b.getInt();
                int type = b.get();
                int length = Short.toUnsignedInt(b.getShort());
                if (type < 0 || type >= FileType.values().length || length == 0 || length > 255) {
                    throw new CorruptPartitionException(where, "damaged entry " + i);
                }
                int at = b.position();
                b.position(at + length);
                if (wanted == null) {
                    all.add(new Entry(new String(bytes, at, length, StandardCharsets.UTF_8), ino,
                            FileType.values()[type], cookie));
                } else if (length == wanted.length && Arrays.equals(bytes, at, at + length, wanted, 0, length)) {
                    return new Entry(name, ino, FileType.values()[type], cookie);
                }
            }
            return null;
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new CorruptPartitionException(where, "truncated directory page");
        }
    }
}
