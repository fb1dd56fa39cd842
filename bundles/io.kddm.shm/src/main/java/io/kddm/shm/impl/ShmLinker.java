package io.kddm.shm.impl;

import java.util.List;
import java.util.function.Supplier;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;

/**
 * The IO linker of both shared-memory families: objects live only in the
 * memory of the nodes (the core keeps their bytes, so stopping this bundle
 * loses nothing). A first touch makes an empty object: an empty page reads as
 * zeros, an empty key is free, an empty descriptor is no segment. The homes of
 * {@code shm.meta} objects are spread over the voting nodes by a hash of the
 * object id: the same on every node, and nodes that are meant to stay.
 */
final class ShmLinker implements IoLinker {
    static final String ID = "shm";

    private final Supplier<List<Integer>> voters;
    private final int localNode;

    /** @param voters the voting nodes, the same list on every node */
    ShmLinker(Supplier<List<Integer>> voters, int localNode) {
        this.voters = voters;
        this.localNode = localNode;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public byte[] firstTouch(SetContext set, long objectId) {
        return new byte[0];
    }

    @Override
    public int defaultOwner(SetContext set, long objectId) {
        List<Integer> v = voters.get();
        if (v.isEmpty()) {
            return localNode; // a node alone, with no voters configured
        }
        long h = objectId * 0x9E37_79B9_7F4A_7C15L; // Fibonacci hashing: consecutive ids spread
        return v.get((int) Long.remainderUnsigned(h >>> 16, v.size()));
    }
}
