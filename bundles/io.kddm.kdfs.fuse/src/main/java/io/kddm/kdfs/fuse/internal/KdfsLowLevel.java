package io.kddm.kdfs.fuse.internal;

import static io.kddm.kdfs.fuse.internal.FuseProtocol.*;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.DirEntry;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;
import io.kddm.kdfs.SetAttr;
import io.kddm.kdfs.StatFs;

/**
 * kDFS as the kernel's FUSE protocol sees it: requests on node ids, which are
 * kDFS inode ids (the root is FUSE's node 1), mapped one to one onto the kDFS
 * API as the caller of the request (uid, gid, pid's groups) so that kDFS's own
 * permission checks apply on the coherent inode; every {@link KdfsException}
 * becomes its errno. Files opened are kept by the handle the kernel keeps per
 * open ({@link OpenFiles}). An interface linker of kDFS: it uses the exported
 * {@code io.kddm.kdfs} API only.
 */
final class KdfsLowLevel {
    /** What {@link #serve} returns for a request that has no reply (forget, interrupt). */
    static final int NO_REPLY = Integer.MIN_VALUE;
    private static final int O_ACCMODE = 03;
    private static final int O_WRONLY = 01;
    private static final int O_RDWR = 02;
    private static final int O_EXCL = 0200;
    private static final int O_TRUNC = 01000;
    private static final int O_APPEND = 02000;
    private static final int S_IFMT = 0170000;
    private static final int BLOCK = 4096;

    private final Kdfs kdfs;
    private final int root;
    private final FuseMount.Cache cache;
    private final Callers callers = new Callers();
    private final OpenFiles files = new OpenFiles();

    KdfsLowLevel(Kdfs kdfs, FuseMount.Cache cache) {
        this.kdfs = kdfs;
        this.root = kdfs.root();
        this.cache = cache;
    }

    OpenFiles files() {
        return files;
    }

    /** The {@code FUSE_INIT} flags this mount asks for (the kernel grants those it has). */
    int initFlags() {
        int flags = ASYNC_READ | ATOMIC_O_TRUNC | BIG_WRITES | PARALLEL_DIROPS | MAX_PAGES;
        return cache.kernel() ? flags | AUTO_INVAL_DATA : flags;
    }

    private int ino(long nodeid) {
        return nodeid == ROOT_ID ? root : (int) nodeid;
    }

    /** The node id of an inode: never 1 but for the root (an inode id's high bits are its node, never 0). */
    private long nodeid(int ino) {
        return ino == root ? ROOT_ID : (ino & 0xffffffffL) | (1L << 32);
    }

    private Caller caller(FuseRequest in) {
        return callers.of(in.uid & 0xffffffffL, in.gid & 0xffffffffL, in.pid & 0xffffffffL);
    }

    /** Serves one request into {@code out}: 0, minus an errno, or {@link #NO_REPLY}. */
    int serve(FuseRequest in, FuseReply out) {
        int ino = ino(in.nodeid);
        switch (in.opcode) {
            case LOOKUP -> entry(out, kdfs.lookup(caller(in), ino, in.name(0)));
            case FORGET, BATCH_FORGET, INTERRUPT -> {
                return NO_REPLY; // node ids are inode ids: nothing to forget; a request runs to its end
            }
            case GETATTR -> out.attrOut(kdfs.getattr(ino), cache.validNanos());
            case SETATTR -> out.attrOut(setattr(in, ino), cache.validNanos());
            case READLINK -> {
                byte[] target = kdfs.readlink(ino).getBytes(StandardCharsets.UTF_8);
                out.bytes(target, 0, target.length);
            }
            case SYMLINK -> {
                String name = in.name(0);
                entry(out, kdfs.symlink(caller(in), ino, name, in.string(in.after(0))));
            }
            case MKNOD -> entry(out, mknod(in, ino));
            case MKDIR -> entry(out, kdfs.mkdir(caller(in), ino, in.name(8), in.int32(0) & 07777));
            case UNLINK -> unlink(caller(in), ino, in.name(0));
            case RMDIR -> kdfs.rmdir(caller(in), ino, in.name(0));
            case RENAME -> rename(in, ino, in.int64(0), 8);
            case RENAME2 -> {
                if (in.int32(8) != 0) {
                    return -EINVAL; // RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT: not in kDFS
                }
                rename(in, ino, in.int64(0), 16);
            }
            case LINK -> entry(out, kdfs.link(caller(in), ino(in.int64(0)), ino, in.name(8)));
            case OPEN -> out.open(files.add(kdfs.open(caller(in), ino, kdfsFlags(in.int32(0)))), cache.openFlags());
            case CREATE -> create(in, ino, out);
            case READ -> read(in, out);
            case WRITE -> {
                byte[] data = in.bytes(WRITE_IN, in.int32(16));
                files.get(in.int64(0)).write(in.int64(8), data);
                out.int32(data.length).int32(0);
            }
            case STATFS -> statfs(out);
            case RELEASE -> files.release(in.int64(0), this::drop); // FLUSH wrote back already: nothing left
            case FSYNC -> files.get(in.int64(0)).fsync();
            // close(2) waits for FLUSH, not for RELEASE: the write-back that makes a closed file outlive
            // this node is made here (kDFS's close.waits)
            case FLUSH -> files.get(in.int64(0)).flush();
            case OPENDIR -> out.open(0, 0); // a listing goes by kDFS's cookies: nothing to keep per open
            case READDIR -> readdir(in, ino, out);
            case RELEASEDIR -> {
                // nothing kept
            }
            case FSYNCDIR -> kdfs.fsync(ino);
            case ACCESS -> kdfs.access(caller(in), ino, in.int32(0));
            case DESTROY -> {
                // the kernel is done with the mount: the session ends on the next read
            }
            default -> {
                return -ENOSYS; // xattrs, locks, fallocate, ioctl...: the kernel falls back or says EOPNOTSUPP
            }
        }
        return 0;
    }

    private void entry(FuseReply out, Attr a) {
        out.entry(nodeid(a.ino()), a, cache.validNanos());
    }

    private Attr setattr(FuseRequest in, int ino) {
        int valid = in.int32(0);
        Integer mode = (valid & FATTR_MODE) != 0 ? in.int32(68) & 07777 : null;
        Integer uid = (valid & FATTR_UID) != 0 ? in.int32(76) : null;
        Integer gid = (valid & FATTR_GID) != 0 ? in.int32(80) : null;
        Long size = (valid & FATTR_SIZE) != 0 ? in.int64(16) : null;
        Instant atime = time(in, valid, FATTR_ATIME, FATTR_ATIME_NOW, 32, 56);
        // truncate(2) comes with "mtime now": kDFS's truncate sets it itself, and setting times is the owner's
        boolean truncateNow = size != null && (valid & FATTR_MTIME_NOW) != 0;
        Instant mtime = truncateNow ? null : time(in, valid, FATTR_MTIME, FATTR_MTIME_NOW, 40, 60);
        if (mode == null && uid == null && gid == null && size == null && atime == null && mtime == null) {
            return kdfs.getattr(ino); // only what kDFS sets itself (ctime) or keeps nothing of (lock owner)
        }
        return kdfs.setattr(caller(in), ino, new SetAttr(mode, uid, gid, size, atime, mtime));
    }

    private static Instant time(FuseRequest in, int valid, int set, int now, int seconds, int nanos) {
        if ((valid & now) != 0) {
            return Instant.now();
        }
        return (valid & set) != 0 ? Instant.ofEpochSecond(in.int64(seconds), in.int32(nanos) & 0xffffffffL) : null;
    }

    private Attr mknod(FuseRequest in, int dir) {
        int mode = in.int32(0);
        String name = in.name(16);
        int type = mode & S_IFMT;
        if (type == FileType.FIFO.bits()) {
            return kdfs.mknod(caller(in), dir, name, FileType.FIFO, mode & 07777);
        }
        if (type == FileType.REGULAR.bits() || type == 0) {
            return kdfs.create(caller(in), dir, name, mode & 07777);
        }
        throw new KdfsException(Errno.EPERM, "kDFS has no device or socket files");
    }

    private void rename(FuseRequest in, int dir, long newdir, int names) {
        String from = in.name(names);
        String to = in.name(in.after(names));
        Caller c = caller(in);
        int toDir = ino(newdir);
        OpenFiles.Hidden h = hideIfOpen(c, toDir, to); // a file open here that the rename replaces keeps its data
        try {
            kdfs.rename(c, dir, from, toDir, to);
        } catch (KdfsException e) {
            if (h != null) { // refused (permission, a source gone): the target gets its name back
                files.unhide(h.ino());
                kdfs.rename(c, h.dir(), h.name(), toDir, to);
            }
            throw e;
        }
    }

    /**
     * unlink(2). POSIX keeps the data of a file unlinked while open until its
     * last close; kDFS removes an inode whose last name goes. So a file open
     * through this mount is renamed to a hidden name in its folder instead (as
     * libfuse's high-level library does), and unlinked at its last close here.
     * Opens on other nodes are not seen: their reads fail once it is gone.
     */
    private void unlink(Caller c, int dir, String name) {
        if (hideIfOpen(c, dir, name) == null) {
            kdfs.unlink(c, dir, name);
        }
    }

    /** Renames the file {@code name} to a hidden name if it is open here; where it went, or null. */
    private OpenFiles.Hidden hideIfOpen(Caller c, int dir, String name) {
        Attr a;
        try {
            a = kdfs.lookup(c, dir, name);
        } catch (KdfsException e) {
            return null; // nothing there (the operation itself says so), or not searchable (it fails alike)
        }
        if (a.isDirectory() || a.nlink() > 1 || !files.isOpen(a.ino())) {
            return null;
        }
        OpenFiles.Hidden h = new OpenFiles.Hidden(a.ino(), dir, ".kdfs_hidden_" + Integer.toHexString(a.ino()) + "_"
                + Long.toHexString(System.nanoTime()));
        kdfs.rename(c, dir, name, dir, h.name());
        if (!files.hide(a.ino(), h)) {
            drop(h); // its last close came meanwhile: nobody else will
        }
        return h;
    }

    /** The last close of a file unlinked while open: its hidden name goes, and with it the inode. */
    void drop(OpenFiles.Hidden h) {
        try {
            kdfs.unlink(Caller.ROOT, h.dir(), h.name());
        } catch (KdfsException e) {
            // already gone (removed with its folder by another node): nothing left to drop
        }
    }

    private static int kdfsFlags(int flags) {
        int access = flags & O_ACCMODE;
        int k = access == O_WRONLY ? OpenFile.WRITE : access == O_RDWR ? OpenFile.READ | OpenFile.WRITE : OpenFile.READ;
        if ((flags & O_APPEND) != 0) {
            k |= OpenFile.APPEND;
        }
        if ((flags & O_TRUNC) != 0 && (k & OpenFile.WRITE) != 0) {
            k |= OpenFile.TRUNCATE;
        }
        return k;
    }

    private void create(FuseRequest in, int dir, FuseReply out) {
        int flags = in.int32(0);
        String name = in.name(16);
        Caller c = caller(in);
        Attr a;
        Caller opener = c;
        try {
            a = kdfs.create(c, dir, name, in.int32(4) & 07777);
            opener = Caller.ROOT; // POSIX: who creates a file opens it as asked, whatever its mode says
        } catch (KdfsException e) {
            if (e.errno() != Errno.EEXIST || (flags & O_EXCL) != 0) {
                throw e;
            }
            a = kdfs.lookup(c, dir, name); // made meanwhile by another node: O_CREAT without O_EXCL opens it
        }
        long fh = files.add(kdfs.open(opener, a.ino(), kdfsFlags(flags)));
        entry(out, a);
        out.open(fh, cache.openFlags());
    }

    private void read(FuseRequest in, FuseReply out) {
        int size = Math.min(in.int32(16), MAX_WRITE);
        byte[] data = files.get(in.int64(0)).read(in.int64(8), size);
        out.bytes(data, 0, data.length);
    }

    /** {@code fuse_dirent}s from the cookie the kernel passes, as many as its buffer takes. */
    private void readdir(FuseRequest in, int dir, FuseReply out) {
        int room = Math.min(in.int32(16), MAX_WRITE);
        long cookie = in.int64(8);
        Caller c = caller(in);
        while (true) {
            int want = Math.max(16, room / 48); // one kDFS call per buffer for names of ~20 bytes
            List<DirEntry> chunk = kdfs.readdir(c, dir, cookie, want);
            for (DirEntry e : chunk) {
                byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
                int length = (DIRENT + name.length + 7) & ~7;
                if (out.size + length > room) {
                    return; // full: the kernel asks again from the last cookie it took
                }
                out.int64(e.ino() & 0xffffffffL).int64(e.cookie()).int32(name.length).int32(e.type().bits() >>> 12);
                out.bytes(name, 0, name.length).zeros(length - DIRENT - name.length);
                cookie = e.cookie();
            }
            if (chunk.size() < want) {
                return;
            }
        }
    }

    private void statfs(FuseReply out) {
        StatFs s = kdfs.statfs();
        long free = s.freeBytes() / BLOCK;
        out.int64(s.totalBytes() / BLOCK).int64(free).int64(free); // blocks, bfree, bavail
        out.int64(s.inodes() + free).int64(free); // files, ffree: an inode takes a block at most
        out.int32(BLOCK).int32(Kdfs.NAME_MAX).int32(BLOCK).int32(0).zeros(24); // bsize, namelen, frsize, spare
    }
}
