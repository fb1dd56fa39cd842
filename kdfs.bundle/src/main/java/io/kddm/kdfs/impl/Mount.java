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
    private record State(Partition partition, int root, Volume volume, HealIndex heal) {
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
        mount(dir, root, Volume.SINGLE);
    }

    /**
     * As {@link #mount(Path, Integer)}; {@code diskless} is the file system's volume
     * for a diskless mount (a partition's superblock says it otherwise).
     */
    synchronized void mount(Path dir, Integer root, Volume diskless) {
        if (state != null) {
            throw new KdfsException(Errno.EINVAL, "node " + node + " has mounted kDFS already ("
                    + describe() + "); kdfs:umount first: a node mounts at most one partition");
        }
        if (dir == null) {
            if (root == null || Ino.node(root) < 1 || Ino.local(root) < 1) {
                throw new KdfsException(Errno.EINVAL, "a diskless mount (NONE) needs the root inode id (--root)");
            }
            state = new State(null, root, diskless, null);
        } else {
            Partition p = Partition.open(dir, node);
            int stored = p.superblock().root();
            if (root != null && root != stored) {
                throw new KdfsException(Errno.EINVAL, "--root " + Ino.format(root) + " is not this partition's root "
                        + Ino.format(stored));
            }
            Volume volume = p.superblock().volume();
            if (diskless.replicas() > 1 && !diskless.equals(volume)) {
                throw new KdfsException(Errno.EINVAL, "the partition was made for " + volume.describe() + ", not "
                        + diskless.describe());
            }
            state = new State(p, stored, volume, new HealIndex(p.dir()));
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
        return (s.partition == null ? "diskless" : s.partition.dir().toString()) + ", root " + Ino.format(s.root)
                + (s.volume.replicas() == 1 ? "" : ", " + s.volume.describe());
    }

    int root() {
        return current().root;
    }

    Optional<Partition> partition() {
        State s = state;
        return s == null ? Optional.empty() : Optional.ofNullable(s.partition);
    }

    /** The file system's replicas (one while nothing is mounted). */
    Volume volume() {
        State s = state;
        return s == null ? Volume.SINGLE : s.volume;
    }

    /** This partition's heal index; empty if diskless or not mounted. */
    Optional<HealIndex> heal() {
        State s = state;
        return s == null ? Optional.empty() : Optional.ofNullable(s.heal);
    }

    /**
     * Where this node stores the entries of partition {@code home}: its own
     * partition, or its replica of {@code home}'s.
     *
     * @throws KdfsException EIO if this node stores none of them
     */
    Partition store(int home, String what) {
        if (home == node) {
            return requirePartition(what);
        }
        State s = state;
        if (s != null && s.partition != null && s.volume.stores(home, node)) {
            return s.partition.replica(home);
        }
        throw new KdfsException(Errno.EIO, what + " is stored on node" + (s == null ? " " + home
                : (s.volume.group(home).size() > 1 ? "s " : " ") + s.volume.group(home).toString()
                        .replaceAll("[\\[\\]]", "")) + ", not on node " + node
                + (s == null ? " (kDFS is not mounted here)" : ""));
    }

    /** Whether this node stores partition {@code home}'s entries (its own, or a replica). */
    boolean stores(int home) {
        State s = state;
        return s != null && s.partition != null && (home == node || s.volume.stores(home, node));
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
