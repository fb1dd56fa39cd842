package io.kddm.ipc.impl;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.kddm.impl.core.KddmService;
import io.kddm.impl.core.SimNetwork;
import io.kddm.ipc.Caller;
import io.kddm.ipc.MessageQueues;
import io.kddm.ipc.Semaphores;

/**
 * System V IPC on in-process kDDM nodes 1..N over the core's simulated network
 * (messages delayed at random, so reordered); a node can be crashed (the
 * others install a view without it).
 */
final class IpcCluster implements AutoCloseable {
    private final SimNetwork network;
    private final Map<Integer, KddmService> kddm = new LinkedHashMap<>();
    private final Map<Integer, LocalIpc> ipc = new LinkedHashMap<>();
    private final long safetyMs;

    IpcCluster(int nodes, long seed) {
        this(nodes, seed, Blocking.SAFETY_MS);
    }

    /** {@code safetyMs}: the waiters' safety net; tests of wake-ups set it beyond their own limits. */
    IpcCluster(int nodes, long seed, long safetyMs) {
        this.safetyMs = safetyMs;
        network = new SimNetwork(seed, Duration.ofMillis(1));
        for (int id = 1; id <= nodes; id++) {
            network.node(id);
        }
        for (int id = 1; id <= nodes; id++) {
            SimNetwork.Node n = network.node(id);
            KddmService k = new KddmService(n, n.membership, Duration.ofSeconds(20));
            LocalIpc l = new LocalIpc(k, n.membership, safetyMs);
            k.addFamily(l.family());
            k.addIoLinker(l.ioLinker());
            kddm.put(id, k);
            ipc.put(id, l);
        }
    }

    MessageQueues queues(int node) {
        return ipc.get(node).queues();
    }

    Semaphores sems(int node) {
        return ipc.get(node).semaphores();
    }

    LocalIpc node(int node) {
        return ipc.get(node);
    }

    /** A caller on {@code node} with that uid and gid (pid = uid * 1000 + node). */
    static Caller caller(int node, int uid, int gid) {
        return new Caller(uid, gid, uid * 1000 + node, node);
    }

    static Caller root(int node) {
        return caller(node, 0, 0);
    }

    /** As a stop of the ipc bundle on {@code node}: its clients closed, its family and IO linker gone from its core. */
    void stopBundle(int node) {
        LocalIpc l = ipc.get(node);
        l.closeClients();
        kddm.get(node).removeIoLinker(l.ioLinker());
        kddm.get(node).removeFamily(l.family());
        l.close();
    }

    /** As a start of the ipc bundle on {@code node} again: a new instance, registered with its core. */
    void startBundle(int node) {
        LocalIpc l = new LocalIpc(kddm.get(node), network.node(node).membership, safetyMs);
        kddm.get(node).addFamily(l.family());
        kddm.get(node).addIoLinker(l.ioLinker());
        ipc.put(node, l);
    }

    /** Crashes node {@code id}: its messages stop, the others install a view without it. */
    void crash(int id) {
        network.crash(id);
    }

    @Override
    public void close() {
        network.shutdown();
        ipc.values().forEach(LocalIpc::close);
        kddm.values().forEach(KddmService::close);
        network.close();
    }
}
