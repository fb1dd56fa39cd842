package io.kddm.shm.impl;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import io.kddm.shm.SegmentInfo;

/**
 * A segment's descriptor (Kerrighed's shmid_ds in the id set): the object
 * {@code shmid} of {@link ShmSets#DESCRIPTORS}. Attaches are counted per node
 * incarnation, so that those of a node that died or left can be dropped.
 *
 * @param dataSet the kDDM set of its pages
 * @param attaches attaches in force, per node incarnation
 */
record Descriptor(int id, int key, long dataSet, long size, int uid, int gid, int cuid, int cgid, int mode,
        boolean removed, int creatorNode, int lastNode, long attachTime, long detachTime, long changeTime,
        List<Attach> attaches) {
    private static final int MAGIC = 0x53484D31; // "SHM1"

    /** Attaches made by one incarnation of a node. */
    record Attach(int node, long incarnation, int count) {
    }

    Descriptor {
        attaches = List.copyOf(attaches);
    }

    int attached() {
        return attaches.stream().mapToInt(Attach::count).sum();
    }

    /** Whether nothing keeps a removed segment any more: its pages may go. */
    boolean destroyable() {
        return removed && attached() == 0;
    }

    SegmentInfo info() {
        return new SegmentInfo(key, id, size, uid, gid, cuid, cgid, mode, attached(), removed, creatorNode, lastNode,
                attachTime, detachTime, changeTime);
    }

    Descriptor attach(int node, long incarnation, long now) {
        List<Attach> next = new ArrayList<>();
        boolean found = false;
        for (Attach a : attaches) {
            if (a.node() == node && a.incarnation() == incarnation) {
                next.add(new Attach(node, incarnation, a.count() + 1));
                found = true;
            } else {
                next.add(a);
            }
        }
        if (!found) {
            next.add(new Attach(node, incarnation, 1));
        }
        return new Descriptor(id, key, dataSet, size, uid, gid, cuid, cgid, mode, removed, creatorNode, node, now,
                detachTime, changeTime, next);
    }

    /** One attach of {@code node}'s incarnation less (none if it has none: dropped at a view change). */
    Descriptor detach(int node, long incarnation, long now) {
        List<Attach> next = new ArrayList<>();
        for (Attach a : attaches) {
            if (a.node() == node && a.incarnation() == incarnation) {
                if (a.count() > 1) {
                    next.add(new Attach(node, incarnation, a.count() - 1));
                }
            } else {
                next.add(a);
            }
        }
        return new Descriptor(id, key, dataSet, size, uid, gid, cuid, cgid, mode, removed, creatorNode, node,
                attachTime, now, changeTime, next);
    }

    /** Without the attaches {@code gone} selects. */
    Descriptor without(Predicate<Attach> gone) {
        return new Descriptor(id, key, dataSet, size, uid, gid, cuid, cgid, mode, removed, creatorNode, lastNode,
                attachTime, detachTime, changeTime, attaches.stream().filter(gone.negate()).toList());
    }

    Descriptor set(int newUid, int newGid, int newMode, long now) {
        return new Descriptor(id, key, dataSet, size, newUid, newGid, cuid, cgid, newMode & 0777, removed,
                creatorNode, lastNode, attachTime, detachTime, now, attaches);
    }

    /** IPC_RMID: marked, and its key shown as 0 (IPC_PRIVATE), as Linux does: the key is free. */
    Descriptor markRemoved(long now) {
        return new Descriptor(id, 0, dataSet, size, uid, gid, cuid, cgid, mode, true, creatorNode, lastNode,
                attachTime, detachTime, now, attaches);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 + 4 + 8 + 8 + 4 * 5 + 1 + 4 + 4 + 8 * 3 + 4 + attaches.size() * 16);
        b.putInt(MAGIC).putInt(id).putInt(key).putLong(dataSet).putLong(size).putInt(uid).putInt(gid).putInt(cuid)
                .putInt(cgid).putInt(mode).put((byte) (removed ? 1 : 0)).putInt(creatorNode).putInt(lastNode)
                .putLong(attachTime).putLong(detachTime).putLong(changeTime).putInt(attaches.size());
        for (Attach a : attaches) {
            b.putInt(a.node()).putLong(a.incarnation()).putInt(a.count());
        }
        return b.array();
    }

    /** The descriptor in {@code bytes}, or null for an empty object (no such segment). */
    static Descriptor decode(byte[] bytes) {
        if (bytes.length == 0) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt() != MAGIC) {
            throw new IllegalStateException("not a shared-memory descriptor (" + bytes.length + " bytes)");
        }
        int id = b.getInt();
        int key = b.getInt();
        long dataSet = b.getLong();
        long size = b.getLong();
        int uid = b.getInt();
        int gid = b.getInt();
        int cuid = b.getInt();
        int cgid = b.getInt();
        int mode = b.getInt();
        boolean removed = b.get() != 0;
        int creator = b.getInt();
        int last = b.getInt();
        long atime = b.getLong();
        long dtime = b.getLong();
        long ctime = b.getLong();
        int n = b.getInt();
        List<Attach> attaches = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            attaches.add(new Attach(b.getInt(), b.getLong(), b.getInt()));
        }
        return new Descriptor(id, key, dataSet, size, uid, gid, cuid, cgid, mode, removed, creator, last, atime, dtime,
                ctime, attaches);
    }
}
