package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.ObjectStatus;

/** {@link KddmSet#status}: an object's state as each node sees it, the same as {@code kddm:objects} lists. */
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
        ObjectStatus home = b.status(object);
        assertEquals(2, home.home());
        assertEquals("INV_COPY", home.state(), "the home holds no copy");
        assertEquals(1, home.owner(), "its home knows node 1 owns it");
        assertEquals(home.homeState(), services.get(1).objects(a.id()).get(0).homeState(), "as kddm:objects says");
        assertNull(a.status(object).homeState(), "only the home has a record");
        assertThrows(IllegalArgumentException.class, () -> a.status(-1));
        assertThrows(IllegalArgumentException.class, () -> a.status(KddmSet.MAX_OBJECT_ID + 1));
    }
}
