package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

import io.kddm.api.linker.SetFamily;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.impl.shell.Counter;

/**
 * Owners crash while objects of a family with one backup are read and written
 * from every node, on the simulated network (random delays, FIFO channels):
 * nothing a put returned is lost, and every object's history stays
 * linearizable. Homes survive here: a dead home's objects are issue 14's next
 * slice.
 */
class FailoverTest {
    static final SetFamily ONE_BACKUP = oneBackup("test-r1", io.kddm.api.linker.BackupMode.SYNC);
    static final SetFamily ONE_VISIBLE_BACKUP = oneBackup("test-r1-visible", io.kddm.api.linker.BackupMode.VISIBLE);

    private static SetFamily oneBackup(String name, io.kddm.api.linker.BackupMode mode) {
        return new SetFamily() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String ioLinker() {
                return CoherenceTest.MEMORY.id();
            }

            @Override
            public int backups() {
                return 1;
            }

            @Override
            public io.kddm.api.linker.BackupMode backupMode() {
                return mode;
            }
        };
    }

    private SimNetwork network;
    private final List<KddmService> services = new ArrayList<>();

    @AfterEach
    void stop() {
        SimNetwork.stop(network, services);
    }

    private List<KddmService> cluster(int count, long seed) {
        network = new SimNetwork(seed, Duration.ofNanos(50_000));
        services.addAll(network.cluster(count, Duration.ofSeconds(10), ONE_BACKUP, CoherenceTest.MEMORY));
        services.forEach(k -> k.addFamily(ONE_VISIBLE_BACKUP));
        return services;
    }

    /**
     * Visible mode: node 3's puts return before their backups are kept, but
     * whatever another node read of them survives node 3's crash: no other node
     * is served a value before its backup is.
     */
    @RepeatedTest(3)
    @Covers({R13})
    void whatAnotherNodeReadOfAVisiblePutSurvivesTheWritersCrash(RepetitionInfo round) throws Exception {
        List<KddmService> nodes = cluster(3, 200 + round.getCurrentRepetition());
        long setId = nodes.get(0).create("test-r1-visible").id();
        KddmSet one = nodes.get(0).lookup(setId);
        KddmSet three = nodes.get(2).lookup(setId);
        long[] objects = {0, 1, 3, 4}; // homed on nodes 1 and 2
        long[] seen = new long[objects.length];
        for (int i = 0; i < 30; i++) {
            for (int o = 0; o < objects.length; o++) {
                try (ObjectHandle h = three.grab(objects[o])) {
                    h.value(Counter.encode(Counter.decode(h.value()) + 1));
                }
            }
            for (int o = 0; o < objects.length; o++) {
                try (ObjectHandle h = one.get(objects[o])) { // served only once node 3's backup is kept
                    seen[o] = Counter.decode(h.value());
                }
            }
        }
        for (int o = 0; o < objects.length; o++) {
            try (ObjectHandle h = three.grab(objects[o])) { // taken back by node 3, and changed once more
                h.value(Counter.encode(Counter.decode(h.value()) + 1));
            }
        }
        network.crash(3);
        for (int o = 0; o < objects.length; o++) {
            try (ObjectHandle h = one.get(objects[o])) {
                long now = Counter.decode(h.value());
                assertEquals(30, seen[o], "node 1 read every increment");
                assertTrue(now == 30 || now == 31, "object " + objects[o] + ": node 1 read 30, then " + now
                        + " after node 3 died (its last put, unacknowledged or not, may be lost)");
            }
        }
    }

    /**
     * Node 3 owns every object (it wrote each last), then crashes: each object's
     * home promotes its backup, and every value node 3's puts returned is read
     * from the others.
     */
    @RepeatedTest(3)
    @Covers({R1, R2, R5, R6, R8})
    void everyValueAPutReturnedSurvivesTheCrashOfItsOwner(RepetitionInfo round) throws Exception {
        List<KddmService> nodes = cluster(3, round.getCurrentRepetition());
        long setId = nodes.get(0).create("test-r1").id();
        KddmSet three = nodes.get(2).lookup(setId);
        long[] objects = {0, 1, 3, 4, 6, 7}; // homed on nodes 1 and 2 (round robin over 3 nodes)
        for (int i = 0; i < 50; i++) {
            for (long o : objects) {
                try (ObjectHandle h = three.grab(o)) {
                    h.value(Counter.encode(Counter.decode(h.value()) + 1));
                }
            }
        }
        network.crash(3);
        for (int n = 0; n < 2; n++) {
            KddmSet s = nodes.get(n).lookup(setId);
            for (long o : objects) {
                try (ObjectHandle h = s.get(o)) {
                    assertEquals(50, Counter.decode(h.value()), "object " + o + " read from node " + (n + 1));
                }
            }
        }
        long failovers = nodes.get(0).coherence().stats().failovers.sum()
                + nodes.get(1).coherence().stats().failovers.sum();
        assertEquals(objects.length, failovers, "each home promoted a backup once");
    }

    /**
     * Node 3 is the home of objects 2 and 5 (round robin over 3 nodes), and owns
     * some of them; it crashes: node 1, their acting home from then on, rebuilds
     * their records from what nodes 1 and 2 hold, and every value a put
     * returned is read from both.
     */
    @RepeatedTest(3)
    @Covers({R14, R16, R17})
    void theObjectsOfACrashedHomeAreRebuiltAtTheNextNodeAndLoseNothing(RepetitionInfo round) throws Exception {
        List<KddmService> nodes = cluster(3, 300 + round.getCurrentRepetition());
        long setId = nodes.get(0).create("test-r1").id();
        KddmSet two = nodes.get(1).lookup(setId);
        KddmSet three = nodes.get(2).lookup(setId);
        long[] objects = {2, 5, 8, 11}; // homed on node 3
        for (int i = 0; i < 20; i++) {
            for (int o = 0; o < objects.length; o++) {
                KddmSet by = o % 2 == 0 ? two : three; // objects 2 and 8 owned by node 2, 5 and 11 by node 3
                try (ObjectHandle h = by.grab(objects[o])) {
                    h.value(Counter.encode(Counter.decode(h.value()) + 1));
                }
            }
        }
        network.crash(3);
        for (int n = 0; n < 2; n++) {
            KddmSet s = nodes.get(n).lookup(setId);
            for (long o : objects) {
                try (ObjectHandle h = s.grab(o)) {
                    assertEquals(20 + n, Counter.decode(h.value()), "object " + o + " from node " + (n + 1));
                    h.value(Counter.encode(Counter.decode(h.value()) + 1));
                }
            }
        }
        assertTrue(nodes.get(0).coherence().stats().homeRebuilds.sum() >= 1, "node 1 rebuilt home 3's records");
        assertEquals(2, nodes.get(0).coherence().stats().failovers.sum(), "objects 5 and 11 taken over from backups");
    }

    /**
     * The random workload of every node on hot objects, node 3 crashing well into
     * it: the survivors' operations never find an object lost, and every
     * object's history (node 3's operations after the crash of unknown outcome)
     * is linearizable.
     */
    @RepeatedTest(value = 4)
    @Covers({R1, R4, R5, R6, R7, R8, R9, R15})
    void anOwnerCrashingMidRunLosesNothingAndStaysLinearizable(RepetitionInfo round) throws Exception {
        List<KddmService> nodes = cluster(3, 100 + round.getCurrentRepetition());
        long setId = nodes.get(0).create("test-r1").id();
        History history = new History();
        Set<Integer> down = ConcurrentHashMap.newKeySet();
        List<CompletableFuture<Workload.Outcome>> runs = CoherenceTest.onEveryNode(nodes, setId, 3, 3000,
                new long[] {0, 1, 2, 3, 4, 5}, 17, history, down); // 2 and 5 homed on node 3
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (history.size() < 2000) {
            assertTrue(System.nanoTime() < deadline && runs.stream().noneMatch(CompletableFuture::isDone),
                    "the workload never got 2000 operations in: " + history.size());
            Thread.sleep(1);
        }
        long crashed = System.nanoTime();
        down.add(3);
        network.crash(3);
        long failed = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Workload.Outcome o;
            try {
                o = runs.get(i).get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException hung) {
                String motion = CoherenceTest.inMotion(nodes);
                StringBuilder journal = new StringBuilder();
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("object (\\d+)").matcher(motion);
                Set<Long> seen = new java.util.TreeSet<>();
                while (m.find()) {
                    if (seen.add(Long.parseLong(m.group(1)))) {
                        journal.append("object ").append(m.group(1)).append(", crash at ")
                                .append((crashed - network.born()) / 1_000_000).append(" ms:\n")
                                .append(network.journal(Long.parseLong(m.group(1))));
                    }
                }
                throw new AssertionError("node " + (i + 1) + "'s workload did not end 60 s after the crash; what is "
                        + "in motion:\n" + motion + journal, hung);
            }
            assertTrue(o.unexpected().isEmpty(), o.traces());
            failed += o.failed();
            failures.addAll(o.firstFailures());
        }
        long lost = nodes.get(0).coherence().stats().objectsLost.sum()
                + nodes.get(1).coherence().stats().objectsLost.sum();
        long failovers = nodes.get(0).coherence().stats().failovers.sum()
                + nodes.get(1).coherence().stats().failovers.sum();
        System.out.println("after crash: survivors finished " + (System.nanoTime() - crashed) / 1_000_000
                + " ms after it, " + failed + " operations failed, " + failovers + " failovers, " + lost + " lost");
        assertEquals(0, lost, "no object is lost with one backup and one crash");
        assertEquals(0, failed, "no survivor's operation fails: the dead owner's objects fail over: " + failures);
        nodes.get(2).coherence().close();
        Workload.Outcome dead = runs.get(2).get(60, TimeUnit.SECONDS);
        assertTrue(dead.unexpected().isEmpty(), dead.traces());
        try {
            CoherenceTest.check(history);
        } catch (AssertionError violation) {
            long object = Long.parseLong(violation.getMessage().replaceAll("^object (\\d+):.*", "$1"));
            StringBuilder b = new StringBuilder(violation.getMessage()).append("\nits history, crash at ")
                    .append(crashed).append(":\n");
            history.byObject().get(object).stream().sorted(java.util.Comparator.comparingLong(History.Op::invoke))
                    .forEach(op -> b.append(op).append('\n'));
            throw new AssertionError(b.toString(), violation);
        }
    }
}
