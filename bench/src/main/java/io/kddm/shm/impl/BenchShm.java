package io.kddm.shm.impl;

import io.kddm.api.membership.Membership;
import io.kddm.impl.core.KddmService;
import io.kddm.shm.SharedMemory;

/**
 * Shared memory on a node of the benchmarks' {@code KddmCluster}, as the
 * bundle's {@link ShmService} makes it (its two families, its IO linker, its
 * default limits), without the framework. It lives in the bundle's private
 * package because {@link LocalSharedMemory} is package-private: the benchmark
 * runs on a flat class path, where the split package is harmless, and the
 * bundle keeps its API as it is.
 */
public final class BenchShm {
    private BenchShm() {
    }

    /** Registers the shm families and linker with {@code kddm} and returns this node's {@link SharedMemory}. */
    public static SharedMemory deploy(KddmService kddm, Membership membership) {
        kddm.addIoLinker(new ShmLinker());
        kddm.addFamily(ShmFamily.META);
        kddm.addFamily(ShmFamily.PAGE);
        // ShmService's defaults: shmmax 1 GiB, shmmni 4096.
        return new LocalSharedMemory(kddm, membership, new LocalSharedMemory.Limits(1L << 30, 4096));
    }
}
