package io.kddm.kdfs.impl;

import static io.kddm.kdfs.impl.Permissions.R;
import static io.kddm.kdfs.impl.Permissions.W;
import static io.kddm.kdfs.impl.Permissions.X;
import static io.kddm.kdfs.impl.Permissions.checkName;
import static io.kddm.kdfs.impl.Permissions.checkSetattr;
import static io.kddm.kdfs.impl.Permissions.checkTarget;
import static io.kddm.kdfs.impl.Permissions.dots;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.ObjectHandle;
import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.DirEntry;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.KdfsStats;
import io.kddm.kdfs.OpenFile;
import io.kddm.kdfs.SetAttr;
import io.kddm.kdfs.StatFs;
import io.kddm.kdfs.impl.InodeLocks.Held;

/**
 * The {@link Kdfs} operations of this node. It keeps the namespace operations
 * (create, mkdir, mknod, symlink, link, unlink, rmdir, rename, setattr,
 * readdir, statfs) and builds them of the concepts kept apart: held inodes and
 * the lock order ({@link InodeLocks}), checks ({@link Permissions}), a
 * directory's pages ({@link DirectoryPages}), inode ids ({@link InodeAllocator}),
 * paths ({@link PathResolver}) and file data ({@link FileData}). Every
 * operation runs under {@link Mount#op}. Atimes are not updated on read (noatime).
 */
final class FileSystem implements Kdfs {
    private final Membership membership;
    private final Mount mount;
    private final WriteBack writeBack;
    private final InodeLocks locks;
    private final DirectoryPages dirs;
    private final InodeAllocator ids;
    private final FileData data;
    private final PathResolver paths;
    private final OperationCounts operations = new OperationCounts();

    FileSystem(Kddm kddm, Membership membership, Mount mount, WriteBack writeBack) {
        this.membership = membership;
        this.mount = mount;
        this.writeBack = writeBack;
        this.locks = new InodeLocks(kddm, writeBack);
        this.dirs = new DirectoryPages(kddm, writeBack);
        this.ids = new InodeAllocator(kddm, mount, writeBack, locks);
        this.data = new FileData(kddm, mount, writeBack, locks, operations);
        this.paths = new PathResolver(mount, locks, dirs, data);
    }

    private void count(String operation) {
        operations.count(operation);
    }

    @Override
    public KdfsStats stats() {
        return new KdfsStats(operations.snapshot(), writeBack.dirtyInodes(), writeBack.dirtyPages());
    }

    private static void touch(Held dir, Instant now) {
        dir.meta.mtime = now;
        dir.meta.ctime = now;
        dir.save();
    }

    // ---- Kdfs

    @Override
    public boolean mounted() {
        return mount.mounted();
    }

    @Override
    public Optional<Path> partition() {
        return mount.partition().map(Partition::dir);
    }

    @Override
    public int root() {
        return mount.op(mount::root);
    }

    @Override
    public Attr resolve(Caller caller, String path) {
        count("resolve");
        return mount.op(() -> paths.resolve(caller, path));
    }

    @Override
    public Attr lookup(Caller caller, int dir, String name) {
        count("lookup");
        return mount.op(() -> paths.lookup(caller, dir, name));
    }

    @Override
    public Attr getattr(int ino) {
        count("getattr");
        return mount.op(() -> locks.meta(ino).attr(ino));
    }

    @Override
    public void access(Caller caller, int ino, int mask) {
        count("access");
        mount.op(() -> {
            Permissions.access(caller, locks.meta(ino), mask & (R | W | X));
            return null;
        });
    }

    @Override
    public Attr setattr(Caller caller, int ino, SetAttr c) {
        count("setattr");
        return mount.op(() -> {
            try (Held h = locks.grab(ino)) {
                Meta m = h.meta;
                // every check first: a refused part must leave the inode and its data as they were
                checkSetattr(caller, m, c);
                Instant now = Instant.now();
                if (c.mode() != null) {
                    m.mode = c.mode() & 07777;
                }
                if (c.uid() != null) {
                    m.uid = c.uid();
                }
                if (c.gid() != null) {
                    m.gid = c.gid();
                }
                if (c.size() != null) {
                    data.truncate(h, c.size(), now);
                }
                if (c.atime() != null) {
                    m.atime = c.atime();
                }
                if (c.mtime() != null) {
                    m.mtime = c.mtime();
                }
                m.ctime = now;
                h.save();
                return m.attr(ino);
            }
        });
    }

    @Override
    public Attr create(Caller caller, int dir, String name, int mode) {
        count("create");
        return mount.op(() -> make(caller, dir, name, FileType.REGULAR, mode, null));
    }

    @Override
    public Attr mkdir(Caller caller, int dir, String name, int mode) {
        count("mkdir");
        return mount.op(() -> make(caller, dir, name, FileType.DIRECTORY, mode, null));
    }

    @Override
    public Attr mknod(Caller caller, int dir, String name, FileType type, int mode) {
        count("mknod");
        if (type != FileType.FIFO) {
            throw new KdfsException(Errno.EINVAL, "mknod makes FIFOs only, not " + type);
        }
        return mount.op(() -> make(caller, dir, name, FileType.FIFO, mode, null));
    }

    @Override
    public Attr symlink(Caller caller, int dir, String name, String target) {
        count("symlink");
        checkTarget(target);
        return mount.op(() -> make(caller, dir, name, FileType.SYMLINK, 0777, target));
    }

    private Attr make(Caller caller, int dir, String name, FileType type, int mode, String target) {
        checkName(name);
        if (dots(name)) {
            throw new KdfsException(Errno.EEXIST, "'" + name + "' exists in every directory");
        }
        Meta m;
        int ino;
        try (Held d = locks.grab(dir).requireDir()) {
            Permissions.access(caller, d.meta, W | X);
            if (dirs.find(d, name) != null) {
                throw new KdfsException(Errno.EEXIST, "'" + name + "' exists in directory " + Ino.format(dir));
            }
            ino = ids.allocate(ids.placement(dir));
            Instant now = Instant.now();
            m = Meta.fresh(type, mode, caller.uid(), caller.gid(), dir, now);
            if (target != null) {
                data.writeTarget(ino, m, target);
            }
            try (ObjectHandle h = locks.inodes().grab(Ino.object(ino))) {
                h.value(m.encode());
            }
            writeBack.meta(ino);
            dirs.addEntry(d, name, ino, type);
            if (type == FileType.DIRECTORY) {
                d.meta.nlink++;
            }
            touch(d, now);
        }
        return m.attr(ino);
    }

    @Override
    public void unlink(Caller caller, int dir, String name) {
        count("unlink");
        mount.run(() -> {
            checkName(name);
            if (dots(name)) {
                throw new KdfsException(Errno.EISDIR, "'" + name + "' is a directory");
            }
            DirPage.Entry e;
            boolean gone;
            try (Held d = locks.grab(dir).requireDir()) {
                Permissions.access(caller, d.meta, W | X);
                e = dirs.entry(d, name);
                if (e.type() == FileType.DIRECTORY) {
                    throw new KdfsException(Errno.EISDIR, "'" + name + "' is a directory (rmdir)");
                }
                Instant now = Instant.now();
                try (Held c = locks.grabIfAny(e.ino())) {
                    gone = dropLink(c, name, now);
                }
                dirs.removeEntry(d, name);
                touch(d, now);
            }
            if (gone) {
                ids.discard(e.ino(), e.type());
            }
        });
    }

    /**
     * Takes the link of a name away from its held inode (null: none, nothing to
     * do): a directory must be empty and loses them all. Changes nothing if it
     * throws. Returns whether the inode is now unlinked, to discard.
     */
    private boolean dropLink(Held c, String name, Instant now) {
        if (c == null) {
            return false;
        }
        if (c.meta.type == FileType.DIRECTORY) {
            if (!dirs.empty(c)) {
                throw new KdfsException(Errno.ENOTEMPTY, "directory '" + name + "' is not empty");
            }
            c.meta.nlink = 0;
        } else {
            c.meta.nlink--;
        }
        c.meta.ctime = now;
        c.save();
        return c.meta.nlink <= 0;
    }

    @Override
    public void rmdir(Caller caller, int dir, String name) {
        count("rmdir");
        mount.run(() -> {
            checkName(name);
            if (name.equals(".")) {
                throw new KdfsException(Errno.EINVAL, "cannot remove '.'");
            }
            if (name.equals("..")) {
                throw new KdfsException(Errno.ENOTEMPTY, "'..' is not empty");
            }
            DirPage.Entry e;
            boolean gone;
            try (Held d = locks.grab(dir).requireDir()) {
                Permissions.access(caller, d.meta, W | X);
                e = dirs.entry(d, name);
                if (e.type() != FileType.DIRECTORY) {
                    throw new KdfsException(Errno.ENOTDIR, "'" + name + "' is not a directory");
                }
                Instant now = Instant.now();
                try (Held c = locks.grabIfAny(e.ino())) {
                    gone = dropLink(c, name, now);
                }
                dirs.removeEntry(d, name);
                d.meta.nlink--;
                touch(d, now);
            }
            if (gone) {
                ids.discard(e.ino(), FileType.DIRECTORY);
            }
        });
    }

    @Override
    public void rename(Caller caller, int fromDir, String from, int toDir, String to) {
        count("rename");
        mount.run(() -> {
            checkName(from);
            checkName(to);
            if (dots(from) || dots(to)) {
                throw new KdfsException(Errno.EINVAL, "cannot rename '.' or '..'");
            }
            if (fromDir == toDir) {
                try (Held d = locks.grab(fromDir).requireDir()) {
                    renameLocked(caller, d, from, d, to, Set.of(), Set.of());
                }
                return;
            }
            try (ObjectHandle lock = locks.renameLock(mount.root())) {
                // With the rename lock no directory moves: the chains up to the root stay as read here,
                // before any directory is locked (walking up while holding one could wait on its parent).
                Set<Integer> aboveSrc = paths.ancestors(fromDir);
                Set<Integer> aboveDst = paths.ancestors(toDir);
                boolean fromFirst = aboveDst.contains(fromDir) || (!aboveSrc.contains(toDir)
                        && Integer.compareUnsigned(fromDir, toDir) < 0);
                try (Held first = locks.grab(fromFirst ? fromDir : toDir).requireDir();
                        Held second = locks.grab(fromFirst ? toDir : fromDir).requireDir()) {
                    renameLocked(caller, fromFirst ? first : second, from, fromFirst ? second : first, to,
                            aboveSrc, aboveDst);
                }
            }
        });
    }

    /**
     * A rename with both directories held; {@code aboveSrc} and {@code aboveDst}
     * are their chains up to the root when they differ (empty otherwise).
     */
    private void renameLocked(Caller caller, Held src, String from, Held dst, String to, Set<Integer> aboveSrc,
            Set<Integer> aboveDst) {
        Permissions.access(caller, src.meta, W | X);
        Permissions.access(caller, dst.meta, W | X);
        DirPage.Entry moving = dirs.entry(src, from);
        DirPage.Entry replaced = dirs.find(dst, to);
        boolean isDir = moving.type() == FileType.DIRECTORY;
        if (replaced != null && replaced.ino() == moving.ino()) {
            return; // both names link the same inode: POSIX does nothing
        }
        if (replaced != null && (replaced.ino() == src.ino || aboveSrc.contains(replaced.ino()))) {
            // replacing a directory above the source: it is not empty (and locking it would go upwards)
            throw new KdfsException(Errno.ENOTEMPTY, "'" + to + "' holds '" + from + "'");
        }
        if (isDir && aboveDst.contains(moving.ino())) {
            throw new KdfsException(Errno.EINVAL, "cannot move directory '" + from + "' into its own subtree");
        }
        if (replaced != null && replaced.type() == FileType.DIRECTORY && !isDir) {
            throw new KdfsException(Errno.EISDIR, "'" + to + "' is a directory, '" + from + "' is not");
        }
        if (replaced != null && replaced.type() != FileType.DIRECTORY && isDir) {
            throw new KdfsException(Errno.ENOTDIR, "'" + to + "' is not a directory, '" + from + "' is");
        }
        Instant now = Instant.now();
        boolean replacedGone;
        // Both inodes held (in id order) before either changes: a failure to get one changes nothing.
        boolean targetFirst = replaced != null && Integer.compareUnsigned(replaced.ino(), moving.ino()) < 0;
        try (Held a = targetFirst ? locks.grabIfAny(replaced.ino()) : locks.grab(moving.ino());
                Held b = targetFirst ? locks.grab(moving.ino()) : replaced == null ? null : locks.grabIfAny(replaced.ino())) {
            Held m = targetFirst ? b : a;
            replacedGone = dropLink(targetFirst ? a : b, to, now);
            if (replaced != null && replaced.type() == FileType.DIRECTORY) {
                dst.meta.nlink--;
            }
            if (isDir && src != dst) {
                m.meta.parent = dst.ino;
                src.meta.nlink--;
                dst.meta.nlink++;
            }
            m.meta.ctime = now;
            m.save();
        }
        if (replaced == null) {
            dirs.addEntry(dst, to, moving.ino(), moving.type()); // before the old name goes: never no name
        } else {
            dirs.replaceEntry(dst, to, moving.ino(), moving.type());
        }
        dirs.removeEntry(src, from);
        touch(src, now);
        if (dst != src) {
            touch(dst, now);
        }
        if (replacedGone) {
            ids.discard(replaced.ino(), replaced.type());
        }
    }

    @Override
    public Attr link(Caller caller, int ino, int dir, String name) {
        count("link");
        return mount.op(() -> {
            checkName(name);
            if (dots(name)) {
                throw new KdfsException(Errno.EEXIST, "'" + name + "' exists in every directory");
            }
            if (getattr(ino).isDirectory()) { // a directory stays one: checked before anything is locked
                throw new KdfsException(Errno.EPERM, "no hard link to a directory");
            }
            try (Held d = locks.grab(dir).requireDir()) {
                Permissions.access(caller, d.meta, W | X);
                if (dirs.find(d, name) != null) {
                    throw new KdfsException(Errno.EEXIST, "'" + name + "' exists in directory " + Ino.format(dir));
                }
                Attr linked;
                try (Held c = locks.grab(ino)) {
                    if (c.meta.nlink <= 0) { // its last name went: it is about to be discarded
                        throw new KdfsException(Errno.ENOENT, "inode " + Ino.format(ino) + " was removed");
                    }
                    c.meta.nlink++;
                    c.meta.ctime = Instant.now();
                    c.save();
                    linked = c.meta.attr(ino);
                }
                dirs.addEntry(d, name, ino, linked.type());
                touch(d, Instant.now());
                return linked;
            }
        });
    }

    @Override
    public String readlink(int ino) {
        count("readlink");
        return mount.op(() -> data.readlink(ino));
    }

    /** Directory pages this node read so far (tests: what a listing costs). */
    long dirPagesRead() {
        return dirs.pagesRead();
    }

    @Override
    public List<DirEntry> readdir(Caller caller, int dir, long offset, int max) {
        count("readdir");
        return mount.op(() -> {
            try (Held d = locks.read(dir).requireDir()) {
                Permissions.access(caller, d.meta, R);
                return dirs.list(d, offset, max);
            }
        });
    }

    @Override
    public OpenFile open(Caller caller, int ino, int flags) {
        count("open");
        return mount.op(() -> data.open(caller, ino, flags));
    }

    @Override
    public void fsync(int ino) {
        count("fsync");
        data.fsync(ino);
    }

    @Override
    public StatFs statfs() {
        count("statfs");
        return mount.op(() -> {
            long total = 0;
            long free = 0;
            long inodes = 0;
            List<StatFs.Partition> parts = new ArrayList<>();
            List<Integer> unreachable = new ArrayList<>();
            for (NodeInfo n : membership.nodes()) {
                if (!membership.isUp(n.id())) {
                    continue;
                }
                long object = Ino.object(Ino.of(n.id(), Ino.STATFS));
                try {
                    // Removed first, so the next touch at its home measures the partition now.
                    locks.inodes().remove(object);
                    Optional<ObjectHandle> h = locks.inodes().tryGet(object, Duration.ofSeconds(5));
                    if (h.isEmpty()) {
                        unreachable.add(n.id());
                        continue;
                    }
                    byte[] v;
                    try (ObjectHandle got = h.get()) {
                        v = got.value();
                    }
                    if (v.length == 24) {
                        ByteBuffer b = ByteBuffer.wrap(v);
                        StatFs.Partition p = new StatFs.Partition(n.id(), b.getLong(), b.getLong(), b.getLong());
                        parts.add(p);
                        total += p.totalBytes();
                        free += p.freeBytes();
                        inodes += p.inodes();
                    }
                } catch (KddmException e) {
                    unreachable.add(n.id());
                }
            }
            return new StatFs(total, free, inodes, parts, unreachable);
        });
    }
}
