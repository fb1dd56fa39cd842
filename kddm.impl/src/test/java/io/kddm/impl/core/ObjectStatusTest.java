package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.KddmStats;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.ObjectStatus;

/**
 * {@link KddmSet#status}: an object's state as each node sees it, the same as {@code kddm:objects} lists;
 * {@link io.kddm.api.set.Kddm#stats}: the node's counters.
 */
class ObjectStatusTest {
    private SimNetwork network;
    private final List<KddmService> services = new ArrayList<>();

    @AfterEach
    void stop() {
        SimNetwork.stop(network, services);
    }

    @Test
    void statesOfAnObjectOnEveryNodeFollowItsGetsAndGrabs() {
        network = new SimNetwork(7, Duration.ofMillis(1));
        services.addAll(network.cluster(3, Duration.ofSeconds(10), CoherenceTest.TEST, CoherenceTest.MEMORY));
        KddmSet a = services.get(0).create(CoherenceTest.FAMILY);
        KddmSet b = services.get(1).lookup(a.id());
        KddmSet c = services.get(2).lookup(a.id());
        long object = 4; // round robin over [1 2 3]: homed on node 2
        assertEquals("INV_COPY", a.status(object).state(), "never touched");
        try (ObjectHandle h = a.grab(object)) {
            h.value(new byte[] {1, 2, 3});
            ObjectStatus held = a.status(object);
            assertEquals("WRITE_OWNER", held.state());
            assertEquals(1, held.writers());
        }
        assertEquals(3, a.status(object).bytes(), "the value the grab published");
        assertEquals(0, a.status(object).writers());
        try (ObjectHandle h = c.get(object)) {
            assertEquals("READ_COPY", c.status(object).state());
            assertEquals(1, c.status(object).readers());
        }
        ObjectStatus owner = a.status(object);
        assertEquals("READ_OWNER", owner.state(), "the owner keeps its copy once another node reads it");
        assertEquals(List.of(3), owner.copyset());
        assertEquals(0, owner.writers());
        // the home's record goes back to OWNED only once node 3 told it the copy arrived, after c's get returned
        ObjectStatus home = settledAtItsHome(b, object);
        assertEquals("OWNED", home.homeState());
        assertEquals(2, home.home());
        assertEquals("INV_COPY", home.state(), "the home holds no copy");
        assertEquals(1, home.owner(), "its home knows node 1 owns it");
        assertEquals(home.homeState(), services.get(1).objects(a.id()).get(0).homeState(), "as kddm:objects says");
        assertNull(a.status(object).homeState(), "only the home has a record");
        assertThrows(IllegalArgumentException.class, () -> a.status(-1));
        assertThrows(IllegalArgumentException.class, () -> a.status(KddmSet.MAX_OBJECT_ID + 1));
    }

    /** The home's view of the object once no request is in motion (a liveness bound, not a timing check). */
    private static ObjectStatus settledAtItsHome(KddmSet home, long object) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        ObjectStatus status = home.status(object);
        while (!"OWNED".equals(status.homeState()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            status = home.status(object);
        }
        return status;
    }

    @Test
    void statsCountEveryGetAndGrabOfTheNode() {
        network = new SimNetwork(8, Duration.ofMillis(1));
        services.addAll(network.cluster(2, Duration.ofSeconds(10), CoherenceTest.TEST, CoherenceTest.MEMORY));
        KddmSet a = services.get(0).create(CoherenceTest.FAMILY);
        KddmSet b = services.get(1).lookup(a.id());
        KddmStats before = services.get(1).stats();
        for (int i = 0; i < 5; i++) {
            try (ObjectHandle h = a.grab(i)) {
                h.value(new byte[] {(byte) i});
            }
        }
        for (int i = 0; i < 5; i++) {
            try (ObjectHandle h = b.get(i)) {
                assertEquals(i, h.value()[0]);
            }
        }
        try (ObjectHandle h = b.get(0)) { // still a read copy here: a local hit
            assertEquals(0, h.value()[0]);
        }
        KddmStats sa = services.get(0).stats();
        KddmStats sb = services.get(1).stats();
        assertEquals(5, sa.grabs());
        assertEquals(0, sa.gets());
        assertEquals(5, sa.grab().count());
        assertEquals(before.gets() + 6, sb.gets());
        assertEquals(6, sb.get().count() - before.get().count());
        assertEquals(5, sb.remoteFetches() - before.remoteFetches());
        assertEquals(1, sb.localHits() - before.localHits());
        assertEquals(5, sb.bytesHeld(), "five one-byte read copies");
        KddmStats.Latency window = sb.get().since(before.get());
        assertEquals(6, window.count());
        assertTrue(window.percentile(50) > 0 && window.percentile(50) <= window.percentile(99));
        assertEquals(services.get(1).coherence().stats().getLatency.percentile(99), sb.get().percentile(99),
                "the same percentiles as kddm:stats");
    }
}
