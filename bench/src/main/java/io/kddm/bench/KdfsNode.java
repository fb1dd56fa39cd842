package io.kddm.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.kddm.impl.core.KddmService;
import io.kddm.membership.RaftMembership;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.impl.LocalKdfs;
import io.kddm.transport.mina.MinaTransport;
import io.kddm.transport.mina.TransportSettings;

/**
 * One kDDM node with kDFS, without the OSGi framework: its MINA transport on
 * 127.0.0.1, membership, core (default operation timeout, the memory budget
 * given) and kDFS wired on it ({@link LocalKdfs}). Either in the benchmark's
 * JVM, or, through {@link #main}, as a JVM of its own that the benchmark
 * starts and drives over its standard input.
 */
final class KdfsNode {
    final MinaTransport transport;
    final RaftMembership membership;
    final KddmService kddm;
    final LocalKdfs kdfs;

    /** Node {@code id} of a cluster of {@code count} (nodes 1 to 3 of it vote). */
    KdfsNode(int id, int count, List<InetSocketAddress> seeds, byte[] secret, long memoryBudget) throws IOException {
        transport = new MinaTransport(TransportSettings.of(id, new InetSocketAddress("127.0.0.1", 0), seeds, secret));
        transport.start();
        java.util.SortedSet<Integer> voters = new java.util.TreeSet<>();
        for (int v = 1; v <= Math.min(count, 3); v++) {
            voters.add(v);
        }
        membership = new RaftMembership(transport, voters,
                java.nio.file.Files.createTempDirectory("kddm-bench-raft").resolve("node-" + id + ".state"));
        kddm = new KddmService(transport, membership, Duration.ofMillis(KddmService.DEFAULT_OPERATION_TIMEOUT_MS),
                memoryBudget);
        kdfs = new LocalKdfs(kddm, membership);
        kdfs.families().forEach(kddm::addFamily);
        kdfs.ioLinkers().forEach(kddm::addIoLinker);
    }

    int id() {
        return kddm.localNode();
    }

    Kdfs fs() {
        return kdfs.fs();
    }

    InetSocketAddress address() {
        return transport.listenAddress();
    }

    void awaitUp(int count) throws InterruptedException {
        Figures.await("membership of node " + id() + " sees " + count + " nodes up", Duration.ofSeconds(30),
                () -> membership.view().members().size() == count && membership.hasLease());
    }

    /**
     * Stops at once, keeping nothing, as a node that crashed after everything was
     * written back: the benchmark then starts a fresh cluster over the same
     * partitions. (A regular close would first hand every owned object to
     * another node, or, alone, sync each one again.)
     */
    void halt() {
        transport.stop();
        kddm.coherence().close();
        membership.stop(false);
    }

    /**
     * A node in a JVM of its own: {@code ID SECRET_HEX BUDGET_BYTES PARTITION|NONE ROOT_INO SEED...}.
     * Prints {@code listening HOST:PORT} once its transport listens, {@code mounted}
     * once all {@code count} nodes are up and kDFS is mounted; then reads commands
     * ({@code sync}: write back, answers {@code synced}; {@code halt} or the end of
     * its input: stops at once, as {@link #halt}).
     */
    public static void main(String[] args) throws Exception {
        int id = Integer.parseInt(args[0]);
        byte[] secret = HexFormat.of().parseHex(args[1]);
        long budget = Long.parseLong(args[2]);
        String partition = args[3];
        int root = Integer.parseUnsignedInt(args[4]);
        int count = Integer.parseInt(args[5]);
        List<InetSocketAddress> seeds = new ArrayList<>();
        for (int i = 6; i < args.length; i++) {
            seeds.add(TransportSettings.address(args[i], "seed"));
        }
        KdfsNode node = new KdfsNode(id, count, seeds, secret, budget);
        System.out.println("listening " + node.address().getHostString() + ":" + node.address().getPort());
        System.out.flush();
        node.kdfs.mount(partition.equals("NONE") ? null : Path.of(partition),
                partition.equals("NONE") ? root : null);
        node.awaitUp(count);
        System.out.println("mounted");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null;) {
            if (line.equals("halt")) {
                break;
            }
        }
        node.halt();
        System.exit(0);
    }
}
