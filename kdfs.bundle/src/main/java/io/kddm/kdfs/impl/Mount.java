package io.kddm.kdfs.impl;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

import io.kddm.api.set.KddmException;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.KdfsException;

/**
 * What this node has mounted: its partition (none if diskless) and the root
 * inode id. Every operation runs through {@link #op}, so none runs on nothing.
 */
final class Mount {
    private record State(Partition partition, int root) {
    }

    private final int node;
    private volatile State state;

    Mount(int node) {
        this.node = node;
    }

    int node() {
        return node;
    }

    /**
     * Mounts {@code dir} (null: diskless, with {@code root} as the root inode id).
     *
     * @throws KdfsException EBUSY-like EINVAL if something is mounted, EIO naming the superblock if it is missing or damaged
     */
    synchronized void mount(Path dir, Integer root) {
        if (state != null) {
            throw new KdfsException(Errno.EINVAL, "node " + node + " has mounted kDFS already ("
                    + describe() + "); kdfs:umount first: a node mounts at most one partition");
        }
        if (dir == null) {
            if (root == null || Ino.node(root) < 1 || Ino.local(root) < 1) {
                throw new KdfsException(Errno.EINVAL, "a diskless mount (NONE) needs the root inode id (--root)");
            }
            state = new State(null, root);
        } else {
            Partition p = Partition.open(dir, node);
            int stored = p.superblock().root();
            if (root != null && root != stored) {
                throw new KdfsException(Errno.EINVAL, "--root " + Ino.format(root) + " is not this partition's root "
                        + Ino.format(stored));
            }
            state = new State(p, stored);
        }
    }

    synchronized void umount() {
        state = null;
    }

    boolean mounted() {
        return state != null;
    }

    String describe() {
        State s = state;
        if (s == null) {
            return "not mounted";
        }
        return (s.partition == null ? "diskless" : s.partition.dir().toString()) + ", root " + Ino.format(s.root);
    }

    int root() {
        return current().root;
    }

    Optional<Partition> partition() {
        State s = state;
        return s == null ? Optional.empty() : Optional.ofNullable(s.partition);
    }

    /** The partition, for objects homed here: they cannot be served without it. */
    Partition requirePartition(String what) {
        State s = state;
        if (s == null || s.partition == null) {
            throw new KdfsException(Errno.EIO, what + " is stored on node " + node + ", which has "
                    + (s == null ? "not mounted kDFS" : "no partition (diskless)"));
        }
        return s.partition;
    }

    /**
     * Runs a kDFS operation: none while unmounted, and kDDM or disk failures as
     * EIO, the one errno a POSIX caller expects for them.
     */
    <T> T op(Supplier<T> body) {
        current();
        try {
            return body.get();
        } catch (KddmException | UncheckedIOException e) {
            throw new KdfsException(Errno.EIO, e.getMessage(), e);
        }
    }

    void run(Runnable body) {
        op(() -> {
            body.run();
            return null;
        });
    }

    private State current() {
        State s = state;
        if (s == null) {
            throw new KdfsException(Errno.EIO, "kDFS is not mounted on node " + node + " (kdfs:mount)");
        }
        return s;
    }
}
