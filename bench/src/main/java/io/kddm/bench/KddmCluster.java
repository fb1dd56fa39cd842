package io.kddm.bench;

import java.lang.annotation.Annotation;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.kddm.api.membership.Membership;
import io.kddm.api.set.KddmSet;
import io.kddm.impl.core.KddmService;
import io.kddm.impl.membership.ClusterMembership;
import io.kddm.impl.membership.MembershipConfig;
import io.kddm.linker.memory.DemoFamily;
import io.kddm.linker.memory.MemoryIoLinker;
import io.kddm.linker.memory.NodeBitsDemoFamily;
import io.kddm.transport.mina.MinaTransport;
import io.kddm.transport.mina.TransportSettings;

/**
 * Nodes 1..n of a kDDM cluster in this JVM, each with its own MINA transport
 * on 127.0.0.1 (real TCP between them), membership, core and memory linker:
 * the same components a node runtime wires, without the OSGi framework.
 */
final class KddmCluster implements AutoCloseable {
    final List<MinaTransport> transports = new ArrayList<>();
    final List<Membership> memberships = new ArrayList<>();
    final List<KddmService> nodes = new ArrayList<>();

    KddmCluster(int count) throws java.io.IOException, InterruptedException {
        byte[] secret = "bench secret".getBytes(StandardCharsets.UTF_8);
        List<InetSocketAddress> seeds = new ArrayList<>();
        for (int id = 1; id <= count; id++) {
            MinaTransport t = new MinaTransport(TransportSettings.of(id, new InetSocketAddress("127.0.0.1", 0),
                    List.copyOf(seeds), secret));
            t.start();
            seeds.add(t.listenAddress());
            transports.add(t);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (MinaTransport t : transports) {
            while (t.connectedNodes().size() < count - 1) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("node " + t.localNode() + " connected to only "
                            + t.connectedNodes());
                }
                Thread.sleep(10);
            }
        }
        MemoryIoLinker memory = new MemoryIoLinker();
        for (MinaTransport t : transports) {
            ClusterMembership m = new ClusterMembership(t, DEFAULT_TIMINGS);
            memberships.add(m);
            KddmService k = new KddmService(t, m, Duration.ofSeconds(30));
            k.addIoLinker(memory);
            k.addFamily(new DemoFamily());
            k.addFamily(new NodeBitsDemoFamily());
            nodes.add(k);
        }
        for (Membership m : memberships) {
            while (m.nodes().stream().filter(n -> m.isUp(n.id())).count() < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("membership of node " + m.localNode() + ": " + m.nodes());
                }
                Thread.sleep(10);
            }
        }
    }

    /** The set {@code setId} as node {@code id} (1-based) sees it. */
    KddmSet set(int id, long setId) {
        return nodes.get(id - 1).lookup(setId);
    }

    KddmService node(int id) {
        return nodes.get(id - 1);
    }

    @Override
    public void close() {
        for (KddmService k : nodes) {
            k.close();
        }
        for (Membership m : memberships) {
            ((ClusterMembership) m).close();
        }
        for (MinaTransport t : transports) {
            t.stop();
        }
    }

    /** The defaults of {@code io.kddm.membership}, as Config Admin would give them. */
    private static final MembershipConfig DEFAULT_TIMINGS = new MembershipConfig() {
        @Override
        public long heartbeat_interval_ms() {
            return 250;
        }

        @Override
        public long suspect_after_ms() {
            return 1000;
        }

        @Override
        public long dead_after_ms() {
            return 3000;
        }

        @Override
        public Class<? extends Annotation> annotationType() {
            return MembershipConfig.class;
        }
    };
}
