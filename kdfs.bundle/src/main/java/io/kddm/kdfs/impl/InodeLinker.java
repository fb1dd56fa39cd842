package io.kddm.kdfs.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.FileStore;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.kddm.api.linker.SetContext;

/**
 * Stores the inode set at each inode's home: object {@code N:L} is
 * {@code .meta} of entry {@code L} of node N's partition (empty bytes: no
 * such inode). Local id 0 is the node's inode allocator (next id, end of the
 * range in the superblock, end of the range asked for: its sync writes that); {@link Ino#STATFS} is the partition's space, computed on first
 * touch; {@link Ino#RENAME_LOCK} is only a lock.
 */
final class InodeLinker extends StoreLinker {
    static final String ID = "kdfs.inode";

    InodeLinker(Mount mount) {
        super(mount, set -> set == Ino.INODE_SET);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public byte[] firstTouch(SetContext set, long objectId) {
        int ino = Ino.ofObject(objectId);
        int local = Ino.local(ino);
        switch (local) {
            case Ino.RENAME_LOCK:
                return new byte[0];
            case Ino.STATFS:
                return mount.partition().map(InodeLinker::statfs).orElse(new byte[0]);
            case Ino.ALLOCATOR: {
                // next id, end of the range on disk, end of the range asked for (none beyond next yet)
                Partition p = mount.store(Ino.node(ino), "the inode allocator of node " + Ino.node(ino));
                int next = Math.max(p.superblock().next(), p.highestLocal() + 1);
                return ByteBuffer.allocate(12).putInt(next).putInt(next).putInt(next).array();
            }
            default: {
                Partition p = mount.store(Ino.node(ino), "inode " + Ino.format(ino));
                byte[] meta = p.readMeta(local);
                Meta.decode(meta, p.meta(local)); // refuse a damaged .meta here, naming the file
                return meta;
            }
        }
    }

    private static byte[] statfs(Partition p) {
        try {
            FileStore store = p.store();
            return ByteBuffer.allocate(24).putLong(store.getTotalSpace()).putLong(store.getUsableSpace())
                    .putLong(p.entries()).array();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the space of " + p.dir() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void sync(SetContext set, long objectId, byte[] value) {
        store(objectId, value, true);
    }

    /** A close's write-back: on the partition's files, not forced (it outlives this process, as a closed file does). */
    @Override
    public void writeBack(SetContext set, long objectId, byte[] value) {
        store(objectId, value, false);
    }

    private void store(long objectId, byte[] value, boolean durable) {
        int ino = Ino.ofObject(objectId);
        int local = Ino.local(ino);
        switch (local) {
            case Ino.RENAME_LOCK, Ino.STATFS -> {
            }
            case Ino.ALLOCATOR -> {
                // the superblock records the reserved range's end: no id below it is handed out twice
                Partition p = mount.store(Ino.node(ino), "the inode allocator of node " + Ino.node(ino));
                Superblock sb = p.superblock();
                sb.withNext(ByteBuffer.wrap(value).getInt(8)).write(p.dir());
            }
            default -> {
                Partition p = mount.store(Ino.node(ino), "inode " + Ino.format(ino));
                if (value.length == 0) {
                    p.deleteEntry(local);
                } else {
                    p.writeMeta(local, value, durable);
                }
            }
        }
    }

    /** The version of the inode stored here (the inode allocator's included); none for those that store nothing. */
    @Override
    public byte[] storedVersion(SetContext set, long objectId) {
        int ino = Ino.ofObject(objectId);
        return storesNothing(Ino.local(ino)) ? null
                : StoreVersions.ofInode(mount.store(Ino.node(ino), "inode " + Ino.format(ino)), Ino.local(ino));
    }

    @Override
    public void storedAs(SetContext set, long objectId, byte[] version, boolean durable) {
        int ino = Ino.ofObject(objectId);
        if (!storesNothing(Ino.local(ino))) {
            StoreVersions.inode(mount.store(Ino.node(ino), "inode " + Ino.format(ino)), Ino.local(ino), version,
                    durable);
        }
    }

    private static boolean storesNothing(int local) {
        return local == Ino.STATFS || local == Ino.RENAME_LOCK;
    }

    /**
     * Deletes the entry where this node stores it (its home, or a replica of the
     * home's partition): kDDM also calls this on the node that held the inode last,
     * whose partition (if any) has an entry of the same local id that belongs to
     * another inode.
     */
    @Override
    public void remove(SetContext set, long objectId) {
        int ino = Ino.ofObject(objectId);
        int local = Ino.local(ino);
        if (mount.stores(Ino.node(ino)) && local != Ino.ALLOCATOR && local != Ino.STATFS && local != Ino.RENAME_LOCK) {
            mount.store(Ino.node(ino), "inode " + Ino.format(ino)).deleteEntry(local);
        }
    }

    /**
     * Every entry's inode (with or without its {@code .meta}: one without is
     * compared too, and deleted or made whole) and the inode allocator; the
     * statfs object and the rename lock store nothing.
     */
    @Override
    Map<Long, Set<Long>> stored(int home, Partition p) {
        Set<Long> ids = new TreeSet<>();
        ids.add(Ino.object(Ino.of(home, Ino.ALLOCATOR)));
        for (int local : p.locals()) {
            if (local <= Ino.MAX_LOCAL) {
                ids.add(Ino.object(Ino.of(home, local)));
            }
        }
        return Map.of(Ino.INODE_SET, ids);
    }

    /** The statfs object and the rename lock store nothing: no replica misses them. */
    @Override
    public void missed(SetContext set, long objectId, int node) {
        if (!storesNothing(Ino.local(Ino.ofObject(objectId)))) {
            super.missed(set, objectId, node);
        }
    }
}
