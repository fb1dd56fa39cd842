package io.kddm.shm.impl;

import java.util.List;
import java.util.function.Supplier;

import io.kddm.api.set.SetIds;

/**
 * Where shared memory lives in kDDM, as Kerrighed's key, id and data sets: two
 * well-known sets of {@code shm.meta} that every node opens by itself, and a
 * set of {@code shm.page} per segment.
 * <ul>
 * <li>{@link #KEYS}: a {@link KeyBucket} per hash of the key (65536 buckets),
 * each holding the keys that hash there and their segments' ids. A grab of the
 * bucket serializes every shmget of its keys cluster-wide.</li>
 * <li>{@link #DESCRIPTORS}: an object per segment id holding its
 * {@link Descriptor}, and the {@link Registry} (the id allocator and the list of
 * live ids).</li>
 * </ul>
 * Homes are in the object ids (bits 24..31, {@code NODE_BITS}), spread over the
 * voting nodes (the same list on every node, and nodes meant to stay): no node
 * needs the IO linker to know where an object's home is, so a node whose shm
 * bundle is stopped still serves the others. A home that leaves or dies is
 * replaced by the next node of the view (the family keeps a backup).
 */
final class ShmSets {
    /** Well-known set ids: node bits 0, "shm" in the low bits, clear of kDFS's and the tests' ranges. */
    static final long KEYS = SetIds.of(0, 0x73_686D_0000_01L);
    static final long DESCRIPTORS = SetIds.of(0, 0x73_686D_0000_02L);
    /** Segment ids are 1..2^24-1: the low 24 bits of their descriptor's object id. */
    static final int MAX_ID = 0xFF_FFFF;
    private static final int BUCKETS = 1 << 16;

    private final Supplier<List<Integer>> voters;
    private final int localNode;

    /** @param voters the voting nodes, the same list on every node */
    ShmSets(Supplier<List<Integer>> voters, int localNode) {
        this.voters = voters;
        this.localNode = localNode;
    }

    /** The home of objects numbered {@code n}: a voter, by a hash of {@code n}. */
    private long homed(long n, int low24) {
        List<Integer> v = voters.get();
        int home = v.isEmpty() ? localNode : v.get((int) Long.remainderUnsigned(mix(n), v.size()));
        return ((long) home << 24) | low24;
    }

    /** SplitMix64's finalizer: consecutive numbers spread evenly over any number of voters. */
    private static long mix(long n) {
        long z = (n ^ (n >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /** The object of {@link #KEYS} that holds {@code key}. */
    long keyBucket(int key) {
        int bucket = (int) (mix(key & 0xFFFF_FFFFL) & (BUCKETS - 1));
        return homed(bucket, bucket);
    }

    /** The object of {@link #DESCRIPTORS} that holds segment {@code shmid}'s descriptor. */
    long descriptor(int shmid) {
        if (shmid < 1 || shmid > MAX_ID) {
            throw new IllegalArgumentException("segment ids are 1.." + MAX_ID + ", not " + shmid);
        }
        return homed(shmid, shmid);
    }

    /** The object of {@link #DESCRIPTORS} that holds the {@link Registry} (low bits 0: no segment's). */
    long registry() {
        return homed(0, 0);
    }
}
