package io.kddm.kdfs.impl;

import java.nio.ByteBuffer;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.KdfsException;

/**
 * Inode ids from birth to end: which node a new entry goes to, a fresh local id
 * from that node's allocator, and the deletion of an inode nothing links to.
 * Kept in one place because they share one promise: an id is never handed out
 * twice, not even after a crash, so a stale copy of a removed inode's page can
 * never be taken for another file's.
 */
final class InodeAllocator {
    /** Ids a node's superblock reserves at once: one durable superblock write per this many creates, or so. */
    static final int RESERVE = 1024;

    private final Kddm kddm;
    private final Mount mount;
    private final WriteBack writeBack;
    private final InodeLocks locks;

    InodeAllocator(Kddm kddm, Mount mount, WriteBack writeBack, InodeLocks locks) {
        this.kddm = kddm;
        this.mount = mount;
        this.writeBack = writeBack;
        this.locks = locks;
    }

    /** Where a new entry goes: this node's partition, or its parent's node if this node is diskless. */
    int placement(int dir) {
        return mount.partition().isPresent() ? mount.node() : Ino.node(dir);
    }

    /**
     * A fresh local id from node {@code node}'s allocator (an object of the inode
     * set, homed there: next id, end of the range the superblock holds on disk,
     * end of the range asked for). An id is handed out only below the range on
     * disk, so a crash never hands one out twice; the range is extended ahead,
     * while half of it is left, by a store at the home (the allocator's sync
     * writes the superblock).
     */
    int allocate(int node) {
        long allocator = Ino.object(Ino.of(node, Ino.ALLOCATOR));
        KddmSet set = locks.inodes();
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

    /**
     * Deletes an inode nothing links to any more: its object (whose removal at
     * home deletes the entry from the partition) and its pages' set. Its id is
     * never handed out again, so a copy of a page some node still holds can
     * never be taken for another file's.
     */
    void discard(int ino, FileType type) {
        writeBack.forget(ino);
        locks.inodes().remove(Ino.object(ino));
        kddm.destroy(type == FileType.DIRECTORY ? Ino.dirSet(ino) : Ino.fileSet(ino));
    }
}
