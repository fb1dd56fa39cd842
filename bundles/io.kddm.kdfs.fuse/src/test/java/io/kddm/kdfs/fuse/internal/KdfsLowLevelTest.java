package io.kddm.kdfs.fuse.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;
import io.kddm.kdfs.SetAttr;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** Requests served against a scripted kDFS: what reaches kDFS, and what a refusal leaves behind. */
class KdfsLowLevelTest {
    private static final int ROOT = 0x01000001;
    private static final int FILE = 0x01000005;
    private final Pointer in = Memory.allocateDirect(Runtime.getSystemRuntime(), 4096, true);
    private final Pointer outBuf = Memory.allocateDirect(Runtime.getSystemRuntime(), 4096, true);
    /** Every kDFS call, as "name args". */
    private final List<String> calls = new ArrayList<>();
    private boolean refuseRenames;

    private static Attr file(int ino) {
        return new Attr(ino, FileType.REGULAR, 0644, 1000, 1000, 10, 1, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH);
    }

    private final Kdfs kdfs = (Kdfs) Proxy.newProxyInstance(Kdfs.class.getClassLoader(), new Class<?>[] {Kdfs.class},
            (proxy, method, args) -> {
                String call = method.getName() + (args == null ? "" : " " + java.util.Arrays.deepToString(args));
                calls.add(call);
                return switch (method.getName()) {
                    case "root" -> ROOT;
                    case "lookup" -> file(FILE);
                    case "getattr" -> file((int) args[0]);
                    case "setattr" -> file((int) args[1]);
                    case "rename" -> {
                        if (refuseRenames && "a".equals(args[2])) { // the caller's rename, not the hiding
                            throw new KdfsException(Errno.EACCES, "scripted refusal");
                        }
                        yield null;
                    }
                    case "open" -> openFile();
                    default -> throw new UnsupportedOperationException(method.getName());
                };
            });

    private OpenFile openFile() {
        return (OpenFile) Proxy.newProxyInstance(OpenFile.class.getClassLoader(), new Class<?>[] {OpenFile.class},
                (proxy, method, args) -> method.getName().equals("ino") ? FILE : null);
    }

    private int serve(KdfsLowLevel fs, int opcode, long nodeid, byte[] body) {
        in.putInt(0, FuseProtocol.IN_HEADER + body.length);
        in.putInt(4, opcode);
        in.putLong(8, 1);
        in.putLong(16, nodeid);
        in.putInt(24, 1000);
        in.putInt(28, 1000);
        in.putInt(32, (int) ProcessHandle.current().pid());
        in.put(FuseProtocol.IN_HEADER, body, 0, body.length);
        FuseRequest r = new FuseRequest(in);
        assertTrue(r.load(FuseProtocol.IN_HEADER + body.length));
        FuseReply out = new FuseReply(outBuf);
        out.reset();
        try {
            return fs.serve(r, out);
        } catch (KdfsException e) {
            return -e.errno().code();
        }
    }

    private static byte[] renameBody(String from, String to) {
        byte[] names = (from + "\0" + to + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[8 + names.length];
        body[0] = 1; // newdir: the root's node id
        System.arraycopy(names, 0, body, 8, names.length);
        return body;
    }

    @Test
    void aRefusedRenameOverAFileOpenHereGivesTheFileItsNameBack() {
        KdfsLowLevel fs = new KdfsLowLevel(kdfs, FuseMount.Cache.NONE);
        fs.files().add(openFile()); // FILE is open through the mount
        refuseRenames = true;
        assertEquals(-Errno.EACCES.code(), serve(fs, FuseProtocol.RENAME, 1, renameBody("a", "target")));
        List<String> renames = calls.stream().filter(c -> c.startsWith("rename")).toList();
        assertEquals(3, renames.size(), "hidden, refused, given back: " + renames);
        assertTrue(renames.get(0).contains("target") && renames.get(0).contains(".kdfs_hidden_"), renames.get(0));
        assertTrue(renames.get(2).matches(".*\\.kdfs_hidden_.*, " + ROOT + ", target\\]"), renames.get(2));
        assertNull(fs.files().closed(FILE), "nothing is left to drop at the last close");
    }

    @Test
    void aFileHiddenAfterItsLastCloseIsDroppedAtOnce() {
        OpenFiles files = new OpenFiles();
        assertFalse(files.hide(FILE, new OpenFiles.Hidden(FILE, ROOT, ".kdfs_hidden_x")), "not open: nobody drops it");
        long fh = files.add(openFile());
        assertTrue(files.hide(FILE, new OpenFiles.Hidden(FILE, ROOT, ".kdfs_hidden_y")));
        files.remove(fh);
        assertEquals(".kdfs_hidden_y", files.closed(FILE).name(), "the last close drops it");
    }

    @Test
    void aTruncateSendsTheSizeAndNotTheTimeItImplies() {
        KdfsLowLevel fs = new KdfsLowLevel(kdfs, FuseMount.Cache.NONE);
        byte[] body = new byte[88];
        int valid = FuseProtocol.FATTR_SIZE | FuseProtocol.FATTR_MTIME | FuseProtocol.FATTR_MTIME_NOW;
        java.nio.ByteBuffer.wrap(body).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, valid).putLong(16, 3);
        assertEquals(0, serve(fs, FuseProtocol.SETATTR, (1L << 32) | FILE, body));
        String setattr = calls.stream().filter(c -> c.startsWith("setattr")).findFirst().orElseThrow();
        assertTrue(setattr.contains(new SetAttr(null, null, null, 3L, null, null).toString()),
                "only the size, as truncate(2) by a writer who is not the owner may: " + setattr);
    }
}
