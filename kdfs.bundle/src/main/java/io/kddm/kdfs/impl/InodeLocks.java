package io.kddm.kdfs.impl;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.KdfsException;

/**
 * Held inodes: the critical sections every operation is made of. An inode is
 * held under a kDDM grab of its object in the inode set (to change it) or a get
 * (to read it). That object is the one cluster-wide lock on the inode and on
 * what hangs off it: a directory's pages and a file's data are changed only
 * with the inode grabbed and read only with it got.
 *
 * <p>Lock order, the one rule every operation follows so that none deadlocks:
 * inodes are locked top down only, a directory before the entries in it (and
 * before the file a link names), never a parent while a child is held; two
 * neither of which is above the other (a rename's two directories, or the
 * entry it moves and the one it replaces) are taken in unsigned id order. A
 * rename across directories first takes the cluster-wide
 * {@link #renameLock}, so two of them cannot lock the same two directories in
 * opposite orders, and the tree cannot change shape while a rename checks that
 * a directory does not move into itself (as Linux's {@code s_vfs_rename_mutex}).
 */
final class InodeLocks {
    private final Kddm kddm;
    private final WriteBack writeBack;
    /** The inode set, opened on first use (it is never destroyed): every operation uses it. */
    private volatile KddmSet inodes;

    InodeLocks(Kddm kddm, WriteBack writeBack) {
        this.kddm = kddm;
        this.writeBack = writeBack;
    }

    KddmSet inodes() {
        KddmSet set = inodes;
        if (set == null) {
            set = kddm.wellKnown(Ino.INODE_SET, InodeLinker.ID);
            inodes = set;
        }
        return set;
    }

    /** An inode in a critical section; {@link #save} publishes its changed metadata on close. */
    final class Held implements AutoCloseable {
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

    Held grab(int ino) {
        return new Held(checkIno(ino), inodes().grab(Ino.object(ino)));
    }

    Held read(int ino) {
        return new Held(checkIno(ino), inodes().get(Ino.object(ino)));
    }

    /** An inode's metadata as a get of it read it: a copy, for a caller that keeps nothing held. */
    Meta meta(int ino) {
        try (Held h = read(ino)) {
            return h.meta;
        }
    }

    /** The inode, or null if a name outlived it (a crash between their write-backs): the name can still go. */
    Held grabIfAny(int ino) {
        try {
            return grab(ino);
        } catch (KdfsException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
            return null;
        }
    }

    /** The cluster-wide rename lock, an object on the root's node: see the lock order above. */
    ObjectHandle renameLock(int root) {
        return inodes().grab(Ino.object(Ino.of(Ino.node(root), Ino.RENAME_LOCK)));
    }

    /** An inode id a caller may name: not one of the objects the inode set also holds (allocator, statfs, lock). */
    private static int checkIno(int ino) {
        int local = Ino.local(ino);
        if (Ino.node(ino) < 1 || local < Ino.ROOT_LOCAL || local > Ino.MAX_LOCAL) {
            throw new KdfsException(Errno.ENOENT, "no inode " + Ino.format(ino));
        }
        return ino;
    }
}
