package io.kddm.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.kddm.api.set.KddmSet;
import io.kddm.impl.core.KddmService;
import io.kddm.membership.RaftMembership;
import io.kddm.linker.file.FileFamily;
import io.kddm.linker.file.FileIoLinker;
import io.kddm.linker.memory.DemoFamily;
import io.kddm.linker.memory.MemoryIoLinker;
import io.kddm.linker.memory.NodeBitsDemoFamily;
import io.kddm.transport.mina.MinaTransport;
import io.kddm.transport.mina.TransportSettings;

/**
 * Nodes 1..n of a kDDM cluster in this JVM, each with its own MINA transport
 * on 127.0.0.1 (real TCP between them), membership, core and memory linker,
 * all on their default settings: the components a node runtime wires, without
 * the OSGi framework. Optionally also the file IO linker and its family, each
 * node with a store of its own.
 */
final class KddmCluster implements AutoCloseable {
    private final List<MinaTransport> transports = new ArrayList<>();
    private final List<RaftMembership> memberships = new ArrayList<>();
    private final List<KddmService> nodes = new ArrayList<>();

    /** {@code demo-r2} in visible mode: a put returns before its backup is kept (benchmarks only). */
    static final String VISIBLE = "bench-r2-visible";
    private static final io.kddm.api.linker.SetFamily VISIBLE_BACKUP = new io.kddm.api.linker.SetFamily() {
        @Override
        public String name() {
            return VISIBLE;
        }

        @Override
        public String ioLinker() {
            return MemoryIoLinker.ID;
        }

        @Override
        public io.kddm.api.linker.HomePolicy home() {
            return io.kddm.api.linker.HomePolicy.NODE_BITS;
        }

        @Override
        public int backups() {
            return 1;
        }

        @Override
        public io.kddm.api.linker.BackupMode backupMode() {
            return io.kddm.api.linker.BackupMode.VISIBLE;
        }
    };

    KddmCluster(int count) throws IOException, InterruptedException {
        this(count, null);
    }

    /** @param fileStores if not null, node N also has the {@code file} family, its objects under fileStores/node-N */
    KddmCluster(int count, Path fileStores) throws IOException, InterruptedException {
        byte[] secret = "bench secret".getBytes(StandardCharsets.UTF_8);
        List<InetSocketAddress> seeds = new ArrayList<>();
        for (int id = 1; id <= count; id++) {
            MinaTransport t = new MinaTransport(TransportSettings.of(id, new InetSocketAddress("127.0.0.1", 0),
                    List.copyOf(seeds), secret));
            t.start();
            seeds.add(t.listenAddress());
            transports.add(t);
        }
        MemoryIoLinker memory = new MemoryIoLinker();
        java.util.SortedSet<Integer> voters = new java.util.TreeSet<>();
        for (int id = 1; id <= Math.min(count, 3); id++) {
            voters.add(id);
        }
        Path raft = java.nio.file.Files.createTempDirectory("kddm-bench-raft");
        for (MinaTransport t : transports) {
            RaftMembership m = new RaftMembership(t, voters, raft.resolve("node-" + t.localNode() + ".state"));
            memberships.add(m);
            KddmService k = new KddmService(t, m, Duration.ofMillis(KddmService.DEFAULT_OPERATION_TIMEOUT_MS));
            k.addIoLinker(memory);
            k.addFamily(new DemoFamily());
            k.addFamily(new NodeBitsDemoFamily());
            k.addFamily(new io.kddm.linker.memory.RedundantDemoFamily());
            k.addFamily(VISIBLE_BACKUP);
            if (fileStores != null) {
                k.addIoLinker(new FileIoLinker(fileStores.resolve("node-" + k.localNode())));
                k.addFamily(new FileFamily());
            }
            nodes.add(k);
        }
        // A node is up for membership once connected and heard: that covers the transports too.
        for (RaftMembership m : memberships) {
            Figures.await("membership of node " + m.localNode() + " sees " + count + " nodes up",
                    Duration.ofSeconds(30), () -> m.view().members().size() == count && m.hasLease());
        }
    }

    KddmService node(int id) {
        return nodes.get(id - 1);
    }

    RaftMembership membership(int id) {
        return memberships.get(id - 1);
    }

    MinaTransport transport(int id) {
        return transports.get(id - 1);
    }

    /** The set {@code setId} as node {@code id} sees it. */
    KddmSet set(int id, long setId) {
        return node(id).lookup(setId);
    }

    @Override
    public void close() {
        nodes.forEach(KddmService::close);
        memberships.forEach(m -> m.stop(false)); // a benchmark's end: nobody needs to be told
        transports.forEach(MinaTransport::stop);
    }
}
