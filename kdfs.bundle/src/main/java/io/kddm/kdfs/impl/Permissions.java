package io.kddm.kdfs.impl;

import java.nio.charset.StandardCharsets;

import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;
import io.kddm.kdfs.SetAttr;

/**
 * The checks an operation makes before it changes anything: access by uid, gid
 * and mode bits, ownership, and the names it is given. They only read
 * metadata and throw, so every operation refuses the same things the same way,
 * and one that checks first changes nothing when refused.
 */
final class Permissions {
    /** Mode bits asked for, as in {@code access(2)}. */
    static final int R = 4;
    static final int W = 2;
    static final int X = 1;
    /** Longest symbolic link target, in bytes: PATH_MAX. */
    static final int SYMLINK_MAX = 4096;

    private Permissions() {
    }

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
        if (name.getBytes(StandardCharsets.UTF_8).length > Kdfs.NAME_MAX) {
            throw new KdfsException(Errno.ENAMETOOLONG, "name of " + name.getBytes(StandardCharsets.UTF_8).length
                    + " bytes, over " + Kdfs.NAME_MAX);
        }
    }

    static boolean dots(String name) {
        return name.equals(".") || name.equals("..");
    }

    static void owner(Caller caller, Meta m, String what) {
        if (!caller.root() && caller.uid() != m.uid) {
            throw new KdfsException(Errno.EPERM, "only the owner (uid " + m.uid + ") or root may " + what);
        }
    }

    /** Every part of a setattr, checked before any part changes anything. */
    static void checkSetattr(Caller caller, Meta m, SetAttr c) {
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
            if (c.size() > FileData.MAX_FILE) {
                throw new KdfsException(Errno.EFBIG, "over the largest file, " + FileData.MAX_FILE + " bytes");
            }
            access(caller, m, W);
        }
        if (c.atime() != null || c.mtime() != null) {
            owner(caller, m, "set the times");
        }
    }

    /** A symbolic link's target: 1 to {@link #SYMLINK_MAX} bytes, no NUL. */
    static void checkTarget(String target) {
        if (target == null || target.isEmpty() || target.indexOf('\0') >= 0
                || target.getBytes(StandardCharsets.UTF_8).length > SYMLINK_MAX) {
            throw new KdfsException(Errno.EINVAL, "a symbolic link's target is 1.." + SYMLINK_MAX + " bytes, no NUL");
        }
    }

    static void checkOpen(Caller caller, Meta m, int flags, boolean writes) {
        if (m.type == FileType.DIRECTORY) {
            throw new KdfsException(Errno.EISDIR, "cannot open a directory as a file");
        }
        if (m.type != FileType.REGULAR) {
            throw new KdfsException(Errno.EINVAL, "only regular files can be opened here, not a " + m.type);
        }
        access(caller, m, ((flags & OpenFile.READ) != 0 ? R : 0) | (writes ? W : 0));
    }
}
