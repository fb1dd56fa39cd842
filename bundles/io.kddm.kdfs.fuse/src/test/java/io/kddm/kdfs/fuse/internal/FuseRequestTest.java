package io.kddm.kdfs.fuse.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.KdfsException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** Requests decoded and replies encoded as {@code <linux/fuse.h>} lays them out; bad requests refused. */
class FuseRequestTest {
    private final Pointer buf = Memory.allocateDirect(Runtime.getSystemRuntime(), 4096, true);

    /** Writes a header and {@code body} as the kernel would; returns the request's length. */
    private int request(int opcode, long unique, long nodeid, byte[] body) {
        int length = FuseProtocol.IN_HEADER + body.length;
        buf.putInt(0, length);
        buf.putInt(4, opcode);
        buf.putLong(8, unique);
        buf.putLong(16, nodeid);
        buf.putInt(24, 1000);
        buf.putInt(28, 100);
        buf.putInt(32, 4242);
        buf.put(FuseProtocol.IN_HEADER, body, 0, body.length);
        return length;
    }

    private static byte[] names(String... names) {
        StringBuilder b = new StringBuilder();
        for (String n : names) {
            b.append(n).append('\0');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRenameCarriesItsTargetFolderAndTwoNames() {
        byte[] names = names("from", "tö");
        byte[] body = new byte[8 + names.length];
        body[0] = 7; // newdir = 7, little-endian
        System.arraycopy(names, 0, body, 8, names.length);
        FuseRequest in = new FuseRequest(buf);
        assertTrue(in.load(request(FuseProtocol.RENAME, 99, 3, body)));
        assertEquals(FuseProtocol.RENAME, in.opcode);
        assertEquals(99, in.unique);
        assertEquals(3, in.nodeid);
        assertEquals(1000, in.uid);
        assertEquals(100, in.gid);
        assertEquals(4242, in.pid);
        assertEquals(7, in.int64(0));
        assertEquals("from", in.name(8));
        assertEquals("tö", in.name(in.after(8)));
    }

    @Test
    void malformedRequestsAreRefusedNotReadPastTheirEnd() {
        FuseRequest in = new FuseRequest(buf);
        int n = request(FuseProtocol.LOOKUP, 1, 1, "abc".getBytes(StandardCharsets.UTF_8)); // no NUL
        assertTrue(in.load(n));
        assertEquals(Errno.EINVAL, assertThrows(KdfsException.class, () -> in.name(0)).errno());
        assertEquals(Errno.EINVAL, assertThrows(KdfsException.class, () -> in.int64(0)).errno(),
                "a 3-byte body holds no 64-bit field");
        assertFalse(in.load(n - 1), "a read shorter than the length its header says");
        assertFalse(in.load(12), "shorter than a header");
        byte[] longName = names("x".repeat(256));
        assertTrue(in.load(request(FuseProtocol.LOOKUP, 1, 1, longName)));
        assertEquals(Errno.ENAMETOOLONG, assertThrows(KdfsException.class, () -> in.name(0)).errno());
        assertEquals(256, in.string(0).length(), "a symbolic link's target is no name: no name limit");
    }

    @Test
    void anEntryReplyIsLaidOutAsTheKernelReadsIt() {
        FuseReply out = new FuseReply(buf);
        out.reset();
        Instant t = Instant.ofEpochSecond(1_700_000_000L, 123_456_789);
        Attr a = new Attr(0x02000009, FileType.REGULAR, 0640, 1000, 100, 5000, 1, t, t, t);
        out.entry((1L << 32) | 0x02000009, a, 1_500_000_000L);
        assertEquals(FuseProtocol.ENTRY_OUT, out.size);
        int length = out.finish(77, 0);
        assertEquals(FuseProtocol.OUT_HEADER + FuseProtocol.ENTRY_OUT, length);
        assertEquals(length, buf.getInt(0));
        assertEquals(0, buf.getInt(4));
        assertEquals(77, buf.getLong(8));
        int e = FuseProtocol.OUT_HEADER;
        assertEquals((1L << 32) | 0x02000009, buf.getLong(e));
        assertEquals(1, buf.getLong(e + 16), "entry_valid seconds");
        assertEquals(500_000_000, buf.getInt(e + 32), "entry_valid_nsec");
        int attr = e + 40;
        assertEquals(0x02000009, buf.getLong(attr), "ino");
        assertEquals(5000, buf.getLong(attr + 8), "size");
        assertEquals(10, buf.getLong(attr + 16), "512-byte blocks");
        assertEquals(1_700_000_000L, buf.getLong(attr + 32), "mtime");
        assertEquals(123_456_789, buf.getInt(attr + 52), "mtimensec");
        assertEquals(0100640, buf.getInt(attr + 60), "mode: type and permissions");
        assertEquals(1000, buf.getInt(attr + 68), "uid");
        assertEquals(FuseProtocol.OUT_HEADER, out.finish(78, -2), "an error carries no body");
        assertEquals(-2, buf.getInt(4));
    }
}
