package io.kddm.kdfs.impl;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.zip.CRC32;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.FileType;

/**
 * An inode's metadata: the object of the inode set and, byte for byte, the
 * entry's {@code .meta} file. Fixed layout, big-endian, closed by a CRC-32:
 * <pre>
 * magic "KDMe" | version u16 | type u8 | 0 | mode i32 | uid i32 | gid i32 | size i64 | nlink i32
 * | atime i64 s, i32 ns | mtime | ctime | stripe count i32 | stripe size i32 | parent i32
 * | buckets i32 | next cookie i64 | crc32 i32
 * </pre>
 * Striping: every file is one stripe on its node's partition, in pages of
 * {@link PageLinker#FILE_PAGE} bytes. {@code parent} and {@code buckets} (hash
 * buckets of entry pages) and {@code next cookie} are a directory's.
 */
final class Meta {
    static final int MAGIC = 0x4B444D65;
    static final int VERSION = 1;
    static final int LENGTH = 4 + 2 + 1 + 1 + 4 * 3 + 8 + 4 + 12 * 3 + 4 + 4 + 4 + 4 + 8 + 4;

    FileType type;
    int mode;
    int uid;
    int gid;
    long size;
    int nlink;
    Instant atime;
    Instant mtime;
    Instant ctime;
    int parent;
    int buckets;
    long nextCookie;

    static Meta fresh(FileType type, int mode, int uid, int gid, int parent, Instant now) {
        Meta m = new Meta();
        m.type = type;
        m.mode = mode & 07777;
        m.uid = uid;
        m.gid = gid;
        m.nlink = type == FileType.DIRECTORY ? 2 : 1;
        m.atime = now;
        m.mtime = now;
        m.ctime = now;
        m.parent = parent;
        m.buckets = type == FileType.DIRECTORY ? 1 : 0;
        m.nextCookie = DirPage.FIRST_COOKIE;
        m.size = type == FileType.DIRECTORY ? DirPage.SIZE : 0;
        return m;
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(LENGTH);
        b.putInt(MAGIC).putShort((short) VERSION).put((byte) type.ordinal()).put((byte) 0);
        b.putInt(mode).putInt(uid).putInt(gid).putLong(size).putInt(nlink);
        for (Instant t : new Instant[] {atime, mtime, ctime}) {
            b.putLong(t.getEpochSecond()).putInt(t.getNano());
        }
        b.putInt(1).putInt(PageLinker.FILE_PAGE).putInt(parent).putInt(buckets).putLong(nextCookie);
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, LENGTH - 4);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** The metadata in {@code bytes}, or null for none (an inode not made, or removed); {@code where} names it in errors. */
    static Meta decode(byte[] bytes, Object where) {
        if (bytes.length == 0) {
            return null;
        }
        if (bytes.length != LENGTH) {
            throw new CorruptPartitionException(where, bytes.length + " bytes, a .meta has " + LENGTH);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt() != MAGIC) {
            throw new CorruptPartitionException(where, "not a kDFS .meta (bad magic)");
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, LENGTH - 4);
        if (b.getInt(LENGTH - 4) != (int) crc.getValue()) {
            throw new CorruptPartitionException(where, "checksum mismatch");
        }
        int version = b.getShort();
        if (version != VERSION) {
            throw new CorruptPartitionException(where, "format version " + version + ", this kDFS reads " + VERSION);
        }
        Meta m = new Meta();
        int type = b.get();
        if (type < 0 || type >= FileType.values().length) {
            throw new CorruptPartitionException(where, "unknown file type " + type);
        }
        m.type = FileType.values()[type];
        b.get();
        m.mode = b.getInt();
        m.uid = b.getInt();
        m.gid = b.getInt();
        m.size = b.getLong();
        m.nlink = b.getInt();
        m.atime = Instant.ofEpochSecond(b.getLong(), b.getInt());
        m.mtime = Instant.ofEpochSecond(b.getLong(), b.getInt());
        m.ctime = Instant.ofEpochSecond(b.getLong(), b.getInt());
        b.getInt(); // stripe count: one stripe per file in this version
        b.getInt(); // stripe size
        m.parent = b.getInt();
        m.buckets = b.getInt();
        m.nextCookie = b.getLong();
        return m;
    }

    Attr attr(int ino) {
        return new Attr(ino, type, mode, uid, gid, size, nlink, atime, mtime, ctime);
    }
}
