package io.kddm.kdfs.impl;

import static io.kddm.kdfs.Errno.EEXIST;
import static io.kddm.kdfs.Errno.EINVAL;
import static io.kddm.kdfs.Errno.EISDIR;
import static io.kddm.kdfs.Errno.ELOOP;
import static io.kddm.kdfs.Errno.ENAMETOOLONG;
import static io.kddm.kdfs.Errno.ENOENT;
import static io.kddm.kdfs.Errno.ENOTDIR;
import static io.kddm.kdfs.Errno.ENOTEMPTY;
import static io.kddm.kdfs.Errno.EPERM;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;

/**
 * An in-memory POSIX file system, the reference {@link ModelTest} checks kDFS
 * against: a tree of directories, inodes with link counts, files as byte arrays.
 * <p>
 * Operations take absolute paths, as a shell would: a directory argument is
 * resolved following every symbolic link (it is not the last component of
 * the full path); an object argument as {@code lstat} does (the last link is
 * not followed, unless a trailing slash follows it). An operation either returns
 * and has changed the model, or throws {@link Failure} with the errnos POSIX
 * allows there and has changed nothing. Where several error conditions hold at
 * once POSIX lets the implementation report any of them (XSH 2.3), so the set
 * then holds each; otherwise it holds one (two only for {@code rmdir} of
 * {@code ..}, ENOTEMPTY as Linux or EINVAL).
 * <p>
 * kDFS's API addresses inodes, so three things are the API's rather than a path
 * call's: {@code open} takes the inode a path names without following it (a
 * symbolic link is {@code EINVAL}, as {@code truncate} of one is), a name's
 * own errors come before those of what it names, and an empty name is {@code ENOENT}.
 */
final class PosixModel {
    static final int NAME_MAX = 255;
    static final int MAX_SYMLINKS = 40;

    /** What the model expects instead of a result: one of these errnos. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final Set<Errno> allowed;

        Failure(Collection<Errno> allowed, String why) {
            super(why, null, false, false);
            this.allowed = EnumSet.copyOf(allowed);
        }

        @Override
        public String toString() {
            return (allowed.size() == 1 ? allowed.iterator().next().toString() : "one of " + allowed) + " ("
                    + getMessage() + ")";
        }
    }

    static Failure fail(String why, Errno... allowed) {
        return new Failure(Arrays.asList(allowed), why);
    }

    private int nextId = 1;

    /** An inode; {@link #ino} is the kDFS inode id it stands for, once known (0 before). */
    abstract class Inode {
        final int id = nextId++;
        int ino;

        abstract FileType type();

        abstract int nlink();
    }

    final class Dir extends Inode {
        /** Entries by name, '.' and '..' excepted. */
        final TreeMap<String, Inode> entries = new TreeMap<>();
        Dir parent;

        @Override
        FileType type() {
            return FileType.DIRECTORY;
        }

        /** 2 + subdirectories: its entry in its parent, its '.', and each child's '..'. */
        @Override
        int nlink() {
            return 2 + (int) entries.values().stream().filter(e -> e instanceof Dir).count();
        }
    }

    /** A file or a symbolic link: what hard links may name. */
    abstract class Linkable extends Inode {
        int links = 1;

        @Override
        int nlink() {
            return links;
        }
    }

    final class File extends Linkable {
        byte[] data = new byte[0];

        @Override
        FileType type() {
            return FileType.REGULAR;
        }
    }

    final class Symlink extends Linkable {
        final String target;

        Symlink(String target) {
            this.target = target;
        }

        @Override
        FileType type() {
            return FileType.SYMLINK;
        }

        long size() {
            return target.getBytes(StandardCharsets.UTF_8).length;
        }
    }

    final Dir root = new Dir();

    PosixModel() {
        root.parent = root;
    }

    // ---- path resolution

    static List<String> components(String path) {
        List<String> out = new ArrayList<>();
        for (String c : path.split("/")) {
            if (!c.isEmpty()) {
                out.add(c);
            }
        }
        return out;
    }

    /** The inode {@code path} names, as {@code lstat}: the last symbolic link is not followed, unless a '/' follows it. */
    Inode lresolve(String path) {
        return walk(root, path, false, new int[1]);
    }

    /** The directory {@code path} names, following every symbolic link. */
    Dir dir(String path) {
        Inode i = walk(root, path, true, new int[1]);
        if (!(i instanceof Dir d)) {
            throw fail(path + " is a " + i.type(), ENOTDIR);
        }
        return d;
    }

    /** {@link #dir}, or null when it fails. */
    Dir peekDir(String path) {
        try {
            return dir(path);
        } catch (Failure e) {
            return null;
        }
    }

    /** {@link #lresolve}, or null when it fails. */
    Inode peek(String path) {
        try {
            return lresolve(path);
        } catch (Failure e) {
            return null;
        }
    }

    private Inode walk(Dir start, String path, boolean followLast, int[] links) {
        if (path.startsWith("/")) {
            start = root;
        }
        List<String> parts = components(path);
        boolean trailingSlash = path.endsWith("/") && !parts.isEmpty();
        Inode at = start;
        for (int i = 0; i < parts.size(); i++) {
            String c = parts.get(i);
            Set<Errno> e = EnumSet.noneOf(Errno.class);
            if (!(at instanceof Dir)) {
                e.add(ENOTDIR);
            }
            if (bytes(c) > NAME_MAX) {
                e.add(ENAMETOOLONG);
            }
            if (!e.isEmpty()) {
                throw new Failure(e, "component '" + c + "' of " + path + " after a " + at.type());
            }
            Dir d = (Dir) at;
            Inode next = c.equals(".") ? d : c.equals("..") ? d.parent : d.entries.get(c);
            if (next == null) {
                throw fail("no '" + c + "' in " + path, ENOENT);
            }
            boolean last = i == parts.size() - 1;
            if (next instanceof Symlink s && (!last || followLast || trailingSlash)) {
                if (++links[0] > MAX_SYMLINKS) {
                    throw fail("over " + MAX_SYMLINKS + " symbolic links in " + path, ELOOP);
                }
                next = walk(d, s.target, true, links);
            }
            at = next;
        }
        if (trailingSlash && !(at instanceof Dir)) {
            throw fail(path + " ends with '/' but is a " + at.type(), ENOTDIR);
        }
        return at;
    }

    static int bytes(String name) {
        return name.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The errors a name to make, remove or look up has in itself. */
    static Set<Errno> nameErrors(String name) {
        Set<Errno> e = EnumSet.noneOf(Errno.class);
        if (name.isEmpty()) {
            e.add(ENOENT);
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            e.add(EINVAL);
        }
        if (bytes(name) > NAME_MAX) {
            e.add(ENAMETOOLONG);
        }
        return e;
    }

    private static void checkNames(String... names) {
        Set<Errno> e = EnumSet.noneOf(Errno.class);
        for (String n : names) {
            e.addAll(nameErrors(n));
        }
        if (!e.isEmpty()) {
            throw new Failure(e, "bad name in " + Arrays.toString(names));
        }
    }

    static boolean dots(String name) {
        return name.equals(".") || name.equals("..");
    }

    /** Whether {@code d} is {@code ancestor} or below it. */
    static boolean within(Dir d, Dir ancestor) {
        for (Dir at = d;; at = at.parent) {
            if (at == ancestor) {
                return true;
            }
            if (at.parent == at) {
                return false;
            }
        }
    }

    // ---- operations

    Inode lookup(String parent, String name) {
        Dir d = dir(parent);
        checkNames(name);
        Inode i = name.equals(".") ? d : name.equals("..") ? d.parent : d.entries.get(name);
        if (i == null) {
            throw fail("no '" + name + "' in " + parent, ENOENT);
        }
        return i;
    }

    File create(String parent, String name) {
        return make(parent, name, new File());
    }

    Dir mkdir(String parent, String name) {
        return make(parent, name, new Dir());
    }

    Symlink symlink(String parent, String name, String target) {
        return make(parent, name, new Symlink(target));
    }

    private <T extends Inode> T make(String parent, String name, T fresh) {
        Dir d = dir(parent);
        checkNames(name);
        if (dots(name) || d.entries.containsKey(name)) {
            throw fail("'" + name + "' exists in " + parent, EEXIST);
        }
        d.entries.put(name, fresh);
        if (fresh instanceof Dir made) {
            made.parent = d;
        }
        return fresh;
    }

    /** A hard link, as {@code link()} (the source's last symbolic link is not followed). */
    Linkable link(String source, String parent, String name) {
        Inode src = lresolve(source);
        Dir d = dir(parent);
        checkNames(name);
        Set<Errno> e = EnumSet.noneOf(Errno.class);
        if (dots(name) || d.entries.containsKey(name)) {
            e.add(EEXIST);
        }
        if (src instanceof Dir) {
            e.add(EPERM);
        }
        if (!e.isEmpty()) {
            throw new Failure(e, "link of a " + src.type() + " to '" + name + "' in " + parent);
        }
        Linkable l = (Linkable) src;
        l.links++;
        d.entries.put(name, l);
        return l;
    }

    /** Removes a name; returns the inode when that was its last link. */
    Inode unlink(String parent, String name) {
        Dir d = dir(parent);
        checkNames(name);
        if (dots(name)) {
            throw fail("'" + name + "' is a directory", EISDIR);
        }
        Inode i = d.entries.get(name);
        if (i == null) {
            throw fail("no '" + name + "' in " + parent, ENOENT);
        }
        if (i instanceof Dir) {
            throw fail("'" + name + "' is a directory", EISDIR);
        }
        d.entries.remove(name);
        Linkable l = (Linkable) i;
        return --l.links == 0 ? l : null;
    }

    Dir rmdir(String parent, String name) {
        Dir d = dir(parent);
        checkNames(name);
        if (name.equals(".")) {
            throw fail("rmdir of '.'", EINVAL);
        }
        if (name.equals("..")) {
            throw fail("rmdir of '..'", ENOTEMPTY, EINVAL);
        }
        Inode i = d.entries.get(name);
        if (i == null) {
            throw fail("no '" + name + "' in " + parent, ENOENT);
        }
        if (!(i instanceof Dir gone)) {
            throw fail("'" + name + "' is a " + i.type(), ENOTDIR);
        }
        if (!gone.entries.isEmpty()) {
            throw fail("'" + name + "' has " + gone.entries.keySet(), ENOTEMPTY);
        }
        d.entries.remove(name);
        return gone;
    }

    /** {@code rename()}; returns the inode the target named when that was its last link. */
    Inode rename(String fromParent, String from, String toParent, String to) {
        Dir src = dir(fromParent);
        Dir dst = dir(toParent);
        checkNames(from, to);
        if (dots(from) || dots(to)) {
            throw fail("rename of '.' or '..'", EINVAL);
        }
        Inode moving = src.entries.get(from);
        if (moving == null) {
            throw fail("no '" + from + "' in " + fromParent, ENOENT);
        }
        Inode target = dst.entries.get(to);
        if (target == moving) {
            return null; // two links of one inode: POSIX does nothing
        }
        Set<Errno> e = EnumSet.noneOf(Errno.class);
        List<String> why = new ArrayList<>();
        if (moving instanceof Dir m && within(dst, m)) {
            e.add(EINVAL);
            why.add("a directory into its own subtree");
        }
        if (target instanceof Dir t) {
            if (!(moving instanceof Dir)) {
                e.add(EISDIR);
                why.add("a " + moving.type() + " onto a directory");
            } else if (!t.entries.isEmpty()) {
                e.add(ENOTEMPTY);
                why.add("onto a non-empty directory");
            }
            if (within(src, t)) {
                e.add(ENOTEMPTY); // Linux: the target is an ancestor of the source
                why.add("onto an ancestor of the source");
            }
        } else if (target != null && moving instanceof Dir) {
            e.add(ENOTDIR);
            why.add("a directory onto a " + target.type());
        }
        if (!e.isEmpty()) {
            throw new Failure(e, String.join(", ", why));
        }
        Inode gone = null;
        if (target != null) {
            dst.entries.remove(to);
            if (target instanceof Linkable l) {
                gone = --l.links == 0 ? l : null;
            } else {
                gone = target;
            }
        }
        src.entries.remove(from);
        dst.entries.put(to, moving);
        if (moving instanceof Dir m) {
            m.parent = dst;
        }
        return gone;
    }

    /** The regular file an inode-addressed {@code open} of {@code path} reaches. */
    File open(String path) {
        Inode i = lresolve(path);
        if (i instanceof Dir) {
            throw fail(path + " is a directory", EISDIR);
        }
        if (!(i instanceof File f)) {
            throw fail(path + " is a " + i.type() + ", not a regular file", EINVAL);
        }
        return f;
    }

    /** Truncate (setattr size) of the inode {@code path} names. */
    File truncate(String path, long size) {
        Inode i = lresolve(path);
        if (i instanceof Dir) {
            throw fail(path + " is a directory", EISDIR);
        }
        if (!(i instanceof File f) || size < 0) {
            throw fail("truncate of a " + i.type() + " to " + size, EINVAL);
        }
        f.data = Arrays.copyOf(f.data, Math.toIntExact(size));
        return f;
    }

    /** Opens {@code path} (O_TRUNC if {@code truncate}) and writes {@code data}; returns where it went. */
    long write(String path, boolean truncate, boolean append, long offset, byte[] data) {
        File f = open(path);
        if (truncate) {
            f.data = new byte[0];
        }
        long at = append ? f.data.length : offset;
        if (data.length > 0) { // POSIX: writing zero bytes changes nothing, not even the size
            int end = Math.toIntExact(at + data.length);
            if (end > f.data.length) {
                f.data = Arrays.copyOf(f.data, end);
            }
            System.arraycopy(data, 0, f.data, (int) at, data.length);
        }
        return at;
    }

    byte[] read(String path, long offset, int length) {
        File f = open(path);
        if (offset >= f.data.length) {
            return new byte[0];
        }
        return Arrays.copyOfRange(f.data, (int) offset, (int) Math.min(f.data.length, offset + length));
    }

    String readlink(String path) {
        Inode i = lresolve(path);
        if (!(i instanceof Symlink s)) {
            throw fail(path + " is a " + i.type(), EINVAL);
        }
        return s.target;
    }

    /** Every path of the tree (symbolic links not followed), '/' first, parents before children. */
    Map<String, Inode> paths() {
        Map<String, Inode> out = new TreeMap<>();
        out.put("/", root);
        addPaths(root, "", out);
        return out;
    }

    private static void addPaths(Dir d, String prefix, Map<String, Inode> out) {
        d.entries.forEach((name, i) -> {
            out.put(prefix + "/" + name, i);
            if (i instanceof Dir sub) {
                addPaths(sub, prefix + "/" + name, out);
            }
        });
    }

    /** Checks the model's own invariants: link counts match the names, parents the entries. */
    void selfCheck() {
        Map<Inode, Integer> names = new java.util.IdentityHashMap<>();
        paths().forEach((p, i) -> names.merge(i, 1, Integer::sum));
        names.forEach((i, n) -> {
            if (i instanceof Linkable l && l.links != n) {
                throw new IllegalStateException("model: " + l.type() + " #" + l.id + " has links " + l.links + ", names " + n);
            }
            if (i instanceof Dir d && i != root && n != 1) {
                throw new IllegalStateException("model: directory #" + d.id + " has " + n + " names");
            }
        });
        paths().forEach((p, i) -> {
            if (i instanceof Dir d) {
                d.entries.values().forEach(c -> {
                    if (c instanceof Dir cd && cd.parent != d) {
                        throw new IllegalStateException("model: wrong parent under " + p);
                    }
                });
            }
        });
    }
}
