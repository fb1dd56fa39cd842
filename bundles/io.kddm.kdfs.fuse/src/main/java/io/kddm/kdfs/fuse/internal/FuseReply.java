package io.kddm.kdfs.fuse.internal;

import java.time.Instant;

import io.kddm.kdfs.Attr;
import jnr.ffi.Pointer;

/**
 * A reply being written ({@code fuse_out_header} and its body) into a worker's
 * buffer, with the encoders of the structures several replies share: an
 * inode's attributes, an entry, an open file.
 */
final class FuseReply {
    private static final int BLOCK = 4096;
    private final Pointer buf;
    /** Bytes of body written so far. */
    int size;

    FuseReply(Pointer buf) {
        this.buf = buf;
    }

    Pointer buffer() {
        return buf;
    }

    /** Starts an empty reply. */
    void reset() {
        size = 0;
    }

    /** The whole reply's length, once its header is written. */
    int finish(long unique, int error) {
        int length = FuseProtocol.OUT_HEADER + (error == 0 ? size : 0);
        buf.putInt(0, length);
        buf.putInt(4, error);
        buf.putLong(8, unique);
        return length;
    }

    FuseReply int32(int v) {
        buf.putInt(FuseProtocol.OUT_HEADER + size, v);
        size += 4;
        return this;
    }

    FuseReply int16(int v) {
        buf.putShort(FuseProtocol.OUT_HEADER + size, (short) v);
        size += 2;
        return this;
    }

    FuseReply int64(long v) {
        buf.putLong(FuseProtocol.OUT_HEADER + size, v);
        size += 8;
        return this;
    }

    FuseReply bytes(byte[] b, int offset, int n) {
        buf.put(FuseProtocol.OUT_HEADER + size, b, offset, n);
        size += n;
        return this;
    }

    /** {@code n} zero bytes (padding, fields this mount leaves unset). */
    FuseReply zeros(int n) {
        buf.setMemory(FuseProtocol.OUT_HEADER + size, n, (byte) 0);
        size += n;
        return this;
    }

    /** {@code fuse_attr}. */
    FuseReply attr(Attr a) {
        Instant at = a.atime();
        Instant mt = a.mtime();
        Instant ct = a.ctime();
        int64(a.ino() & 0xffffffffL).int64(a.size()).int64((a.size() + 511) / 512);
        int64(at.getEpochSecond()).int64(mt.getEpochSecond()).int64(ct.getEpochSecond());
        int32(at.getNano()).int32(mt.getNano()).int32(ct.getNano());
        int32(a.stMode()).int32(a.nlink()).int32(a.uid()).int32(a.gid());
        return int32(0).int32(BLOCK).int32(0); // rdev, blksize, flags
    }

    /** {@code fuse_entry_out}: the node id the kernel keeps for the name, and both cache timeouts. */
    FuseReply entry(long nodeid, Attr a, long validNanos) {
        int64(nodeid).int64(0); // generation: a node id names one inode while the kernel knows it
        int64(validNanos / 1_000_000_000L).int64(validNanos / 1_000_000_000L);
        int32((int) (validNanos % 1_000_000_000L)).int32((int) (validNanos % 1_000_000_000L));
        return attr(a);
    }

    /** {@code fuse_attr_out}. */
    FuseReply attrOut(Attr a, long validNanos) {
        int64(validNanos / 1_000_000_000L).int32((int) (validNanos % 1_000_000_000L)).int32(0);
        return attr(a);
    }

    /** {@code fuse_open_out}. */
    FuseReply open(long fh, int openFlags) {
        return int64(fh).int32(openFlags).int32(0);
    }
}
