package io.kddm.shm.impl;

import io.kddm.api.linker.BackupMode;
import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.linker.WellKnownSets;
import io.kddm.shm.SharedMemory;

/**
 * The two families of shared memory, both in memory only (the {@link ShmLinker}).
 * <ul>
 * <li>{@code shm.meta}: keys, descriptors and the registry ({@link ShmSets}).
 * One SYNC backup, so that a node's crash loses no descriptor and no key
 * (a put returns once the backup has it; the homes move to the next node of the
 * view). Homes are in the object ids ({@link ShmSets}), on the voting nodes,
 * so the well-known sets need no creator and no linker to place them.</li>
 * <li>{@code shm.page}: a set per segment, an object per page of
 * {@link SharedMemory#PAGE_SIZE} bytes, homes round robin over the nodes known
 * when the segment was made. One SYNC backup too: without one, the core cannot
 * move a home, so every page homed on a node would be lost when that node
 * leaves, even in order, and with its owner's crash. Measured cheap here
 * (ContentionTest: 3 nodes x 4 threads on one page takes the same time with or without
 * it, about 2 s); {@code backups.shm.page=0} in {@code io.kddm.core} drops it.</li>
 * </ul>
 */
record ShmFamily(String name, int maxObjectSize, HomePolicy home, int backups, WellKnownSets wellKnownSets)
        implements SetFamily {
    static final String META_NAME = "shm.meta";
    static final String PAGE_NAME = "shm.page";
    static final ShmFamily META = new ShmFamily(META_NAME, 64 * 1024, HomePolicy.NODE_BITS, 1,
            new WellKnownSets(ShmSets.KEYS, ShmSets.DESCRIPTORS));
    static final ShmFamily PAGE = new ShmFamily(PAGE_NAME, SharedMemory.PAGE_SIZE, HomePolicy.ROUND_ROBIN, 1,
            WellKnownSets.NONE);

    @Override
    public String ioLinker() {
        return ShmLinker.ID;
    }

    @Override
    public BackupMode backupMode() {
        return BackupMode.SYNC;
    }
}
