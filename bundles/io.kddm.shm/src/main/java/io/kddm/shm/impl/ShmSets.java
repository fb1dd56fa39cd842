package io.kddm.shm.impl;

import io.kddm.api.set.SetIds;

/**
 * Where shared memory lives in kDDM, as Kerrighed's key, id and data sets: two
 * well-known sets of {@code shm.meta} that every node opens by itself, and a
 * set of {@code shm.page} per segment.
 * <ul>
 * <li>{@link #KEYS}: object {@code key} (the key as an unsigned 32-bit id) holds
 * the segment's id (4 bytes), or nothing when the key is free. A grab of it
 * serializes every shmget of that key cluster-wide.</li>
 * <li>{@link #DESCRIPTORS}: object {@code shmid} holds the segment's
 * {@link Descriptor}; object {@link #REGISTRY} is the {@link Registry} (the id
 * allocator and the list of live ids).</li>
 * </ul>
 */
final class ShmSets {
    /** Well-known set ids: node bits 0, "shm" in the low bits, clear of kDFS's and the tests' ranges. */
    static final long KEYS = SetIds.of(0, 0x73_686D_0000_01L);
    static final long DESCRIPTORS = SetIds.of(0, 0x73_686D_0000_02L);
    /** The registry's object in {@link #DESCRIPTORS}: no segment has id 0. */
    static final long REGISTRY = 0;

    private ShmSets() {
    }

    /** A key as an object id of {@link #KEYS}. */
    static long keyObject(int key) {
        return key & 0xFFFF_FFFFL;
    }
}
