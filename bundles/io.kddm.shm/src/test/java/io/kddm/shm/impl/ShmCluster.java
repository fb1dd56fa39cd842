package io.kddm.shm.impl;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.kddm.api.linker.SetFamily;
import io.kddm.impl.core.KddmService;
import io.kddm.impl.core.SimNetwork;

/**
 * Shared memory on in-process kDDM nodes over the core's simulated network
 * (messages delayed at random, so reordered): each node has its core, the
 * shm families and linker, and its own {@link LocalSharedMemory}, as the
 * bundle's {@link ShmService} makes them.
 */
final class ShmCluster implements AutoCloseable {
    static final LocalSharedMemory.Limits LIMITS = new LocalSharedMemory.Limits(1L << 24, 64);

    private final SimNetwork network;
    private final Map<Integer, KddmService> kddm = new LinkedHashMap<>();
    private final Map<Integer, LocalSharedMemory> shm = new LinkedHashMap<>();
    private final Map<Integer, ShmLinker> linkers = new LinkedHashMap<>();
    private final List<DepartedAttaches> reapers = new java.util.ArrayList<>();

    ShmCluster(long seed, Duration maxDelay, int nodes) {
        this(seed, maxDelay, nodes, LIMITS);
    }

    ShmCluster(long seed, Duration maxDelay, int nodes, LocalSharedMemory.Limits limits) {
        network = new SimNetwork(seed, maxDelay);
        for (int id = 1; id <= nodes; id++) {
            network.node(id);
        }
        for (int id = 1; id <= nodes; id++) {
            SimNetwork.Node n = network.node(id);
            KddmService k = new KddmService(n, n.membership, Duration.ofSeconds(20));
            ShmLinker linker = new ShmLinker();
            deploy(k, linker);
            kddm.put(id, k);
            linkers.put(id, linker);
            LocalSharedMemory local = new LocalSharedMemory(k, n.membership, limits);
            shm.put(id, local);
            DepartedAttaches departed = new DepartedAttaches(local, id);
            n.membership.addViewListener(departed);
            reapers.add(departed);
        }
    }

    private static void deploy(KddmService k, ShmLinker linker) {
        k.addIoLinker(linker);
        for (SetFamily f : List.of(ShmFamily.META, ShmFamily.PAGE)) {
            k.addFamily(f);
        }
    }

    /** The bundle stopped on node {@code id}: its families and linker gone from the core there. */
    void undeploy(int id) {
        KddmService k = kddm.get(id);
        k.removeFamily(ShmFamily.META);
        k.removeFamily(ShmFamily.PAGE);
        k.removeIoLinker(linkers.get(id));
    }

    /** The bundle started again on node {@code id}. */
    void redeploy(int id) {
        deploy(kddm.get(id), linkers.get(id));
    }

    LocalSharedMemory node(int id) {
        return shm.get(id);
    }

    KddmService kddm(int id) {
        return kddm.get(id);
    }

    SimNetwork network() {
        return network;
    }

    /** Crashes node {@code id}: its messages stop, the others install a view without it. */
    void crash(int id) {
        network.crash(id);
    }

    @Override
    public void close() {
        reapers.forEach(DepartedAttaches::close);
        network.shutdown();
        kddm.values().forEach(KddmService::close);
        network.close();
    }
}
