package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.ObjectLostException;
import io.kddm.impl.shell.Counter;

/**
 * More failures than backups (rows R25-R28), on the simulated network: four
 * nodes, one backup. Objects 3, 7 and 11 are homed on node 4 (round robin);
 * node 4 owns 3 and 7, and their only backup is on node 1. When 4 and 1 die, no
 * survivor knows those objects existed: a touch of them must fail with
 * ObjectLostException, not make them anew at 0, until an operator clears the
 * range. When the cluster had restored the backups between two crashes, or
 * nodes left in order, nothing is uncertain and nothing is lost.
 */
class CrashLedgerTest {
    private static final long[] OWNED_BY_FOUR = {3, 7};
    private static final long NEVER_TOUCHED = 11;
    /** In the well-known set: homed on node 4 by its node bits. */
    private static final long ON_FOUR = (4L << 24) | 3;
    /** One backup, homes by the object id's node bits (what a well-known set needs). */
    private static final io.kddm.api.linker.SetFamily BITS_R1 = new io.kddm.api.linker.SetFamily() {
        @Override
        public String name() {
            return "test-r1-bits";
        }

        @Override
        public String ioLinker() {
            return CoherenceTest.MEMORY.id();
        }

        @Override
        public io.kddm.api.linker.HomePolicy home() {
            return io.kddm.api.linker.HomePolicy.NODE_BITS;
        }

        @Override
        public int backups() {
            return 1;
        }
    };
    private SimNetwork network;
    private final List<KddmService> services = new ArrayList<>();

    @AfterEach
    void stop() {
        SimNetwork.stop(network, services);
    }

    private List<KddmService> cluster(long seed) {
        network = new SimNetwork(seed, Duration.ofNanos(50_000));
        services.addAll(network.cluster(4, Duration.ofSeconds(10), FailoverTest.ONE_BACKUP, CoherenceTest.MEMORY));
        return services;
    }

    /** Node 4 counts objects 3 and 7 to 20 (it owns them, backed up on node 1); returns the set's id. */
    private long countOnFour(List<KddmService> nodes) throws Exception {
        long setId = nodes.get(0).create("test-r1").id();
        KddmSet four = nodes.get(3).lookup(setId);
        for (int i = 0; i < 20; i++) {
            for (long o : OWNED_BY_FOUR) {
                try (ObjectHandle h = four.grab(o)) {
                    h.value(Counter.encode(Counter.decode(h.value()) + 1));
                }
            }
        }
        assertEquals(List.of(1), Replication.place(List.of(1, 2, 3, 4), 4, 4, 1), "the backups of node 4's objects");
        return setId;
    }

    /** Object ON_FOUR of the well-known set, homed on node 4, counted to 20 there (its backup on node 1). */
    private static void countWellKnownOnFour(List<KddmService> nodes, long setId) {
        nodes.forEach(k -> k.addFamily(BITS_R1));
        KddmSet four = nodes.get(3).wellKnown(setId, "test-r1-bits");
        for (int i = 0; i < 20; i++) {
            try (ObjectHandle h = four.grab(ON_FOUR)) {
                h.value(Counter.encode(Counter.decode(h.value()) + 1));
            }
        }
    }

    private static long read(KddmService node, long setId, long objectId) {
        try (ObjectHandle h = node.lookup(setId).get(objectId)) {
            return Counter.decode(h.value());
        }
    }

    @Test
    @Covers({R26, R27, R28})
    void anObjectWhoseEveryCopyDiedWithItsHomeIsLostNotMadeAnewUntilCleared() throws Exception {
        List<KddmService> nodes = cluster(41);
        long setId = countOnFour(nodes);
        network.crash(4, 1); // home, owner and backup at once: more crashes (2) than backups (1)
        for (KddmService survivor : List.of(nodes.get(1), nodes.get(2))) {
            for (long o : new long[] {3, 7, NEVER_TOUCHED}) {
                ObjectLostException lost = assertThrows(ObjectLostException.class, () -> read(survivor, setId, o),
                        "object " + o + " from node " + survivor.localNode());
                assertTrue(lost.getMessage().contains("may have been lost"), lost.getMessage());
            }
            Map<Integer, String> homes = survivor.coherence().uncertainHomes();
            assertTrue(homes.containsKey(4) && homes.containsKey(1) && homes.get(4).startsWith("2 crashes"),
                    "node " + survivor.localNode() + " marked homes 1 and 4: " + homes);
        }
        assertEquals(0, read(nodes.get(1), setId, 2), "object 2, homed on node 3 (alive), is made at its first touch");
        nodes.get(2).coherence().clearUncertain(setId, 4);
        Await.until("node 2 hears of the clear", () -> nodes.get(1).coherence().uncertainty(setId, 4) == null);
        assertEquals(0, read(nodes.get(1), setId, 3), "object 3, its loss accepted, is made anew");
        assertEquals(0, read(nodes.get(2), setId, NEVER_TOUCHED), "so is a never-touched object of home 4");
        assertThrows(ObjectLostException.class, () -> read(nodes.get(1), setId, 0), "home 1 is still uncertain");
    }

    /**
     * A well-known set only nodes 4 and 1 had open: the survivors never rebuilt
     * its ranges, but they marked home 4 when its acting home crashed, whatever
     * the sets; node 2, opening the set afterwards, reads node 4's object as lost.
     */
    @Test
    @Covers({R27})
    void aSetNoSurvivorHadOpenIsUncertainWhenOpenedLater() throws Exception {
        List<KddmService> nodes = cluster(45);
        long setId = io.kddm.api.set.SetIds.of(0, 33);
        countWellKnownOnFour(nodes, setId);
        network.crash(4, 1);
        KddmSet two = nodes.get(1).wellKnown(setId, "test-r1-bits");
        ObjectLostException lost = assertThrows(ObjectLostException.class, () -> {
            try (ObjectHandle h = two.get(ON_FOUR)) {
                h.value();
            }
        }, "node 4's object, read by node 2, which opened the set after the crashes");
        assertTrue(lost.getMessage().contains("may have been lost"), lost.getMessage());
    }

    /**
     * Five nodes: object 2 homed on node 3, owned by node 4, backed up on node 5;
     * 4 and 5 crash at once, and home 3 finds it lost (R8). Then node 3 leaves in
     * order: node 1, acting for home 3 from then on, knows from the claims that it
     * was lost, and does not make it anew (R29), until an operator clears it.
     */
    @Test
    @Covers({R29, R28})
    void aLostObjectStaysLostWhenItsHomeMoves() throws Exception {
        network = new SimNetwork(46, Duration.ofNanos(50_000));
        services.addAll(network.cluster(5, Duration.ofSeconds(10), FailoverTest.ONE_BACKUP, CoherenceTest.MEMORY));
        List<KddmService> nodes = services;
        long setId = nodes.get(0).create("test-r1").id();
        try (ObjectHandle h = nodes.get(3).lookup(setId).grab(2)) {
            h.value(Counter.encode(7));
        }
        assertEquals(List.of(5), Replication.place(List.of(1, 2, 3, 4, 5), 3, 4, 1), "object 2's backup");
        network.crash(4, 5);
        ObjectLostException lost = assertThrows(ObjectLostException.class, () -> read(nodes.get(1), setId, 2));
        assertTrue(lost.getMessage().contains("was lost with node 4"), lost.getMessage());
        Await.until("node 1 knows object 2 lost", () -> nodes.get(0).coherence().lostObjects() == 1);
        assertEquals(0, nodes.get(2).coherence().evacuate(Duration.ofSeconds(5)), "node 3 handed everything over");
        network.crash(3);
        for (KddmService survivor : List.of(nodes.get(0), nodes.get(1))) {
            ObjectLostException still = assertThrows(ObjectLostException.class, () -> read(survivor, setId, 2),
                    "object 2 from node " + survivor.localNode() + ", its home moved to node 1");
            assertTrue(still.getMessage().contains("was lost with node 4"), still.getMessage());
        }
        nodes.get(1).coherence().clearUncertain(setId, 3);
        Await.until("node 1 hears of the clear", () -> nodes.get(0).coherence().lostObjects() == 0);
        assertEquals(0, read(nodes.get(1), setId, 2), "made anew once its loss is accepted");
    }

    /**
     * A well-known set only node 4 (its objects' home and owner) and node 1 (their
     * backup, and their acting home once 4 is gone) had open: node 4 crashes, and
     * long after, node 1. Node 1 never rebuilt the set (nobody opened it), so its
     * backup was the last copy all along: it must not report itself fully
     * replicated while it holds a backup of a dead owner that no home took over,
     * and the second crash marks home 4 (the review's first finding).
     */
    @Test
    @Covers({R26, R27})
    void aBackupOfADeadOwnerThatNoHomeTookOverKeepsTheCrashCounted() throws Exception {
        List<KddmService> nodes = cluster(47);
        long setId = io.kddm.api.set.SetIds.of(0, 34);
        countWellKnownOnFour(nodes, setId);
        network.crash(4);
        Thread.sleep(500); // every survivor reports whatever it can
        assertTrue(nodes.get(1).coherence().ledger.unrecovered() >= 1, "node 1 holds node 4's only backup: the crash "
                + "stays counted");
        network.crash(1);
        KddmSet two = nodes.get(1).wellKnown(setId, "test-r1-bits");
        assertThrows(ObjectLostException.class, () -> {
            try (ObjectHandle h = two.get(ON_FOUR)) {
                h.value();
            }
        }, "node 4's object, its last copy gone with node 1");
    }

    /**
     * Node 1, which keeps the backups of node 4's objects, leaves in order; node
     * 4 (their home and owner) crashes 0-100 ms later, maybe before it backed them
     * up again: each object reads 20 or is reported lost, never 0 (an orderly
     * leave counts until recovered from: the backups it kept went with it).
     */
    @RepeatedTest(5)
    @Covers({R25, R27})
    void aBackupHolderLeavingInOrderThenTheOwnerCrashingNeverMakesAnObjectAnew(RepetitionInfo round)
            throws Exception {
        List<KddmService> nodes = cluster(70 + round.getCurrentRepetition());
        long setId = countOnFour(nodes);
        assertEquals(0, nodes.get(0).coherence().evacuate(Duration.ofSeconds(5)), "node 1 handed everything over");
        network.crash(1);
        Thread.sleep(new long[] {0, 1, 5, 20, 100}[round.getCurrentRepetition() - 1]);
        network.crash(4);
        assertEachTwentyOrMayBeLost(nodes.get(1), setId);
    }

    /** Each object node 4 owned reads 20 on {@code at}, or fails as "may have been lost": never made anew. */
    private void assertEachTwentyOrMayBeLost(KddmService at, long setId) throws Exception {
        for (long o : OWNED_BY_FOUR) {
            try {
                assertEquals(20, read(at, setId, o), "object " + o + ", when not reported lost");
            } catch (ObjectLostException lost) {
                assertTrue(lost.getMessage().contains("may have been lost"), lost.getMessage());
            }
        }
    }

    /**
     * The two crashes in two views, a random while apart: in between, node 1 may
     * or may not have rebuilt home 4 and backed its objects up again on node 2.
     * Either the values survive or the objects are reported lost; never made anew.
     */
    @RepeatedTest(6)
    @Covers({R26, R27})
    void twoCrashesInTwoViewsNeverMakeAnObjectAnew(RepetitionInfo round) throws Exception {
        List<KddmService> nodes = cluster(60 + round.getCurrentRepetition());
        long setId = countOnFour(nodes);
        network.crash(4);
        Thread.sleep(new long[] {0, 1, 5, 20, 100, 500}[round.getCurrentRepetition() - 1]);
        network.crash(1);
        assertEachTwentyOrMayBeLost(nodes.get(1), setId);
    }

    /**
     * Node 4 crashes; once every survivor reported the cluster fully replicated
     * (node 1 rebuilt home 4 and backed objects 3 and 7 up again), node 1 crashes:
     * one crash at a time, never more than the backups, so nothing is uncertain
     * and every value is read.
     */
    @Test
    @Covers({R26})
    void crashesOneAtATimeAfterReReplicationLeaveNothingUncertain() throws Exception {
        List<KddmService> nodes = cluster(43);
        long setId = countOnFour(nodes);
        network.crash(4);
        Await.until("the crash of node 4 is recovered from on node 2",
                () -> nodes.get(1).coherence().ledger.unrecovered() == 0);
        network.crash(1);
        for (long o : OWNED_BY_FOUR) {
            assertEquals(20, read(nodes.get(2), setId, o), "object " + o);
        }
        assertEquals(0, read(nodes.get(1), setId, NEVER_TOUCHED), "a new object of home 4 is made");
        assertEquals(Map.of(), nodes.get(1).coherence().uncertainHomes(), "nothing marked");
    }

    /**
     * Nodes 4 and 1 leave in order, one right after the other: no crash, so no
     * home is marked and nothing is lost; the departures count only until every
     * member reported itself fully replicated after them.
     */
    @Test
    @Covers({R25})
    void nodesThatLeaveInOrderAreNoCrashes() throws Exception {
        List<KddmService> nodes = cluster(44);
        long setId = countOnFour(nodes);
        assertEquals(0, nodes.get(3).coherence().evacuate(Duration.ofSeconds(5)), "node 4 handed everything over");
        network.crash(4);
        assertEquals(0, nodes.get(0).coherence().evacuate(Duration.ofSeconds(5)), "node 1 handed everything over");
        network.crash(1);
        for (long o : OWNED_BY_FOUR) {
            assertEquals(20, read(nodes.get(1), setId, o), "object " + o);
        }
        assertEquals(0, read(nodes.get(2), setId, NEVER_TOUCHED), "a new object of home 4 is made");
        assertEquals(Map.of(), nodes.get(1).coherence().uncertainHomes(), "nothing marked");
        Await.until("the departures are recovered from", () -> nodes.get(1).coherence().ledger.unrecovered() == 0);
    }
}
