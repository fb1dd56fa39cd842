package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

import io.kddm.api.set.KddmSet;
import io.kddm.impl.shell.CounterOp;

/**
 * Old backups are collected (rows R23, R24) on the simulated network: five
 * nodes, one sync backup, objects whose ownership moves from node to node under
 * a random workload while node 4 crashes, then round after round among the
 * survivors. At the end, every object's backups are exactly on the targets of
 * its owner in the view, every value a put returned survives its owner's crash,
 * and the histories are linearizable.
 */
class BackupCollectionTest {
    private static final long[] OBJECTS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; // homed round robin on all five
    private static final int CRASHED = 4;
    private static final int[] SURVIVORS = {1, 2, 3, 5};

    private SimNetwork network;
    private final List<KddmService> services = new ArrayList<>();

    @AfterEach
    void stop() {
        SimNetwork.stop(network, services);
    }

    /**
     * Where each object's backups are, against the rule once every put returned
     * and the view no longer changes: its owner's version, kept exactly on the
     * targets of that owner in the view ({@link Replication#targets}), and on no
     * other live node (the owner included). "" when so.
     */
    private static String misplaced(List<KddmService> live, long setId) {
        StringBuilder b = new StringBuilder();
        for (long o : OBJECTS) {
            KddmService owner = null;
            Version version = null;
            for (KddmService k : live) {
                ObjectEntry e = k.coherence().set(setId).objects.get(o);
                if (e != null) {
                    synchronized (e) {
                        if (e.state.owner() && e.incoming == null) {
                            owner = k;
                            version = e.version;
                        }
                    }
                }
            }
            if (owner == null) {
                b.append("object ").append(o).append(": no owner\n");
                continue;
            }
            SetState s = owner.coherence().set(setId);
            Set<Integer> targets = new TreeSet<>(owner.coherence().replication.targets(s, o, 1));
            Set<Integer> holders = new TreeSet<>();
            for (KddmService k : live) {
                BackupStore.Backup kept = k.coherence().replication.store.get(setId, o);
                if (kept != null) {
                    holders.add(k.localNode());
                    if (!kept.version().equals(version)) {
                        b.append("object ").append(o).append(": node ").append(k.localNode()).append(" keeps ")
                                .append(kept.version()).append(", its owner node ").append(owner.localNode())
                                .append(" has ").append(version).append('\n');
                    }
                }
            }
            if (!holders.equals(targets)) {
                b.append("object ").append(o).append(" (owner ").append(owner.localNode()).append(", version ")
                        .append(version).append("): backups on ").append(holders).append(", targets ").append(targets)
                        .append('\n');
            }
        }
        return b.toString();
    }

    /** Every survivor in turn adds 1 to every object (each add moves the ownership), recorded in {@code h}. */
    private static void roundRobin(List<KddmService> nodes, long setId, History h, int rounds) {
        for (int r = 0; r < rounds; r++) {
            for (int n : SURVIVORS) {
                KddmSet s = nodes.get(n - 1).lookup(setId);
                for (long o : OBJECTS) {
                    add(s, o, h);
                }
            }
        }
    }

    private static long add(KddmSet s, long o, History h) {
        long invoke = System.nanoTime();
        long result = CounterOp.ADD.apply(s, o, 1);
        h.add(new History.Op(o, History.Kind.ADD, 1, result, invoke, System.nanoTime()));
        return result;
    }

    @RepeatedTest(3)
    @Covers({R23, R24})
    void backupsAreOnlyOnTheCurrentTargetsAfterOwnershipMovesAndANodeCrashes(RepetitionInfo round) throws Exception {
        network = new SimNetwork(500 + round.getCurrentRepetition(), Duration.ofNanos(50_000));
        services.addAll(network.cluster(5, Duration.ofSeconds(10), FailoverTest.ONE_BACKUP, CoherenceTest.MEMORY));
        List<KddmService> nodes = services;
        long setId = nodes.get(0).create("test-r1").id();
        History history = new History();
        // 1. Every node's random workload on the ten objects; node 4 crashes well into it.
        Set<Integer> down = ConcurrentHashMap.newKeySet();
        List<CompletableFuture<Workload.Outcome>> runs = CoherenceTest.onEveryNode(nodes, setId, 2, 1500, OBJECTS,
                round.getCurrentRepetition(), history, down);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (history.size() < 3000) {
            assertTrue(System.nanoTime() < deadline && runs.stream().noneMatch(CompletableFuture::isDone),
                    "the workload never got 3000 operations in: " + history.size());
            Thread.sleep(1);
        }
        down.add(CRASHED);
        network.crash(CRASHED);
        for (int n : SURVIVORS) {
            Workload.Outcome o = runs.get(n - 1).get(60, TimeUnit.SECONDS);
            assertTrue(o.unexpected().isEmpty(), o.traces());
            assertEquals(0, o.failed(), "no survivor's operation fails: " + o.firstFailures());
        }
        nodes.get(CRASHED - 1).coherence().close();
        assertTrue(runs.get(CRASHED - 1).get(60, TimeUnit.SECONDS).unexpected().isEmpty());
        List<KddmService> live = new ArrayList<>();
        for (int n : SURVIVORS) {
            live.add(nodes.get(n - 1));
        }
        // 2. The ownership goes round the survivors; node 2 puts last, so it owns every object.
        roundRobin(nodes, setId, history, 2);
        KddmSet two = nodes.get(1).lookup(setId);
        long[] returned = new long[OBJECTS.length];
        for (int i = 0; i < OBJECTS.length; i++) {
            returned[i] = add(two, OBJECTS[i], history);
        }
        // 3. The collection's acks are not awaited by the puts: once they are in, only the targets keep backups.
        Await.until(() -> "every backup is on its owner's targets:\n" + misplaced(live, setId),
                () -> misplaced(live, setId).isEmpty());
        long collected = 0;
        for (KddmService k : live) {
            collected += k.coherence().stats().backupsCollected.sum();
        }
        assertTrue(collected > 0, "old backups were collected");
        // 4. Node 2 crashes: every value it returned is read from the others, from the backups kept.
        network.crash(2);
        KddmSet one = nodes.get(0).lookup(setId);
        for (int i = 0; i < OBJECTS.length; i++) {
            long invoke = System.nanoTime();
            long now = CounterOp.READ.apply(one, OBJECTS[i], 0);
            history.add(new History.Op(OBJECTS[i], History.Kind.READ, 0, now, invoke, System.nanoTime()));
            assertEquals(returned[i], now, "object " + OBJECTS[i] + " after node 2, its owner, crashed");
        }
        System.out.println("backup collection: " + collected + " old backups collected, "
                + nodes.get(0).coherence().stats().failovers.sum() + " failovers at node 1");
        CoherenceTest.check(history);
    }
}
