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
    /** What a test watches of each node's IO linkers ({@link #watch}). */
    private final Map<Integer, LinkerCall> watchers = new java.util.concurrent.ConcurrentHashMap<>();
    private final long seed;
    private final Duration maxDelay;
    private final List<Path> partitions;
    private final Volume volume;

    /**
     * A call to one of a node's IO linkers ({@code linker}, its id), seen on the
     * thread that makes it: {@code firstTouch}, {@code sync} and {@code stored}
     * before the linker runs, {@code healed} after. {@code home} is the node whose partition holds the object (for
     * {@code stored}, the home asked for); {@code node} is the store node healed
     * ({@code healed}), else -1. A watcher may block (the caller waits) or throw.
     */
    interface LinkerCall {
        void called(String linker, String method, int home, long objectId, int node);
    }

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
        this.seed = seed;
        this.maxDelay = maxDelay;
        this.partitions = new ArrayList<>(partitions);
        this.volume = volume;
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
            int node = id;
            l.ioLinkers().forEach(li -> k.addIoLinker(watched(node, li, li.id().equals(InodeLinker.ID))));
            kddm.put(id, k);
            kdfs.put(id, l);
        }
        for (int id = 1; id <= count; id++) {
            Path dir = partitions.get(id - 1);
            kdfs.get(id).mount(dir, dir == null ? LocalKdfs.rootIno(1) : null);
        }
    }

    /** Node {@code id}'s IO linker {@code l}, seen by {@link #watch}; with {@code counted}, its stores counted by kind. */
    private io.kddm.api.linker.IoLinker watched(int id, io.kddm.api.linker.IoLinker l, boolean counted) {
        boolean inodes = l.id().equals(InodeLinker.ID);
        return new io.kddm.api.linker.IoLinker() {
            private void see(String method, io.kddm.api.linker.SetContext set, long objectId, int node) {
                LinkerCall w = watchers.get(id);
                if (w != null) {
                    w.called(l.id(), method, Ino.node(inodes ? Ino.ofObject(objectId) : Ino.ofSet(set.setId())),
                            objectId, node);
                }
            }

            @Override
            public String id() {
                return l.id();
            }

            @Override
            public byte[] firstTouch(io.kddm.api.linker.SetContext set, long objectId) {
                see("firstTouch", set, objectId, -1);
                return l.firstTouch(set, objectId);
            }

            @Override
            public byte[] export(io.kddm.api.linker.SetContext set, long objectId, byte[] value) {
                return l.export(set, objectId, value);
            }

            @Override
            public byte[] importObject(io.kddm.api.linker.SetContext set, long objectId, byte[] wire) {
                return l.importObject(set, objectId, wire);
            }

            @Override
            public void insert(io.kddm.api.linker.SetContext set, long objectId, byte[] value) {
                l.insert(set, objectId, value);
            }

            @Override
            public void invalidate(io.kddm.api.linker.SetContext set, long objectId) {
                l.invalidate(set, objectId);
            }

            @Override
            public void put(io.kddm.api.linker.SetContext set, long objectId, byte[] value) {
                l.put(set, objectId, value);
            }

            @Override
            public void remove(io.kddm.api.linker.SetContext set, long objectId) {
                l.remove(set, objectId);
            }

            @Override
            public void sync(io.kddm.api.linker.SetContext set, long objectId, byte[] value) {
                see("sync", set, objectId, -1);
                l.sync(set, objectId, value);
                if (counted) {
                    count("sync");
                    lastInodeStore.put(objectId, "sync");
                }
            }

            @Override
            public void writeBack(io.kddm.api.linker.SetContext set, long objectId, byte[] value) {
                l.writeBack(set, objectId, value);
                if (counted) {
                    count("writeBack");
                    lastInodeStore.put(objectId, "writeBack");
                }
            }

            @Override
            public int defaultOwner(io.kddm.api.linker.SetContext set, long objectId) {
                return l.defaultOwner(set, objectId);
            }

            @Override
            public byte[] storedVersion(io.kddm.api.linker.SetContext set, long objectId) {
                return l.storedVersion(set, objectId);
            }

            @Override
            public void storedAs(io.kddm.api.linker.SetContext set, long objectId, byte[] version, boolean durable) {
                l.storedAs(set, objectId, version, durable);
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
                see("healed", set, objectId, node);
            }

            @Override
            public Map<Long, java.util.Set<Long>> stored(int home) {
                LinkerCall w = watchers.get(id);
                if (w != null) {
                    w.called(l.id(), "stored", home, -1, -1);
                }
                return l.stored(home);
            }
        };
    }

    /** {@code watcher} sees every later call to node {@code id}'s IO linkers (null: none any more). */
    void watch(int id, LinkerCall watcher) {
        if (watcher == null) {
            watchers.remove(id);
        } else {
            watchers.put(id, watcher);
        }
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

    /**
     * Every node crashed at once and started again, unformatted, on a copy of its
     * partition folder made at the crash (in {@code into}, one folder per node,
     * diskless nodes skipped): what the disks kept, nothing of what this cluster's
     * stop would store or record. (SimNetwork brings no single crashed node back
     * into a running cluster.) This cluster is closed.
     */
    KdfsCluster restarted(Path into) throws java.io.IOException {
        List<Path> copies = new ArrayList<>();
        java.nio.file.Files.createDirectories(into);
        for (int i = 0; i < partitions.size(); i++) {
            Path p = partitions.get(i);
            copies.add(p == null ? null : copy(p, into.resolve("p" + (i + 1))));
        }
        close();
        return new KdfsCluster(seed + 1, maxDelay, copies, false, volume);
    }

    /** Node {@code id}'s partition folder (null if diskless). */
    Path partition(int id) {
        return partitions.get(id - 1);
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
