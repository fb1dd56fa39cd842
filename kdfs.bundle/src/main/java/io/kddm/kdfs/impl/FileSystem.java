package io.kddm.kdfs.impl;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
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
 * The POSIX operations, each made of kDDM critical sections: a directory is
 * changed only under a grab of its inode, read under a get of it; a file's data
 * is written under a grab of its inode and read under a get. Locks are taken top
 * down (a directory before the entries in it); a rename across directories
 * first takes the cluster-wide rename lock, so two of them cannot lock the same
 * two directories in opposite orders, and the tree cannot change shape while a
 * rename checks that a directory does not move into itself (as Linux's
 * {@code s_vfs_rename_mutex}). Atimes are not updated on read (noatime).
 */
final class FileSystem implements Kdfs {
    static final int R = 4;
    static final int W = 2;
    static final int X = 1;
    private static final int MAX_SYMLINKS = 40;
    private static final int SYMLINK_MAX = 4096;
    private static final long MAX_FILE = (long) PageLinker.FILE_PAGE << 24;

    private final Kddm kddm;
    private final Membership membership;
    private final Mount mount;
    private final WriteBack writeBack;
    /** The inode set, opened on first use (it is never destroyed): every operation uses it. */
    private volatile KddmSet inodes;

    FileSystem(Kddm kddm, Membership membership, Mount mount, WriteBack writeBack) {
        this.kddm = kddm;
        this.membership = membership;
        this.mount = mount;
        this.writeBack = writeBack;
    }

    // ---- sets and held inodes

    private KddmSet inodes() {
        KddmSet set = inodes;
        if (set == null) {
            set = kddm.wellKnown(Ino.INODE_SET, InodeLinker.ID);
            inodes = set;
        }
        return set;
    }

    private KddmSet dirPages(int ino) {
        return kddm.wellKnown(Ino.dirSet(ino), PageLinker.DIR);
    }

    private KddmSet filePages(int ino) {
        return kddm.wellKnown(Ino.fileSet(ino), PageLinker.FILE);
    }

    /** An inode in a critical section; {@link #save} publishes its changed metadata on close. */
    private final class Held implements AutoCloseable {
        final int ino;
        final Meta meta;
        private final ObjectHandle handle;
        private boolean saved;

        Held(int ino, ObjectHandle handle) {
            this.ino = ino;
            this.handle = handle;
            Meta m;
            try {
                m = Meta.decode(handle.value(), "inode " + Ino.format(ino));
            } catch (RuntimeException e) {
                handle.close();
                throw e;
            }
            if (m == null) {
                handle.close();
                throw new KdfsException(Errno.ENOENT, "no inode " + Ino.format(ino));
            }
            this.meta = m;
        }

        void save() {
            handle.value(meta.encode());
            saved = true;
        }

        Held requireDir() {
            if (meta.type != FileType.DIRECTORY) {
                handle.close();
                throw new KdfsException(Errno.ENOTDIR, "inode " + Ino.format(ino) + " is not a directory");
            }
            if (meta.nlink == 0) {
                // removed by an rmdir that has not discarded it yet: nothing may be made in it
                handle.close();
                throw new KdfsException(Errno.ENOENT, "directory " + Ino.format(ino) + " was removed");
            }
            return this;
        }

        @Override
        public void close() {
            handle.close();
            if (saved) {
                writeBack.meta(ino);
            }
        }
    }

    private Held grab(int ino) {
        return new Held(checkIno(ino), inodes().grab(Ino.object(ino)));
    }

    private Held read(int ino) {
        return new Held(checkIno(ino), inodes().get(Ino.object(ino)));
    }

    /** An inode id a caller may name: not one of the objects the inode set also holds (allocator, statfs, lock). */
    private static int checkIno(int ino) {
        int local = Ino.local(ino);
        if (Ino.node(ino) < 1 || local < Ino.ROOT_LOCAL || local > Ino.MAX_LOCAL) {
            throw new KdfsException(Errno.ENOENT, "no inode " + Ino.format(ino));
        }
        return ino;
    }

    /** Runs an operation: nothing while unmounted, and kDDM or disk failures as EIO. */
    private <T> T op(Supplier<T> body) {
        if (!mount.mounted()) {
            throw new KdfsException(Errno.EIO, "kDFS is not mounted on node " + mount.node() + " (kdfs:mount)");
        }
        try {
            return body.get();
        } catch (KddmException | UncheckedIOException e) {
            throw new KdfsException(Errno.EIO, e.getMessage(), e);
        }
    }

    private void run(Runnable body) {
        op(() -> {
            body.run();
            return null;
        });
    }

    // ---- checks

    static void access(Caller caller, Meta m, int want) {
        if (caller.root()) {
            if ((want & X) != 0 && m.type != FileType.DIRECTORY && (m.mode & 0111) == 0) {
                throw new KdfsException(Errno.EACCES, "nobody may execute it");
            }
            return;
        }
        int bits;
        if (caller.uid() == m.uid) {
            bits = m.mode >> 6;
        } else if (caller.inGroup(m.gid)) {
            bits = m.mode >> 3;
        } else {
            bits = m.mode;
        }
        if ((bits & want) != want) {
            throw new KdfsException(Errno.EACCES, "permission denied to uid " + caller.uid() + " (mode "
                    + Integer.toOctalString(m.mode) + ", owner " + m.uid + ":" + m.gid + ")");
        }
    }

    /** A name of an entry to make, remove or find: not empty, no '/' or NUL, at most NAME_MAX bytes. */
    static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new KdfsException(Errno.ENOENT, "empty name");
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new KdfsException(Errno.EINVAL, "a name may not contain '/' or NUL: '" + name.replace("\0", "\\0") + "'");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
            throw new KdfsException(Errno.ENAMETOOLONG, "name of " + name.getBytes(StandardCharsets.UTF_8).length
                    + " bytes, over " + NAME_MAX);
        }
    }

    private static boolean dots(String name) {
        return name.equals(".") || name.equals("..");
    }

    private static void owner(Caller caller, Meta m, String what) {
        if (!caller.root() && caller.uid() != m.uid) {
            throw new KdfsException(Errno.EPERM, "only the owner (uid " + m.uid + ") or root may " + what);
        }
    }

    // ---- directory pages (called with the directory's inode held)

    private DirPage readPage(Held dir, int index) {
        try (ObjectHandle h = dirPages(dir.ino).get(Ino.page(dir.ino, index))) {
            return DirPage.decode(h.value(), "page " + index + " of directory " + Ino.format(dir.ino));
        }
    }

    /** Grabs a page and applies {@code change}; stores the page if it says it changed it. */
    private boolean updatePage(Held dir, int index, java.util.function.Predicate<DirPage> change) {
        long object = Ino.page(dir.ino, index);
        boolean changed;
        try (ObjectHandle h = dirPages(dir.ino).grab(object)) {
            DirPage p = DirPage.decode(h.value(), "page " + index + " of directory " + Ino.format(dir.ino));
            changed = change.test(p);
            if (changed) {
                h.value(p.encode());
            }
        }
        if (changed) {
            writeBack.dirPage(dir.ino, object);
        }
        return changed;
    }

    private DirPage.Entry find(Held dir, String name) {
        return readPage(dir, DirPage.bucket(name, dir.meta.buckets)).find(name);
    }

    /** The entry {@code name} of a directory, or ENOENT. */
    private DirPage.Entry entry(Held dir, String name) {
        DirPage.Entry e = find(dir, name);
        if (e == null) {
            throw new KdfsException(Errno.ENOENT, "no '" + name + "' in directory " + Ino.format(dir.ino));
        }
        return e;
    }

    /** Adds an entry (the name is known to be free); doubles the buckets while its page is full. */
    private void addEntry(Held dir, String name, int ino, FileType type) {
        DirPage.Entry e = new DirPage.Entry(name, ino, type, dir.meta.nextCookie++);
        while (!updatePage(dir, DirPage.bucket(name, dir.meta.buckets), p -> p.fits(e) && p.entries.add(e))) {
            split(dir);
        }
    }

    /** Doubles a directory's hash buckets, moving each entry to its new page. */
    private void split(Held dir) {
        int old = dir.meta.buckets;
        if (old >= 1 << 23) {
            throw new KdfsException(Errno.ENOSPC, "directory " + Ino.format(dir.ino) + " is full");
        }
        int buckets = old * 2;
        List<List<DirPage.Entry>> pages = new ArrayList<>();
        for (int i = 0; i < buckets; i++) {
            pages.add(new ArrayList<>());
        }
        for (int i = 0; i < old; i++) {
            for (DirPage.Entry e : readPage(dir, i).entries) {
                pages.get(DirPage.bucket(e.name(), buckets)).add(e);
            }
        }
        for (int i = 0; i < buckets; i++) {
            List<DirPage.Entry> now = pages.get(i);
            updatePage(dir, i, p -> {
                p.entries.clear();
                p.entries.addAll(now);
                return true;
            });
        }
        dir.meta.buckets = buckets;
        dir.meta.size = (long) buckets * DirPage.SIZE;
        dir.save();
    }

    private void removeEntry(Held dir, String name) {
        updatePage(dir, DirPage.bucket(name, dir.meta.buckets), p -> p.remove(name));
    }

    /** The entries after {@code cookie}, in cookie order. */
    private List<DirPage.Entry> entriesAfter(Held dir, long cookie) {
        List<DirPage.Entry> after = new ArrayList<>();
        for (int i = 0; i < dir.meta.buckets; i++) {
            for (DirPage.Entry e : readPage(dir, i).entries) {
                if (e.cookie() > cookie) {
                    after.add(e);
                }
            }
        }
        after.sort(Comparator.comparingLong(DirPage.Entry::cookie));
        return after;
    }

    private boolean empty(Held dir) {
        for (int i = 0; i < dir.meta.buckets; i++) {
            if (!readPage(dir, i).entries.isEmpty()) {
                return false;
            }
        }
        return true;
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
        return op(mount::root);
    }

    @Override
    public Attr resolve(Caller caller, String path) {
        return op(() -> resolve(caller, path, new int[] {0}));
    }

    private Attr resolve(Caller caller, String path, int[] links) {
        if (path == null || !path.startsWith("/")) {
            throw new KdfsException(Errno.EINVAL, "not an absolute path: '" + path + "'");
        }
        Attr at = getattr(mount.root());
        String[] parts = path.split("/");
        // POSIX: "name/" names a directory, so a symbolic link there is followed, and a file is ENOTDIR
        boolean trailingSlash = path.endsWith("/");
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty()) {
                continue;
            }
            Attr next = lookup(caller, at.ino(), parts[i]);
            boolean last = Arrays.stream(parts, i + 1, parts.length).allMatch(String::isEmpty);
            if (next.type() == FileType.SYMLINK && (!last || trailingSlash)) {
                if (++links[0] > MAX_SYMLINKS) {
                    throw new KdfsException(Errno.ELOOP, "too many symbolic links in " + path);
                }
                String target = readlink(next.ino());
                // split() dropped the trailing slash: keep it for what remains
                String rest = String.join("/", Arrays.copyOfRange(parts, i + 1, parts.length))
                        + (trailingSlash ? "/" : "");
                String base = target.startsWith("/") ? target : parentPath(parts, i) + "/" + target;
                return resolve(caller, base + "/" + rest, links);
            }
            at = next;
        }
        if (trailingSlash && !at.isDirectory()) {
            throw new KdfsException(Errno.ENOTDIR, "'" + path + "' ends with '/' but is not a directory");
        }
        return at;
    }

    private static String parentPath(String[] parts, int upTo) {
        return "/" + String.join("/", Arrays.copyOfRange(parts, 0, upTo));
    }

    @Override
    public Attr lookup(Caller caller, int dir, String name) {
        return op(() -> {
            checkName(name);
            int ino;
            try (Held d = read(dir).requireDir()) {
                access(caller, d.meta, X);
                if (name.equals(".")) {
                    return d.meta.attr(dir);
                }
                if (name.equals("..")) {
                    ino = d.meta.parent; // read after the directory is released: locks go top down only
                } else {
                    DirPage.Entry e = entry(d, name);
                    // still holding the directory: a rename over the name cannot discard it meanwhile
                    try (Held c = read(e.ino())) {
                        return c.meta.attr(e.ino());
                    }
                }
            }
            return getattr(ino);
        });
    }

    @Override
    public Attr getattr(int ino) {
        return op(() -> {
            try (Held h = read(ino)) {
                return h.meta.attr(ino);
            }
        });
    }

    @Override
    public Attr setattr(Caller caller, int ino, SetAttr c) {
        return op(() -> {
            try (Held h = grab(ino)) {
                Meta m = h.meta;
                // every check first: a refused part must leave the inode and its data as they were
                if (c.mode() != null) {
                    owner(caller, m, "change the mode");
                }
                if (c.uid() != null && c.uid() != m.uid && !caller.root()) {
                    throw new KdfsException(Errno.EPERM, "only root may change the owner");
                }
                if (c.gid() != null && c.gid() != m.gid && !caller.root()
                        && (caller.uid() != m.uid || !caller.inGroup(c.gid()))) {
                    throw new KdfsException(Errno.EPERM, "only root, or the owner to a group of theirs, may change the group");
                }
                if (c.size() != null) {
                    if (m.type == FileType.DIRECTORY) {
                        throw new KdfsException(Errno.EISDIR, "cannot truncate a directory");
                    }
                    if (m.type != FileType.REGULAR || c.size() < 0) {
                        throw new KdfsException(Errno.EINVAL, "truncate needs a regular file and a size >= 0");
                    }
                    if (c.size() > MAX_FILE) {
                        throw new KdfsException(Errno.EFBIG, "over the largest file, " + MAX_FILE + " bytes");
                    }
                    access(caller, m, W);
                }
                if (c.atime() != null || c.mtime() != null) {
                    owner(caller, m, "set the times");
                }
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
                    truncate(h, c.size(), now);
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

    /** Sets a file's size (its inode held): pages past it become zeros, so a later extension reads zeros. */
    private void truncate(Held file, long size, Instant now) {
        long old = file.meta.size;
        if (size < old) {
            KddmSet pages = filePages(file.ino);
            for (long p = size / PageLinker.FILE_PAGE; p <= (old - 1) / PageLinker.FILE_PAGE; p++) {
                long start = p * PageLinker.FILE_PAGE;
                long object = Ino.page(file.ino, p);
                try (ObjectHandle h = pages.grab(object)) {
                    byte[] bytes = h.value();
                    int keep = (int) Math.max(0, size - start);
                    if (bytes.length > keep) {
                        h.value(PageLinker.trim(Arrays.copyOf(bytes, keep)));
                    }
                }
                writeBack.filePage(file.ino, object);
            }
        }
        file.meta.size = size;
        file.meta.mtime = now;
    }

    @Override
    public Attr create(Caller caller, int dir, String name, int mode) {
        return op(() -> make(caller, dir, name, FileType.REGULAR, mode, null));
    }

    @Override
    public Attr mkdir(Caller caller, int dir, String name, int mode) {
        return op(() -> make(caller, dir, name, FileType.DIRECTORY, mode, null));
    }

    @Override
    public Attr mknod(Caller caller, int dir, String name, FileType type, int mode) {
        if (type != FileType.FIFO) {
            throw new KdfsException(Errno.EINVAL, "mknod makes FIFOs only, not " + type);
        }
        return op(() -> make(caller, dir, name, FileType.FIFO, mode, null));
    }

    @Override
    public Attr symlink(Caller caller, int dir, String name, String target) {
        if (target == null || target.isEmpty() || target.indexOf('\0') >= 0
                || target.getBytes(StandardCharsets.UTF_8).length > SYMLINK_MAX) {
            throw new KdfsException(Errno.EINVAL, "a symbolic link's target is 1.." + SYMLINK_MAX + " bytes, no NUL");
        }
        return op(() -> make(caller, dir, name, FileType.SYMLINK, 0777, target));
    }

    /** Where a new entry goes: this node's partition, or its parent's node if this node is diskless. */
    private int placement(int dir) {
        return mount.partition().isPresent() ? mount.node() : Ino.node(dir);
    }

    /** Ids a node's superblock reserves at once: one durable superblock write per this many creates, or so. */
    static final int RESERVE = 1024;

    /**
     * A fresh local id from node {@code node}'s allocator (an object of the inode
     * set, homed there: next id, end of the range the superblock holds on disk,
     * end of the range asked for). An id is handed out only below the range on
     * disk, so a crash never hands one out twice; the range is extended ahead,
     * while half of it is left, by a store at the home (the allocator's sync
     * writes the superblock).
     */
    private int allocate(int node) {
        long allocator = Ino.object(Ino.of(node, Ino.ALLOCATOR));
        KddmSet set = inodes();
        while (true) {
            int id = -1;
            int target;
            boolean extend;
            try (ObjectHandle h = set.grab(allocator)) {
                byte[] v = h.value();
                if (v.length != 12) {
                    throw new KdfsException(Errno.EIO, "node " + node + " has no kDFS partition to make the entry on");
                }
                ByteBuffer b = ByteBuffer.wrap(v);
                int next = b.getInt();
                int durable = b.getInt();
                target = b.getInt();
                if (next > Ino.MAX_LOCAL) {
                    throw new KdfsException(Errno.ENOSPC, "node " + node + " has handed out every inode id");
                }
                if (target - next <= RESERVE / 2) {
                    target = (int) Math.min((long) next + RESERVE, Ino.MAX_LOCAL + 1L);
                }
                if (next < durable) {
                    id = next++;
                }
                extend = target > durable;
                h.value(ByteBuffer.allocate(12).putInt(next).putInt(durable).putInt(target).array());
            }
            if (extend) {
                set.sync(allocator); // the home writes the superblock: at least this target is on disk now
                try (ObjectHandle h = set.grab(allocator)) {
                    ByteBuffer b = ByteBuffer.wrap(h.value());
                    int next = b.getInt();
                    int durable = Math.max(b.getInt(), target);
                    h.value(ByteBuffer.allocate(12).putInt(next).putInt(durable).putInt(b.getInt()).array());
                }
            }
            if (id >= 0) {
                return Ino.of(node, id);
            }
        }
    }

    private Attr make(Caller caller, int dir, String name, FileType type, int mode, String target) {
        checkName(name);
        if (dots(name)) {
            throw new KdfsException(Errno.EEXIST, "'" + name + "' exists in every directory");
        }
        Meta m;
        int ino;
        try (Held d = grab(dir).requireDir()) {
            access(caller, d.meta, W | X);
            if (find(d, name) != null) {
                throw new KdfsException(Errno.EEXIST, "'" + name + "' exists in directory " + Ino.format(dir));
            }
            ino = allocate(placement(dir));
            Instant now = Instant.now();
            m = Meta.fresh(type, mode, caller.uid(), caller.gid(), dir, now);
            if (target != null) {
                byte[] bytes = target.getBytes(StandardCharsets.UTF_8);
                m.size = bytes.length;
                long page = Ino.page(ino, 0);
                try (ObjectHandle h = filePages(ino).grab(page)) {
                    h.value(bytes);
                }
                writeBack.filePage(ino, page);
            }
            try (ObjectHandle h = inodes().grab(Ino.object(ino))) {
                h.value(m.encode());
            }
            writeBack.meta(ino);
            addEntry(d, name, ino, type);
            if (type == FileType.DIRECTORY) {
                d.meta.nlink++;
            }
            touch(d, now);
        }
        return m.attr(ino);
    }

    @Override
    public void unlink(Caller caller, int dir, String name) {
        run(() -> {
            checkName(name);
            if (dots(name)) {
                throw new KdfsException(Errno.EISDIR, "'" + name + "' is a directory");
            }
            DirPage.Entry e;
            boolean gone;
            try (Held d = grab(dir).requireDir()) {
                access(caller, d.meta, W | X);
                e = entry(d, name);
                if (e.type() == FileType.DIRECTORY) {
                    throw new KdfsException(Errno.EISDIR, "'" + name + "' is a directory (rmdir)");
                }
                Instant now = Instant.now();
                try (Held c = grabIfAny(e.ino())) {
                    gone = dropLink(c, name, now);
                }
                removeEntry(d, name);
                touch(d, now);
            }
            if (gone) {
                discard(e.ino(), e.type());
            }
        });
    }

    /** The inode, or null if a name outlived it (a crash between their write-backs): the name can still go. */
    private Held grabIfAny(int ino) {
        try {
            return grab(ino);
        } catch (KdfsException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
            return null;
        }
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
            if (!empty(c)) {
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

    /**
     * Deletes an inode nothing links to any more: its object (whose removal at
     * home deletes the entry from the partition) and its pages' set. Its id is
     * never handed out again, so a copy of a page some node still holds can
     * never be taken for another file's.
     */
    private void discard(int ino, FileType type) {
        writeBack.forget(ino);
        inodes().remove(Ino.object(ino));
        kddm.destroy(type == FileType.DIRECTORY ? Ino.dirSet(ino) : Ino.fileSet(ino));
    }

    @Override
    public void rmdir(Caller caller, int dir, String name) {
        run(() -> {
            checkName(name);
            if (name.equals(".")) {
                throw new KdfsException(Errno.EINVAL, "cannot remove '.'");
            }
            if (name.equals("..")) {
                throw new KdfsException(Errno.ENOTEMPTY, "'..' is not empty");
            }
            DirPage.Entry e;
            boolean gone;
            try (Held d = grab(dir).requireDir()) {
                access(caller, d.meta, W | X);
                e = entry(d, name);
                if (e.type() != FileType.DIRECTORY) {
                    throw new KdfsException(Errno.ENOTDIR, "'" + name + "' is not a directory");
                }
                Instant now = Instant.now();
                try (Held c = grabIfAny(e.ino())) {
                    gone = dropLink(c, name, now);
                }
                removeEntry(d, name);
                d.meta.nlink--;
                touch(d, now);
            }
            if (gone) {
                discard(e.ino(), FileType.DIRECTORY);
            }
        });
    }

    @Override
    public void rename(Caller caller, int fromDir, String from, int toDir, String to) {
        run(() -> {
            checkName(from);
            checkName(to);
            if (dots(from) || dots(to)) {
                throw new KdfsException(Errno.EINVAL, "cannot rename '.' or '..'");
            }
            if (fromDir == toDir) {
                try (Held d = grab(fromDir).requireDir()) {
                    renameLocked(caller, d, from, d, to, Set.of(), Set.of());
                }
                return;
            }
            try (ObjectHandle lock = inodes().grab(Ino.object(Ino.of(Ino.node(mount.root()), Ino.RENAME_LOCK)))) {
                // With the rename lock no directory moves: the chains up to the root stay as read here,
                // before any directory is locked (walking up while holding one could wait on its parent).
                Set<Integer> aboveSrc = ancestors(fromDir);
                Set<Integer> aboveDst = ancestors(toDir);
                boolean fromFirst = aboveDst.contains(fromDir) || (!aboveSrc.contains(toDir)
                        && Integer.compareUnsigned(fromDir, toDir) < 0);
                try (Held first = grab(fromFirst ? fromDir : toDir).requireDir();
                        Held second = grab(fromFirst ? toDir : fromDir).requireDir()) {
                    renameLocked(caller, fromFirst ? first : second, from, fromFirst ? second : first, to,
                            aboveSrc, aboveDst);
                }
            }
        });
    }

    /** {@code dir} and every directory above it up to the root. */
    private Set<Integer> ancestors(int dir) {
        Set<Integer> chain = new HashSet<>();
        int at = dir;
        while (chain.add(at)) {
            if (chain.size() > 4096) {
                throw new KdfsException(Errno.EIO, "directory " + Ino.format(dir) + " is more than 4096 levels deep");
            }
            at = getattrMeta(at).parent; // the root is its own parent: the loop ends there
        }
        return chain;
    }

    private Meta getattrMeta(int ino) {
        try (Held h = read(ino)) {
            return h.meta;
        }
    }

    /**
     * A rename with both directories held; {@code aboveSrc} and {@code aboveDst}
     * are their chains up to the root when they differ (empty otherwise).
     */
    private void renameLocked(Caller caller, Held src, String from, Held dst, String to, Set<Integer> aboveSrc,
            Set<Integer> aboveDst) {
        access(caller, src.meta, W | X);
        access(caller, dst.meta, W | X);
        DirPage.Entry moving = entry(src, from);
        DirPage.Entry replaced = find(dst, to);
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
        try (Held a = targetFirst ? grabIfAny(replaced.ino()) : grab(moving.ino());
                Held b = targetFirst ? grab(moving.ino()) : replaced == null ? null : grabIfAny(replaced.ino())) {
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
            addEntry(dst, to, moving.ino(), moving.type()); // before the old name goes: never no name
        } else {
            // the same name in the same page: it fits where the replaced entry was
            DirPage.Entry e = new DirPage.Entry(to, moving.ino(), moving.type(), dst.meta.nextCookie++);
            updatePage(dst, DirPage.bucket(to, dst.meta.buckets), p -> p.remove(to) && p.entries.add(e));
        }
        removeEntry(src, from);
        touch(src, now);
        if (dst != src) {
            touch(dst, now);
        }
        if (replacedGone) {
            discard(replaced.ino(), replaced.type());
        }
    }

    @Override
    public Attr link(Caller caller, int ino, int dir, String name) {
        return op(() -> {
            checkName(name);
            if (dots(name)) {
                throw new KdfsException(Errno.EEXIST, "'" + name + "' exists in every directory");
            }
            if (getattr(ino).isDirectory()) { // a directory stays one: checked before anything is locked
                throw new KdfsException(Errno.EPERM, "no hard link to a directory");
            }
            try (Held d = grab(dir).requireDir()) {
                access(caller, d.meta, W | X);
                if (find(d, name) != null) {
                    throw new KdfsException(Errno.EEXIST, "'" + name + "' exists in directory " + Ino.format(dir));
                }
                Attr linked;
                try (Held c = grab(ino)) {
                    if (c.meta.nlink <= 0) { // its last name went: it is about to be discarded
                        throw new KdfsException(Errno.ENOENT, "inode " + Ino.format(ino) + " was removed");
                    }
                    c.meta.nlink++;
                    c.meta.ctime = Instant.now();
                    c.save();
                    linked = c.meta.attr(ino);
                }
                addEntry(d, name, ino, linked.type());
                touch(d, Instant.now());
                return linked;
            }
        });
    }

    @Override
    public String readlink(int ino) {
        return op(() -> {
            try (Held h = read(ino)) {
                if (h.meta.type != FileType.SYMLINK) {
                    throw new KdfsException(Errno.EINVAL, "inode " + Ino.format(ino) + " is not a symbolic link");
                }
                try (ObjectHandle p = filePages(ino).get(Ino.page(ino, 0))) {
                    return new String(Arrays.copyOf(p.value(), (int) h.meta.size), StandardCharsets.UTF_8);
                }
            }
        });
    }

    @Override
    public List<DirEntry> readdir(Caller caller, int dir, long offset, int max) {
        return op(() -> {
            try (Held d = read(dir).requireDir()) {
                access(caller, d.meta, R);
                List<DirEntry> out = new ArrayList<>();
                if (offset < 1 && out.size() < max) {
                    out.add(new DirEntry(".", dir, FileType.DIRECTORY, 1));
                }
                if (offset < 2 && out.size() < max) {
                    out.add(new DirEntry("..", d.meta.parent, FileType.DIRECTORY, 2));
                }
                for (DirPage.Entry e : entriesAfter(d, offset)) {
                    if (out.size() >= max) {
                        break;
                    }
                    out.add(new DirEntry(e.name(), e.ino(), e.type(), e.cookie()));
                }
                return out;
            }
        });
    }

    @Override
    public OpenFile open(Caller caller, int ino, int flags) {
        return op(() -> {
            boolean writes = (flags & (OpenFile.WRITE | OpenFile.APPEND | OpenFile.TRUNCATE)) != 0;
            if ((flags & OpenFile.TRUNCATE) != 0) {
                try (Held h = grab(ino)) {
                    checkOpen(caller, h.meta, flags, writes);
                    if (h.meta.size != 0) {
                        truncate(h, 0, Instant.now());
                        h.meta.ctime = h.meta.mtime;
                        h.save();
                    }
                }
            } else {
                try (Held h = read(ino)) {
                    checkOpen(caller, h.meta, flags, writes);
                }
            }
            return new Opened(ino, flags);
        });
    }

    private static void checkOpen(Caller caller, Meta m, int flags, boolean writes) {
        if (m.type == FileType.DIRECTORY) {
            throw new KdfsException(Errno.EISDIR, "cannot open a directory as a file");
        }
        if (m.type != FileType.REGULAR) {
            throw new KdfsException(Errno.EINVAL, "only regular files can be opened here, not a " + m.type);
        }
        access(caller, m, ((flags & OpenFile.READ) != 0 ? R : 0) | (writes ? W : 0));
    }

    /** An open regular file: reads under a get of the inode, writes under a grab of it. */
    private final class Opened implements OpenFile {
        private final int ino;
        private final int flags;
        private volatile boolean written;
        private volatile boolean closed;

        Opened(int ino, int flags) {
            this.ino = ino;
            this.flags = flags;
        }

        @Override
        public int ino() {
            return ino;
        }

        private void check(int need) {
            if (closed) {
                throw new KdfsException(Errno.EBADF, "file " + Ino.format(ino) + " is closed");
            }
            if ((flags & need) == 0) {
                throw new KdfsException(Errno.EBADF, "file " + Ino.format(ino) + " is not open for "
                        + (need == READ ? "reading" : "writing"));
            }
        }

        @Override
        public byte[] read(long offset, int length) {
            check(READ);
            if (offset < 0 || length < 0) {
                throw new KdfsException(Errno.EINVAL, "negative offset or length");
            }
            return op(() -> {
                try (Held h = FileSystem.this.read(ino)) {
                    long end = Math.min(h.meta.size, offset + length);
                    if (offset >= end) {
                        return new byte[0];
                    }
                    byte[] out = new byte[(int) (end - offset)];
                    KddmSet pages = filePages(ino);
                    long first = offset / PageLinker.FILE_PAGE;
                    long last = (end - 1) / PageLinker.FILE_PAGE;
                    // the pages not here are asked for at once, not one round trip after another
                    for (long p = first + 1; p <= last; p++) {
                        pages.prefetch(Ino.page(ino, p));
                    }
                    for (long p = first; p <= last; p++) {
                        long start = p * PageLinker.FILE_PAGE;
                        try (ObjectHandle page = pages.get(Ino.page(ino, p))) {
                            // only the part asked for is copied; past the page's bytes, out keeps its zeros
                            long from = Math.max(offset, start);
                            long to = Math.min(end, start + PageLinker.FILE_PAGE);
                            page.read((int) (from - start), out, (int) (from - offset), (int) (to - from));
                        }
                    }
                    return out;
                }
            });
        }

        @Override
        public long write(long offset, byte[] data) {
            check(WRITE | APPEND);
            if (offset < 0) {
                throw new KdfsException(Errno.EINVAL, "negative offset");
            }
            return op(() -> {
                try (Held h = grab(ino)) {
                    long at = (flags & APPEND) != 0 ? h.meta.size : offset;
                    if (data.length == 0) {
                        return at; // POSIX: writing nothing changes nothing, not even the size
                    }
                    if (at > MAX_FILE - data.length) {
                        throw new KdfsException(Errno.EFBIG, "over the largest file, " + MAX_FILE + " bytes");
                    }
                    long end = at + data.length;
                    KddmSet pages = filePages(ino);
                    for (long p = at / PageLinker.FILE_PAGE; p <= (end - 1) / PageLinker.FILE_PAGE; p++) {
                        long start = p * PageLinker.FILE_PAGE;
                        long object = Ino.page(ino, p);
                        try (ObjectHandle page = pages.grab(object)) {
                            byte[] bytes = page.value();
                            long from = Math.max(at, start);
                            long to = Math.min(end, start + PageLinker.FILE_PAGE);
                            // value() gave a copy of our own: grow it only if the write goes past it
                            byte[] next = bytes.length >= to - start ? bytes : Arrays.copyOf(bytes, (int) (to - start));
                            System.arraycopy(data, (int) (from - at), next, (int) (from - start), (int) (to - from));
                            page.value(next);
                        }
                        writeBack.filePage(ino, object);
                    }
                    Instant now = Instant.now();
                    h.meta.size = Math.max(h.meta.size, end);
                    h.meta.mtime = now;
                    h.meta.ctime = now;
                    h.save();
                    written = true;
                    return at;
                }
            });
        }

        @Override
        public void fsync() {
            if (closed) {
                throw new KdfsException(Errno.EBADF, "file " + Ino.format(ino) + " is closed");
            }
            FileSystem.this.fsync(ino);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (written) {
                FileSystem.this.fsync(ino);
            }
        }
    }

    @Override
    public void fsync(int ino) {
        run(() -> writeBack.sync(ino, true));
    }

    @Override
    public StatFs statfs() {
        return op(() -> {
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
                    inodes().remove(object);
                    Optional<ObjectHandle> h = inodes().tryGet(object, Duration.ofSeconds(5));
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
