package io.kddm.kdfs.fuse.internal;

import java.nio.charset.StandardCharsets;

import io.kddm.kdfs.Errno;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import jnr.ffi.Pointer;

/**
 * One request read from {@code /dev/fuse}, decoded in place: the header
 * ({@code fuse_in_header}) and accessors for the body that follows it. A
 * worker reuses one for all its requests.
 */
final class FuseRequest {
    private final Pointer buf;
    private final byte[] scratch = new byte[Kdfs.NAME_MAX * 4 + 1];
    int length;
    int opcode;
    long unique;
    long nodeid;
    int uid;
    int gid;
    int pid;

    FuseRequest(Pointer buf) {
        this.buf = buf;
    }

    Pointer buffer() {
        return buf;
    }

    /** Decodes the header of the {@code n} bytes just read; false if they are no whole request. */
    boolean load(int n) {
        if (n < FuseProtocol.IN_HEADER) {
            return false;
        }
        length = buf.getInt(0);
        opcode = buf.getInt(4);
        unique = buf.getLong(8);
        nodeid = buf.getLong(16);
        uid = buf.getInt(24);
        gid = buf.getInt(28);
        pid = buf.getInt(32);
        return length == n;
    }

    /** The body's 32-bit field at {@code offset}. */
    int int32(int offset) {
        return buf.getInt(within(offset, 4));
    }

    long int64(int offset) {
        return buf.getLong(within(offset, 8));
    }

    /** Where a field of the body is in the buffer; EINVAL if the request is too short to hold it. */
    private int within(int offset, int size) {
        int at = FuseProtocol.IN_HEADER + offset;
        if (at + size > length) {
            throw new KdfsException(Errno.EINVAL, "a request of " + length + " bytes has no field at " + offset);
        }
        return at;
    }

    /** The body's bytes from {@code offset} on, {@code n} of them. */
    byte[] bytes(int offset, int n) {
        if (FuseProtocol.IN_HEADER + offset + n > length) {
            throw new KdfsException(Errno.EINVAL, "a request shorter than its data");
        }
        byte[] b = new byte[n];
        buf.get(FuseProtocol.IN_HEADER + offset, b, 0, n);
        return b;
    }

    /** The NUL-terminated name at {@code offset} of the body; ENAMETOOLONG past kDFS's limit. */
    String name(int offset) {
        return string(offset, true);
    }

    /** The NUL-terminated string at {@code offset} of the body (a symbolic link's target: no name limit). */
    String string(int offset) {
        return string(offset, false);
    }

    /** Where the string at {@code offset} ends: the offset just past its NUL. */
    int after(int offset) {
        int at = FuseProtocol.IN_HEADER + offset;
        while (at < length && buf.getByte(at) != 0) {
            at++;
        }
        return at + 1 - FuseProtocol.IN_HEADER;
    }

    private String string(int offset, boolean isName) {
        int start = FuseProtocol.IN_HEADER + offset;
        int end = FuseProtocol.IN_HEADER + after(offset) - 1;
        if (end >= length || end < start) { // no NUL inside the request
            throw new KdfsException(Errno.EINVAL, "a request whose name has no end");
        }
        int n = end - start;
        if (isName && n > Kdfs.NAME_MAX) {
            throw new KdfsException(Errno.ENAMETOOLONG, "a name of " + n + " bytes");
        }
        byte[] b = n <= scratch.length ? scratch : new byte[n];
        buf.get(start, b, 0, n);
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
