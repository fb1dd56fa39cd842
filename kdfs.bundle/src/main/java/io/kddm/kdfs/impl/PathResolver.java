package io.kddm.kdfs.impl;

import static io.kddm.kdfs.impl.Permissions.X;
import static io.kddm.kdfs.impl.Permissions.access;
import static io.kddm.kdfs.impl.Permissions.checkName;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.impl.InodeLocks.Held;

/**
 * Path resolution: a name in a directory, an absolute path with the symbolic
 * links in it, and the chain of directories from one up to the root (what a
 * rename checks). It changes nothing, and it never waits for a directory while
 * holding one below it: a look-up holds the directory, then the entry in it,
 * and going up ({@code ..}, a chain to the root) it holds nothing.
 */
final class PathResolver {
    /** As Linux: more links than this in one path is a loop (ELOOP). */
    private static final int MAX_SYMLINKS = 40;

    private final Mount mount;
    private final InodeLocks locks;
    private final DirectoryPages dirs;
    private final FileData data;

    PathResolver(Mount mount, InodeLocks locks, DirectoryPages dirs, FileData data) {
        this.mount = mount;
        this.locks = locks;
        this.dirs = dirs;
        this.data = data;
    }

    /** The inode an absolute path names: symbolic links inside it are followed, not the last one. */
    Attr resolve(Caller caller, String path) {
        return resolve(caller, path, new int[] {0});
    }

    private Attr resolve(Caller caller, String path, int[] links) {
        if (path == null || !path.startsWith("/")) {
            throw new KdfsException(Errno.EINVAL, "not an absolute path: '" + path + "'");
        }
        int root = mount.root();
        String[] parts = path.split("/");
        // POSIX: "name/" names a directory, so a symbolic link there is followed, and a file is ENOTDIR
        boolean trailingSlash = path.endsWith("/");
        int lastPart = parts.length - 1;
        while (lastPart >= 0 && parts[lastPart].isEmpty()) {
            lastPart--;
        }
        Attr at = null; // the root's own attributes are read only when the path names the root
        for (int i = 0; i <= lastPart; i++) {
            if (parts[i].isEmpty()) {
                continue;
            }
            Attr next = lookup(caller, at == null ? root : at.ino(), parts[i]);
            boolean last = i == lastPart;
            if (next.type() == FileType.SYMLINK && (!last || trailingSlash)) {
                if (++links[0] > MAX_SYMLINKS) {
                    throw new KdfsException(Errno.ELOOP, "too many symbolic links in " + path);
                }
                String target = data.readlink(next.ino());
                // split() dropped the trailing slash: keep it for what remains
                String rest = String.join("/", Arrays.copyOfRange(parts, i + 1, parts.length))
                        + (trailingSlash ? "/" : "");
                String base = target.startsWith("/") ? target : parentPath(parts, i) + "/" + target;
                return resolve(caller, base + "/" + rest, links);
            }
            at = next;
        }
        if (at == null) {
            at = locks.meta(root).attr(root);
        }
        if (trailingSlash && !at.isDirectory()) {
            throw new KdfsException(Errno.ENOTDIR, "'" + path + "' ends with '/' but is not a directory");
        }
        return at;
    }

    private static String parentPath(String[] parts, int upTo) {
        return "/" + String.join("/", Arrays.copyOfRange(parts, 0, upTo));
    }

    /** The entry {@code name} of directory {@code dir}, {@code .} and {@code ..} included. */
    Attr lookup(Caller caller, int dir, String name) {
        checkName(name);
        int ino;
        try (Held d = locks.read(dir).requireDir()) {
            access(caller, d.meta, X);
            if (name.equals(".")) {
                return d.meta.attr(dir);
            }
            if (name.equals("..")) {
                ino = d.meta.parent; // read after the directory is released: locks go top down only
            } else {
                DirPage.Entry e = dirs.entry(d, name);
                // still holding the directory: a rename over the name cannot discard it meanwhile
                try (Held c = locks.read(e.ino())) {
                    return c.meta.attr(e.ino());
                }
            }
        }
        return locks.meta(ino).attr(ino);
    }

    /** {@code dir} and every directory above it up to the root. */
    Set<Integer> ancestors(int dir) {
        Set<Integer> chain = new HashSet<>();
        int at = dir;
        while (chain.add(at)) {
            if (chain.size() > 4096) {
                throw new KdfsException(Errno.EIO, "directory " + Ino.format(dir) + " is more than 4096 levels deep");
            }
            at = locks.meta(at).parent; // the root is its own parent: the loop ends there
        }
        return chain;
    }
}
