package io.kddm.impl.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.impl.core.Await;

import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.NodeState;
import io.kddm.transport.mina.MinaTransport;
import io.kddm.transport.mina.TransportSettings;

/** Three nodes in this JVM over real loopback TCP, with fast failure detection. */
class ClusterMembershipTest {
    private static final byte[] SECRET = "s3cret".getBytes(StandardCharsets.UTF_8);
    private static final Timings FAST = new Timings(Duration.ofMillis(50), Duration.ofMillis(300),
            Duration.ofMillis(800));

    private record Node(MinaTransport transport, ClusterMembership membership) {
        void crash() {
            // No leave notice: the transport just goes away, as under kill -9.
            transport.stop();
        }

        void leave() {
            membership.close();
            transport.stop();
        }
    }

    private final List<Node> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        for (Node n : nodes) {
            n.membership.close();
            n.transport.stop();
        }
    }

    private Node start(int id, InetSocketAddress listen, InetSocketAddress... peers) throws IOException {
        MinaTransport t = new MinaTransport(TransportSettings.of(id, listen, List.of(peers), SECRET));
        t.start();
        ClusterMembership m = new ClusterMembership(t, FAST);
        Node n = new Node(t, m);
        nodes.add(n);
        return n;
    }

    private static InetSocketAddress any() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Await.until(what, condition);
    }

    private static NodeState state(Node observer, int id) {
        return observer.membership.node(id).map(NodeInfo::state).orElse(null);
    }

    @Test
    void threeNodesSeeEachOtherWithRoundTripTimes() throws Exception {
        Node a = start(1, any());
        Node b = start(2, any(), a.transport.listenAddress());
        Node c = start(3, any(), a.transport.listenAddress(), b.transport.listenAddress());
        for (Node n : List.of(a, b, c)) {
            await("3 alive with rtt", () -> n.membership.nodes().stream()
                    .filter(i -> i.state() == NodeState.ALIVE && (i.local() || i.rtt().isPresent())).count() == 3);
        }
        List<NodeInfo> seen = b.membership.nodes();
        assertEquals(List.of(1, 2, 3), seen.stream().map(NodeInfo::id).toList());
        assertTrue(seen.get(1).local());
        assertEquals(b.transport.listenAddress().getPort(),
                Integer.parseInt(seen.get(1).address().split(":")[1]));
    }

    @Test
    void crashedNodeBecomesDeadWithinTheBoundThenRejoins() throws Exception {
        Node a = start(1, any());
        Node b = start(2, any(), a.transport.listenAddress());
        List<String> events = new CopyOnWriteArrayList<>();
        a.membership.addListener((node, previous) -> events.add(node.id() + ":" + previous + "->" + node.state()));
        await("alive", () -> state(a, 2) == NodeState.ALIVE);
        long incarnation = a.membership.node(2).orElseThrow().incarnation();
        InetSocketAddress bAddress = b.transport.listenAddress();

        long crashed = System.nanoTime();
        b.crash();
        nodes.remove(b);
        await("dead", () -> state(a, 2) == NodeState.DEAD);
        long detection = System.nanoTime() - crashed;
        assertTrue(detection <= FAST.detectionBound().toNanos() + TimeUnit.MILLISECONDS.toNanos(500),
                "detected after " + detection / 1_000_000 + " ms; bound " + FAST.detectionBound().toMillis());
        // Listeners hear of it on the events thread, possibly after the state changed.
        Await.until(() -> "SUSPECT then DEAD reported: " + events,
                () -> events.contains("2:ALIVE->SUSPECT") && events.contains("2:SUSPECT->DEAD"));
        assertTrue(!a.membership.isUp(2));

        Node b2 = start(2, bAddress);
        await("alive again", () -> state(a, 2) == NodeState.ALIVE);
        assertNotEquals(incarnation, a.membership.node(2).orElseThrow().incarnation());
        Await.until(() -> "DEAD->ALIVE reported: " + events, () -> events.contains("2:DEAD->ALIVE"));
        await("b2 sees a", () -> state(b2, 1) == NodeState.ALIVE);
    }

    /**
     * A node restarted faster than the failure detector: its old incarnation must
     * still be reported DEAD (the core drops what it held) before the new one is ALIVE.
     */
    @Test
    void fastRestartIsReportedDeadBeforeTheNewIncarnationIsAlive() throws Exception {
        Node a = start(1, any());
        Node b = start(2, any(), a.transport.listenAddress());
        List<String> events = new CopyOnWriteArrayList<>();
        a.membership.addListener((node, previous) -> events.add(node.id() + ":" + previous + "->" + node.state()
                + "@" + node.incarnation()));
        await("alive", () -> state(a, 2) == NodeState.ALIVE);
        long old = a.membership.node(2).orElseThrow().incarnation();
        InetSocketAddress bAddress = b.transport.listenAddress();
        long crashed = System.nanoTime();
        b.crash();
        nodes.remove(b);
        start(2, bAddress, a.transport.listenAddress());
        await("new incarnation alive", () -> state(a, 2) == NodeState.ALIVE
                && a.membership.node(2).orElseThrow().incarnation() != old);
        long back = System.nanoTime() - crashed;
        // Listeners hear of it on the events thread, possibly after the state changed.
        Await.until(() -> "DEAD then ALIVE reported: " + events, () -> events.stream().anyMatch(
                e -> e.contains("DEAD->ALIVE") && !e.endsWith("@" + old)));
        int dead = -1;
        int alive = -1;
        for (int i = 0; i < events.size(); i++) {
            String e = events.get(i);
            if (e.contains("->DEAD@" + old)) {
                dead = i;
            } else if (e.contains("DEAD->ALIVE") && !e.endsWith("@" + old)) {
                alive = i;
            }
        }
        assertTrue(dead >= 0 && alive > dead, events.toString());
        System.out.println("node 2 back after " + back / 1_000_000 + " ms (dead after "
                + FAST.deadAfter().toMillis() + " ms of silence): " + events);
    }

    /** A node declared dead that comes back as the same incarnation (a pause) is refused. */
    @Test
    void aDeadNodeComingBackWithoutRestartingIsRefused() throws Exception {
        Node a = start(1, any());
        Node b = start(2, any(), a.transport.listenAddress());
        await("alive", () -> state(a, 2) == NodeState.ALIVE);
        NodeInfo before = a.membership.node(2).orElseThrow();
        b.crash();
        nodes.remove(b);
        await("dead", () -> state(a, 2) == NodeState.DEAD);
        // what the transport reports when the paused node's connection is re-established
        a.membership.connected(2, before.incarnation(), b.transport.listenAddress());
        assertEquals(NodeState.DEAD, state(a, 2));
        assertTrue(!a.membership.isUp(2));
    }

    @Test
    void leavingNodeIsLeftNotDead() throws Exception {
        Node a = start(1, any());
        Node b = start(2, any(), a.transport.listenAddress());
        await("alive", () -> state(a, 2) == NodeState.ALIVE);
        b.leave();
        nodes.remove(b);
        await("left", () -> state(a, 2) == NodeState.LEFT);
        Thread.sleep(FAST.deadAfter().toMillis() + 200);
        assertEquals(NodeState.LEFT, state(a, 2), "a node that left is not reported dead later");
    }

    @Test
    void lateListenerIsToldOfKnownNodes() throws Exception {
        Node a = start(1, any());
        start(2, any(), a.transport.listenAddress());
        await("alive", () -> state(a, 2) == NodeState.ALIVE);
        List<String> events = new CopyOnWriteArrayList<>();
        a.membership.addListener((node, previous) -> events.add(node.id() + " " + previous + "->" + node.state()));
        await("replayed", () -> events.equals(List.of("2 null->ALIVE")));
    }

    @Test
    void inconsistentTimingsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new Timings(Duration.ofMillis(500), Duration.ofMillis(400), Duration.ofMillis(1000)));
    }
}
