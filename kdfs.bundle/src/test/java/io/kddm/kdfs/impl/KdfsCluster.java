package io.kddm.kdfs.impl;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.kddm.impl.core.KddmService;
import io.kddm.impl.core.SimNetwork;
import io.kddm.kdfs.Kdfs;

/**
 * kDFS on in-process kDDM nodes over the core's simulated network (messages
 * delayed at random, so reordered): node 1 holds the root; each node given a
 * folder has a partition there, the others are diskless.
 */
final class KdfsCluster implements AutoCloseable {
    private final SimNetwork network;
    private final Map<Integer, KddmService> kddm = new LinkedHashMap<>();
    private final Map<Integer, LocalKdfs> kdfs = new LinkedHashMap<>();
    /** Inode stores asked of the IO linkers, per kind ("sync", "writeBack"), on any node. */
    final Map<String, java.util.concurrent.atomic.AtomicInteger> inodeStores = new java.util.concurrent.ConcurrentHashMap<>();
    /** The kind of the last store of each inode object ("sync" or "writeBack"). */
    final Map<Long, String> lastInodeStore = new java.util.concurrent.ConcurrentHashMap<>();

    /** {@code partitions.get(i)} is node i+1's partition folder (formatted), or null for a diskless node. */
    KdfsCluster(long seed, Duration maxDelay, List<Path> partitions) {
        this(seed, maxDelay, partitions, true);
    }

    /** As above; without {@code format}, the partitions are mounted as they are (a restart). */
    KdfsCluster(long seed, Duration maxDelay, List<Path> partitions, boolean format) {
        this(seed, maxDelay, partitions, format, Volume.SINGLE);
    }

    /** As above, the partitions formatted (if {@code format}) for {@code volume}'s replicas. */
    KdfsCluster(long seed, Duration maxDelay, List<Path> partitions, boolean format, Volume volume) {
        network = new SimNetwork(seed, maxDelay);
        int count = partitions.size();
        for (int id = 1; id <= count; id++) {
            network.node(id);
        }
        for (int id = 1; id <= count; id++) {
            Path dir = partitions.get(id - 1);
            if (dir != null && format) {
                Partition.mkfs(dir, id, 1, volume, true);
            }
        }
        for (int id = 1; id <= count; id++) {
            SimNetwork.Node n = network.node(id);
            KddmService k = new KddmService(n, n.membership, Duration.ofSeconds(20));
            LocalKdfs l = new LocalKdfs(k, n.membership);
            l.families().forEach(k::addFamily);
            l.ioLinkers().forEach(li -> k.addIoLinker(li.id().equals(InodeLinker.ID) ? counted(li) : li));
            kddm.put(id, k);
            kdfs.put(id, l);
        }
        for (int id = 1; id <= count; id++) {
            Path dir = partitions.get(id - 1);
            kdfs.get(id).mount(dir, dir == null ? LocalKdfs.rootIno(1) : null);
        }
    }

    /** The inode linker, counting its stores by kind. */
    private io.kddm.api.linker.IoLinker counted(io.kddm.api.linker.IoLinker l) {
        return new io.kddm.api.linker.IoLinker() {
            @Override
            public String id() {
                return l.id();
            }

            @Override
            public byte[] firstTouch(io.kddm.api.linker.SetContext set, long objectId) {
                return l.firstTouch(set, objectId);
            }

            @Override
            public void remove(io.kddm.api.linker.SetContext set, long objectId) {
                l.remove(set, objectId);
            }

            @Override
            public void sync(io.kddm.api.linker.SetContext set, long objectId, byte[] value) {
                l.sync(set, objectId, value);
                count("sync");
                lastInodeStore.put(objectId, "sync");
            }

            @Override
            public void writeBack(io.kddm.api.linker.SetContext set, long objectId, byte[] value) {
                l.writeBack(set, objectId, value);
                count("writeBack");
                lastInodeStore.put(objectId, "writeBack");
            }

            @Override
            public int defaultOwner(io.kddm.api.linker.SetContext set, long objectId) {
                return l.defaultOwner(set, objectId);
            }

            @Override
            public int storeReplicas(io.kddm.api.linker.SetContext set) {
                return l.storeReplicas(set);
            }

            @Override
            public List<Integer> storeNodes(io.kddm.api.linker.SetContext set, int home) {
                return l.storeNodes(set, home);
            }

            @Override
            public void missed(io.kddm.api.linker.SetContext set, long objectId, int node) {
                l.missed(set, objectId, node);
            }

            @Override
            public Map<Long, java.util.Set<Long>> missedBy(int node) {
                return l.missedBy(node);
            }

            @Override
            public void healed(io.kddm.api.linker.SetContext set, long objectId, int node) {
                l.healed(set, objectId, node);
            }

            @Override
            public Map<Long, java.util.Set<Long>> stored(int home) {
                return l.stored(home);
            }
        };
    }

    private void count(String kind) {
        inodeStores.computeIfAbsent(kind, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
    }

    int inodeStores(String kind) {
        java.util.concurrent.atomic.AtomicInteger n = inodeStores.get(kind);
        return n == null ? 0 : n.get();
    }

    /** The periodic pass of every node: written back, unforced. */
    List<String> writeBackAll() {
        List<String> failed = new ArrayList<>();
        kdfs.values().forEach(l -> failed.addAll(l.writeBackAll()));
        return failed;
    }

    /** Stores a replica missed on every node (their heal index records), since the start. */
    long storesMissed() {
        return kddm.values().stream().mapToLong(k -> k.coherence().stats().storesMissed.sum()).sum();
    }

    /** Sets kDFS's {@code close.waits} on every node. */
    void closeWaits(boolean waits) {
        kdfs.values().forEach(l -> l.closeWaits(waits));
    }

    /** Crashes node {@code id}: its messages stop, the others install a view without it. */
    void crash(int id) {
        network.crash(id);
    }

    /** Node {@code id}'s kDDM core. */
    KddmService kddm(int id) {
        return kddm.get(id);
    }

    /** What node {@code id} has mounted. */
    Mount mount(int id) {
        return kdfs.get(id).state();
    }

    Kdfs node(int id) {
        return kdfs.get(id).fs();
    }

    List<Kdfs> nodes() {
        return kdfs.values().stream().map(LocalKdfs::fs).toList();
    }

    /** Writes back everything every node changed; returns the failures. */
    List<String> syncAll() {
        List<String> failed = new ArrayList<>();
        kdfs.values().forEach(l -> failed.addAll(l.syncAll()));
        return failed;
    }

    /** Copies a partition as it is now (what a crash would leave), to start a node from. */
    static Path copy(Path from, Path to) throws java.io.IOException {
        try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(from)) {
            for (Path p : all.toList()) {
                java.nio.file.Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
        return to;
    }

    @Override
    public void close() {
        network.shutdown();
        kddm.values().forEach(KddmService::close);
        network.close();
    }
}
