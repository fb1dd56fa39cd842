package io.kddm.membership;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import io.kddm.api.membership.View;
import io.kddm.transport.mina.MinaTransport;
import io.kddm.transport.mina.TransportSettings;

/**
 * Nodes of one test in this JVM, over real MINA TCP on 127.0.0.1, each with a
 * fault hook ({@link FaultyTransport}) and its membership, with short timings.
 */
final class LocalNodes implements AutoCloseable {
    static final MembershipSettings FAST_TIMINGS = settings(Set.of(1));

    record Node(int id, MinaTransport mina, FaultyTransport transport, RaftMembership membership) {
    }

    private final Path dir;
    private final Set<Integer> voters;
    private final Map<Integer, Node> nodes = new TreeMap<>();
    private final byte[] secret = "membership test".getBytes(StandardCharsets.UTF_8);

    LocalNodes(Path dir, Integer... voters) {
        this.dir = dir;
        this.voters = new TreeSet<>(List.of(voters));
    }

    static MembershipSettings settings(Set<Integer> voters) {
        return new MembershipSettings(new TreeSet<>(voters), Duration.ofMillis(100), Duration.ofMillis(400),
                Duration.ofMillis(1200), Duration.ofMillis(800));
    }

    /** Starts node {@code id}, dialing every node started before (its Raft state, if a voter, in this test's folder). */
    synchronized Node start(int id) throws IOException {
        List<InetSocketAddress> peers = new ArrayList<>();
        for (Node n : nodes.values()) {
            n.mina().addressOf(n.id()).ifPresent(peers::add);
        }
        MinaTransport mina = new MinaTransport(new TransportSettings(id, new InetSocketAddress("127.0.0.1", 0), peers,
                secret, 1 << 20, Duration.ofSeconds(2), Duration.ofMillis(500), Duration.ofMillis(300)));
        mina.start();
        FaultyTransport t = new FaultyTransport(mina);
        RaftMembership m = new RaftMembership(t, settings(voters), dir.resolve("raft-" + id + ".state"));
        Node n = new Node(id, mina, t, m);
        nodes.put(id, n);
        return n;
    }

    synchronized Node node(int id) {
        return nodes.get(id);
    }

    synchronized List<Node> running() {
        return new ArrayList<>(nodes.values());
    }

    /** Leaves in order ({@code leave}) or stops as a crash would, and stops the transport. */
    synchronized void stop(int id, boolean leave) {
        Node n = nodes.remove(id);
        if (!leave) {
            n.transport().pause(true); // nothing more goes out: a crash
        }
        n.membership().stop(leave);
        n.mina().stop();
    }

    /** Waits up to 30 s for {@code condition}; fails with {@code what} and every node's view. */
    void await(Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                StringBuilder b = new StringBuilder("timed out waiting until " + what.get() + "; views:");
                for (Node n : running()) {
                    b.append("\n  node ").append(n.id()).append(": ").append(n.membership().view()).append(", lease ")
                            .append(n.membership().hasLease());
                }
                throw new AssertionError(b.toString());
            }
            Thread.sleep(10);
        }
    }

    /** Every running node has installed a view of exactly {@code members}, the same epoch everywhere, and holds a lease. */
    boolean agree(Integer... members) {
        Set<Integer> want = new TreeSet<>(List.of(members));
        long epoch = -1;
        for (Node n : running()) {
            View v = n.membership().view();
            if (!v.members().keySet().equals(want) || !n.membership().hasLease() || (epoch >= 0 && v.epoch() != epoch)) {
                return false;
            }
            epoch = v.epoch();
        }
        return true;
    }

    @Override
    public synchronized void close() {
        for (Node n : new ArrayList<>(nodes.values())) {
            n.transport().pause(true);
            n.membership().stop(false);
            n.mina().stop();
        }
        nodes.clear();
    }
}
