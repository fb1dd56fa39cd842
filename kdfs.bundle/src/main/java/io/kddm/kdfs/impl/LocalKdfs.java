package io.kddm.kdfs.impl;

import java.nio.file.Path;
import java.util.List;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.membership.Membership;
import io.kddm.api.set.Kddm;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;

/**
 * kDFS on one node: its three families and their IO linkers (which share the
 * node's mount), the operations and the write-back. {@link KdfsService}
 * registers the families and linkers as OSGi services; tests and benchmarks
 * hand them to an in-process kDDM core themselves.
 */
public final class LocalKdfs {
    private final Mount mount;
    private final WriteBack writeBack;
    private final FileSystem fs;
    private final List<IoLinker> ioLinkers;

    public LocalKdfs(Kddm kddm, Membership membership) {
        mount = new Mount(kddm.localNode());
        writeBack = new WriteBack(kddm);
        fs = new FileSystem(kddm, membership, mount, writeBack);
        ioLinkers = List.of(new InodeLinker(mount), new PageLinker(mount, PageLinker.DIR, DirPage.SIZE),
                new PageLinker(mount, PageLinker.FILE, PageLinker.FILE_PAGE));
    }

    public List<SetFamily> families() {
        return List.of(KdfsFamily.INODE, KdfsFamily.DIR, KdfsFamily.FILE);
    }

    public List<IoLinker> ioLinkers() {
        return ioLinkers;
    }

    public Kdfs fs() {
        return fs;
    }

    Mount state() {
        return mount;
    }

    /** Mounts the partition {@code dir}, or diskless (null) with {@code root} as the root inode id. */
    public void mount(Path dir, Integer root) {
        mount.mount(dir, root);
    }

    /** As {@link #mount(Path, Integer)}; {@code diskless}: the file system's replicas, for a diskless mount. */
    void mount(Path dir, Integer root, Volume diskless) {
        mount.mount(dir, root, diskless);
    }

    /** Writes everything back and detaches; fails (staying mounted) if something could not be written back. */
    public void umount() {
        if (!mount.mounted()) {
            throw new KdfsException(Errno.EINVAL, "kDFS is not mounted on node " + mount.node());
        }
        sync();
        mount.umount();
    }

    /**
     * Writes back what this node changed.
     *
     * @return how many inodes had changes
     * @throws KdfsException EIO if some could not be written back (they stay dirty)
     */
    public int sync() {
        int pending = writeBack.pending();
        List<String> failed = writeBack.syncAll();
        if (!failed.isEmpty()) {
            throw new KdfsException(Errno.EIO, failed.size() + " inodes could not be written back, first: "
                    + failed.get(0));
        }
        return pending;
    }

    /** Whether a close waits for the write-back of what it wrote (kDFS's {@code close.waits}). */
    public void closeWaits(boolean waits) {
        writeBack.closeWaits(waits);
    }

    /** Stops writing back closed files on their own thread; a final {@link #syncAll} takes what they left. */
    void stopCloseWriteBack() {
        writeBack.shutdown();
    }

    /** Writes back what it can, for a periodic pass or a stop; returns what failed, one line each. */
    List<String> syncAll() {
        return writeBack.syncAll();
    }

    /** The periodic pass: writes back what this node changed, forcing nothing; returns what failed. */
    List<String> writeBackAll() {
        return writeBack.writeBackAll();
    }

    /** Formats {@code dir} as node {@code node}'s partition (the root directory there if it is {@code rootNode}). */
    public static Path mkfs(Path dir, int node, int rootNode, boolean force) {
        return Partition.mkfs(dir, node, rootNode, force).dir();
    }

    /** As {@link #mkfs(Path, int, int, boolean)}, each partition's entries on {@code replicas} of {@code partitions}. */
    public static Path mkfs(Path dir, int node, int rootNode, int replicas, List<Integer> partitions, boolean force) {
        return Partition.mkfs(dir, node, rootNode, new Volume(replicas, partitions), force).dir();
    }

    /** The root directory's inode id when the root is on {@code rootNode}. */
    public static int rootIno(int rootNode) {
        return Ino.of(rootNode, Ino.ROOT_LOCAL);
    }

    /** The native file holding the bytes of {@code ino}, in {@code partition}, the storing node's. */
    public static Path content(Path partition, int ino) {
        return Partition.open(partition, Ino.node(ino)).content(Ino.local(ino));
    }
}
