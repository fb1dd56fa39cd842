package io.kddm.kdfs.fuse.internal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import jnr.ffi.Pointer;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * kDFS as FUSE sees it (libfuse2's path-based operations): each call resolves
 * its path through kDFS and maps the kDFS operation one to one, as the caller
 * (uid, gid, groups from the FUSE context) so that kDFS's own permission checks
 * apply on the coherent inode, and every {@link KdfsException} becomes its POSIX
 * errno. Files opened are kept by FUSE's per-open handle ({@link OpenFiles}).
 * An interface linker of kDFS: it uses the exported {@code io.kddm.kdfs} API only.
 */
final class KdfsFuseFs extends FuseStubFS {
    private static final Logger LOG = LoggerFactory.getLogger(KdfsFuseFs.class);
    private static final int O_ACCMODE = 03;
    private static final int O_WRONLY = 01;
    private static final int O_RDWR = 02;
    private static final int O_EXCL = 0200;
    private static final int O_TRUNC = 01000;
    private static final int O_APPEND = 02000;
    private static final int S_IFMT = 0170000;
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;
    private static final int BLOCK = 4096;
    /** Entries asked of kDFS at a time while listing a directory. */
    private static final int READDIR_CHUNK = 256;

    private final Kdfs kdfs;
    private final Callers callers = new Callers();
    private final OpenFiles files = new OpenFiles();

    /** What a FUSE operation does; it may throw {@link KdfsException}. */
    private interface Operation {
        void run();
    }

    KdfsFuseFs(Kdfs kdfs) {
        this.kdfs = kdfs;
    }

    OpenFiles files() {
        return files;
    }

    /** Runs {@code op}: 0, or minus its errno; anything but a kDFS error is logged and is EIO. */
    private static int run(String what, String path, Operation op) {
        try {
            op.run();
            return 0;
        } catch (RuntimeException e) {
            return failed(what, path, e);
        }
    }

    /** Minus the errno of a kDFS error; anything else is logged, and is EIO. */
    private static int failed(String what, String path, RuntimeException e) {
        if (e instanceof KdfsException k) {
            return -k.errno().code();
        }
        LOG.warn("kDFS FUSE {} {} failed", what, path, e);
        return -Errno.EIO.code();
    }

    private Caller caller() {
        FuseContext c = getContext();
        return callers.of(c.uid.get(), c.gid.get(), c.pid.get());
    }

    private Attr attr(Caller caller, String path) {
        return kdfs.resolve(caller, path);
    }

    /** The directory holding the last name of {@code path}. */
    private int parent(Caller caller, String path) {
        int slash = path.lastIndexOf('/');
        return attr(caller, slash <= 0 ? "/" : path.substring(0, slash)).ino();
    }

    private static String name(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.getBytes(StandardCharsets.UTF_8).length > Kdfs.NAME_MAX) {
            throw new KdfsException(Errno.ENAMETOOLONG, name);
        }
        return name;
    }

    static void fill(FileStat st, Attr a) {
        st.st_mode.set(a.stMode());
        st.st_ino.set(a.ino() & 0xffffffffL);
        st.st_nlink.set(a.nlink());
        st.st_uid.set(a.uid());
        st.st_gid.set(a.gid());
        st.st_size.set(a.size());
        st.st_blksize.set(BLOCK);
        st.st_blocks.set((a.size() + 511) / 512);
        time(st.st_atim, a.atime());
        time(st.st_mtim, a.mtime());
        time(st.st_ctim, a.ctime());
    }

    private static void time(Timespec t, Instant i) {
        t.tv_sec.set(i.getEpochSecond());
        t.tv_nsec.set(i.getNano());
    }

    private static Instant time(Timespec t) {
        long nsec = t.tv_nsec.longValue();
        if (nsec == UTIME_OMIT) {
            return null;
        }
        return nsec == UTIME_NOW ? Instant.now() : Instant.ofEpochSecond(t.tv_sec.get(), nsec);
    }

    // ---- attributes ---------------------------------------------------------------------------

    @Override
    public int getattr(String path, FileStat stat) {
        return run("getattr", path, () -> fill(stat, attr(caller(), path)));
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return run("fgetattr", path, () -> fill(stat, kdfs.getattr(files.get(fi.fh.get()).ino())));
    }

    @Override
    public int chmod(String path, long mode) {
        return run("chmod", path, () -> {
            Caller c = caller();
            kdfs.setattr(c, attr(c, path).ino(), SetAttr.chmod((int) mode & 07777));
        });
    }

    @Override
    public int chown(String path, long uid, long gid) {
        return run("chown", path, () -> {
            Caller c = caller();
            Integer u = (int) uid == -1 ? null : (int) uid; // -1: unchanged
            Integer g = (int) gid == -1 ? null : (int) gid;
            kdfs.setattr(c, attr(c, path).ino(), SetAttr.chown(u, g));
        });
    }

    @Override
    public int truncate(String path, long size) {
        return run("truncate", path, () -> {
            Caller c = caller();
            kdfs.setattr(c, attr(c, path).ino(), SetAttr.truncate(size));
        });
    }

    @Override
    public int ftruncate(String path, long size, FuseFileInfo fi) {
        return run("ftruncate", path, () -> kdfs.setattr(caller(), files.get(fi.fh.get()).ino(),
                SetAttr.truncate(size)));
    }

    @Override
    public int utimens(String path, Timespec[] times) {
        return run("utimens", path, () -> {
            Caller c = caller();
            Instant atime = time(times[0]);
            Instant mtime = time(times[1]);
            if (atime != null || mtime != null) {
                kdfs.setattr(c, attr(c, path).ino(), SetAttr.utimens(atime, mtime));
            }
        });
    }

    @Override
    public int access(String path, int mask) {
        return run("access", path, () -> {
            Caller c = caller();
            Access.check(c, attr(c, path), mask);
        });
    }

    @Override
    public int statfs(String path, Statvfs st) {
        return run("statfs", path, () -> {
            StatFs s = kdfs.statfs();
            st.f_bsize.set(BLOCK);
            st.f_frsize.set(BLOCK);
            st.f_blocks.set(s.totalBytes() / BLOCK);
            st.f_bfree.set(s.freeBytes() / BLOCK);
            st.f_bavail.set(s.freeBytes() / BLOCK);
            st.f_files.set(s.inodes() + s.freeBytes() / BLOCK);
            st.f_ffree.set(s.freeBytes() / BLOCK);
            st.f_favail.set(s.freeBytes() / BLOCK);
            st.f_namemax.set(Kdfs.NAME_MAX);
        });
    }

    // ---- the namespace --------------------------------------------------------------------------

    @Override
    public int mknod(String path, long mode, long rdev) {
        return run("mknod", path, () -> {
            Caller c = caller();
            int type = (int) mode & S_IFMT;
            if (type == FileType.FIFO.bits()) {
                kdfs.mknod(c, parent(c, path), name(path), FileType.FIFO, (int) mode & 07777);
            } else if (type == FileType.REGULAR.bits() || type == 0) {
                kdfs.create(c, parent(c, path), name(path), (int) mode & 07777);
            } else {
                throw new KdfsException(Errno.EPERM, "kDFS has no device or socket files");
            }
        });
    }

    @Override
    public int mkdir(String path, long mode) {
        return run("mkdir", path, () -> {
            Caller c = caller();
            kdfs.mkdir(c, parent(c, path), name(path), (int) mode & 07777);
        });
    }

    @Override
    public int unlink(String path) {
        return run("unlink", path, () -> {
            Caller c = caller();
            kdfs.unlink(c, parent(c, path), name(path));
        });
    }

    @Override
    public int rmdir(String path) {
        return run("rmdir", path, () -> {
            Caller c = caller();
            kdfs.rmdir(c, parent(c, path), name(path));
        });
    }

    @Override
    public int symlink(String target, String path) {
        return run("symlink", path, () -> {
            Caller c = caller();
            kdfs.symlink(c, parent(c, path), name(path), target);
        });
    }

    @Override
    public int readlink(String path, Pointer buf, long size) {
        return run("readlink", path, () -> {
            byte[] target = kdfs.readlink(attr(caller(), path).ino()).getBytes(StandardCharsets.UTF_8);
            int n = (int) Math.min(target.length, size - 1); // libfuse2: truncated, NUL-terminated
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
        });
    }

    @Override
    public int rename(String from, String to) {
        return run("rename", from, () -> {
            Caller c = caller();
            kdfs.rename(c, parent(c, from), name(from), parent(c, to), name(to));
        });
    }

    @Override
    public int link(String existing, String path) {
        return run("link", path, () -> {
            Caller c = caller();
            kdfs.link(c, attr(c, existing).ino(), parent(c, path), name(path));
        });
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
        return run("readdir", path, () -> {
            Caller c = caller();
            int dir = attr(c, path).ino();
            long cookie = offset;
            while (true) {
                List<DirEntry> chunk = kdfs.readdir(c, dir, cookie, READDIR_CHUNK);
                for (DirEntry e : chunk) {
                    if (filler.apply(buf, e.name(), null, e.cookie()) != 0) {
                        return; // FUSE's buffer is full: it asks again from the last cookie it took
                    }
                    cookie = e.cookie();
                }
                if (chunk.size() < READDIR_CHUNK) {
                    return;
                }
            }
        });
    }

    // ---- file data ------------------------------------------------------------------------------

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

    @Override
    public int open(String path, FuseFileInfo fi) {
        return run("open", path, () -> {
            Caller c = caller();
            OpenFile f = kdfs.open(c, attr(c, path).ino(), kdfsFlags(fi.flags.get()));
            fi.fh.set(files.add(f));
        });
    }

    @Override
    public int create(String path, long mode, FuseFileInfo fi) {
        return run("create", path, () -> {
            Caller c = caller();
            int flags = fi.flags.get();
            Attr a;
            Caller opener = c;
            try {
                a = kdfs.create(c, parent(c, path), name(path), (int) mode & 07777);
                opener = Caller.ROOT; // POSIX: who creates a file opens it as asked, whatever its mode says
            } catch (KdfsException e) {
                if (e.errno() != Errno.EEXIST || (flags & O_EXCL) != 0) {
                    throw e;
                }
                a = attr(c, path); // made meanwhile by another node: O_CREAT without O_EXCL opens it
            }
            fi.fh.set(files.add(kdfs.open(opener, a.ino(), kdfsFlags(flags))));
        });
    }

    @Override
    public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        try {
            byte[] data = files.get(fi.fh.get()).read(offset, (int) Math.min(size, Integer.MAX_VALUE));
            buf.put(0, data, 0, data.length);
            return data.length;
        } catch (RuntimeException e) {
            return failed("read", path, e);
        }
    }

    @Override
    public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        try {
            byte[] data = new byte[(int) size];
            buf.get(0, data, 0, data.length);
            files.get(fi.fh.get()).write(offset, data);
            return data.length;
        } catch (RuntimeException e) {
            return failed("write", path, e);
        }
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return 0; // close(2) asks no durability; release writes back what this open wrote
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return run("fsync", path, () -> files.get(fi.fh.get()).fsync());
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return run("release", path, () -> {
            OpenFile f = files.remove(fi.fh.get());
            if (f != null) {
                f.close();
            }
        });
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        return run("fsyncdir", path, () -> kdfs.fsync(attr(caller(), path).ino()));
    }
}
