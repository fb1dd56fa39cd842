package io.kddm.kdfs.impl;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.KdfsException;

/**
 * What kDFS's IO linkers share: the file system's replicas ({@link Volume})
 * told to kDDM, which replicates every store of a partition's entries on its
 * store nodes, and this partition's heal index, where kDDM records what a
 * store node missed.
 */
abstract class StoreLinker implements IoLinker {
    final Mount mount;
    /** The sets of this linker's family (the heal index holds every family's records). */
    private final LongPredicate ownSets;

    StoreLinker(Mount mount, LongPredicate ownSets) {
        this.mount = mount;
        this.ownSets = ownSets;
    }

    @Override
    public int storeReplicas(SetContext set) {
        return mount.volume().replicas();
    }

    @Override
    public List<Integer> storeNodes(SetContext set, int home) {
        return mount.volume().group(home);
    }

    @Override
    public void missed(SetContext set, long objectId, int node) {
        mount.heal().orElseThrow(() -> new KdfsException(Errno.EIO, "node " + mount.node() + " stores kDFS "
                + "entries but has no partition mounted: it cannot record what node " + node + " missed"))
                .missed(node, set.setId(), objectId);
    }

    @Override
    public Map<Long, Set<Long>> missedBy(int node) {
        return mount.heal().map(h -> h.missedBy(node, ownSets)).orElse(Map.of());
    }

    /**
     * Every object of this linker's sets stored here of partition {@code home}'s
     * entries (its own partition, or its replica of {@code home}'s), for kDDM's
     * full heal; none if this node stores none of them, or nothing is replicated.
     */
    @Override
    public Map<Long, Set<Long>> stored(int home) {
        if (mount.volume().replicas() <= 1 || !mount.stores(home)) {
            return Map.of();
        }
        return stored(home, mount.store(home, "the entries of node " + home));
    }

    /** As {@link #stored(int)}, from {@code p}, where this node stores {@code home}'s entries. */
    abstract Map<Long, Set<Long>> stored(int home, Partition p);

    @Override
    public void healed(SetContext set, long objectId, int node) {
        mount.heal().ifPresent(h -> h.healed(node, set.setId(), objectId));
    }
}
