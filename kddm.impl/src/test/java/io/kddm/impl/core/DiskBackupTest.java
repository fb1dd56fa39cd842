package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.impl.shell.Counter;

/**
 * Backups of a disk-backed family (rows S16, R31) on the simulated network:
 * each node stores the objects it homes in a store of its own that outlives
 * the node, as a partition does. What a put returned and was not written back
 * yet survives the crash of the node that made it (its backup is newer than
 * the store); what was written back leaves no backup behind; and under a
 * random workload with write-backs and a crash, nothing is lost and every
 * history is linearizable.
 */
class DiskBackupTest {
    /** Each node's store: object key (set, object) to value, and the version recorded beside it. */
    private final Map<Integer, Map<String, byte[]>> stores = new ConcurrentHashMap<>();
    private final Map<Integer, Map<String, Version>> versions = new ConcurrentHashMap<>();

    private final IoLinker disk = new IoLinker() {
        @Override
        public String id() {
            return "test-disk";
        }

        @Override
        public byte[] firstTouch(SetContext s, long objectId) {
            byte[] v = store(s).get(key(s, objectId));
            return v == null ? new byte[0] : v;
        }

        @Override
        public void sync(SetContext s, long objectId, byte[] value) {
            store(s).put(key(s, objectId), value);
        }

        @Override
        public void remove(SetContext s, long objectId) {
            store(s).remove(key(s, objectId));
        }

        @Override
        public byte[] storedVersion(SetContext s, long objectId) {
            Version v = versions.computeIfAbsent(s.localNode(), n -> new ConcurrentHashMap<>()).get(key(s, objectId));
            return v == null ? null : v.bytes();
        }

        @Override
        public void storedAs(SetContext s, long objectId, byte[] version, boolean durable) {
            versions.computeIfAbsent(s.localNode(), n -> new ConcurrentHashMap<>()).put(key(s, objectId),
                    Wire.version(version, 0));
        }

        private Map<String, byte[]> store(SetContext s) {
            return stores.computeIfAbsent(s.localNode(), n -> new ConcurrentHashMap<>());
        }
    };

    private static String key(SetContext s, long objectId) {
        return s.setId() + "/" + objectId;
    }

    private static SetFamily diskFamily(String name, int backups) {
        return new SetFamily() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String ioLinker() {
                return "test-disk";
            }

            @Override
            public HomePolicy home() {
                return HomePolicy.NODE_BITS;
            }

            @Override
            public boolean firstTouchAtHome() {
                return true;
            }

            @Override
            public int backups() {
                return backups;
            }
        };
    }

    private SimNetwork network;
    private final List<KddmService> services = new ArrayList<>();

    @AfterEach
    void stop() {
        SimNetwork.stop(network, services);
    }

    private List<KddmService> cluster(long seed) {
        network = new SimNetwork(seed, Duration.ofNanos(50_000));
        services.addAll(network.cluster(3, Duration.ofSeconds(10), diskFamily("disk-r1", 1), disk));
        services.forEach(k -> k.addFamily(diskFamily("disk-r0", 0)));
        return services;
    }

    private static void increment(KddmSet set, long objectId) {
        try (ObjectHandle h = set.grab(objectId)) {
            h.value(Counter.encode(Counter.decode(h.value()) + 1));
        }
    }

    private long stored(int node, long setId, long objectId) {
        byte[] v = stores.getOrDefault(node, Map.of()).get(setId + "/" + objectId);
        return v == null ? 0 : Counter.decode(v);
    }

    /**
     * Node 3 increments objects homed on nodes 1 and 2 fifty times, writing
     * them back after the twentieth, and crashes: with one backup every
     * increment is read from the others (the homes' stores have 20: the rest
     * came from the backups, newer than the store); with none, the homes read
     * their stores again (R22), and the 30 increments not written back are gone.
     */
    @RepeatedTest(3)
    @Covers({R1, R5, R8, R22, R31, S16})
    void whatAPutReturnedOutlivesItsWriterThoughNotWrittenBack(RepetitionInfo round) throws Exception {
        List<KddmService> nodes = cluster(400 + round.getCurrentRepetition());
        long backedUp = nodes.get(0).create("disk-r1").id();
        long bare = nodes.get(0).create("disk-r0").id();
        long[] objects = {0, 1, 3, 4}; // homed on nodes 1 and 2 (round robin over 3 nodes)
        for (long setId : new long[] {backedUp, bare}) {
            KddmSet three = nodes.get(2).lookup(setId);
            for (int i = 1; i <= 50; i++) {
                for (long o : objects) {
                    increment(three, o);
                    if (i == 20) {
                        three.sync(o);
                    }
                }
            }
        }
        network.crash(3);
        for (int n = 0; n < 2; n++) {
            for (long o : objects) {
                try (ObjectHandle h = nodes.get(n).lookup(backedUp).get(o)) {
                    assertEquals(50, Counter.decode(h.value()), "object " + o + " of the family with a backup, "
                            + "read from node " + (n + 1));
                }
                try (ObjectHandle h = nodes.get(n).lookup(bare).get(o)) {
                    assertEquals(20, Counter.decode(h.value()), "object " + o + " of the family without backups: "
                            + "what was written back");
                }
            }
        }
        // The values taken over are written back at their homes (R31): they outlive those nodes too.
        for (long o : objects) {
            int home = (int) (o % 3) + 1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (stored(home, backedUp, o) != 50 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(50, stored(home, backedUp, o), "object " + o + " in its home's store, node " + home);
        }
    }

    /**
     * A write-back makes the object's backups useless (the store has its
     * version): they go from every node. The next put backs up anew.
     */
    @Test
    @Covers({R31, S16})
    void aWriteBackLeavesNoBackupBehind() throws Exception {
        List<KddmService> nodes = cluster(7);
        long setId = nodes.get(0).create("disk-r1").id();
        long[] objects = {0, 1, 2, 3, 4, 5};
        KddmSet three = nodes.get(2).lookup(setId);
        for (long o : objects) {
            for (int i = 0; i < 5; i++) {
                increment(three, o);
            }
        }
        assertTrue(backupsOf(nodes, setId, objects) >= objects.length, "every object is backed up somewhere");
        for (long o : objects) {
            three.sync(o);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (backupsOf(nodes, setId, objects) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0, backupsOf(nodes, setId, objects), "no backup left once written back");
        assertEquals(0, nodes.get(2).coherence().replication.underReplicatedCount(),
                "and none is asked for: the store has each version");
        increment(three, 0);
        assertTrue(backupsOf(nodes, setId, new long[] {0}) >= 1, "a put after the write-back is backed up");
        int home = 2; // (object 1: round robin over nodes 1-3)
        Version v = versions.getOrDefault(home, Map.of()).get(setId + "/" + 1);
        assertTrue(v != null, "a version recorded beside object 1 at its home");
        assertEquals(6, v.seq(), "stored at the version of the fifth put (the first touch made 1)");
    }

    /**
     * A removal's drops are not awaited for a disk-backed family: the removal
     * stored at its home outranks every backup left (R31). Node 3 increments
     * objects, removes them, increments some anew and crashes: each reads as
     * its last value, never as one from before its removal.
     */
    @RepeatedTest(3)
    @Covers({R31, S16, L3})
    void aRemovedObjectIsNeverBroughtBackByABackup(RepetitionInfo round) throws Exception {
        List<KddmService> nodes = cluster(600 + round.getCurrentRepetition());
        long setId = nodes.get(0).create("disk-r1").id();
        KddmSet three = nodes.get(2).lookup(setId);
        long[] objects = {0, 1, 3, 4};
        for (long o : objects) {
            for (int i = 0; i < 7; i++) {
                increment(three, o);
            }
            three.remove(o);
        }
        increment(three, 0);
        increment(three, 1);
        network.crash(3);
        long[] expected = {1, 1, 0, 0};
        for (int n = 0; n < 2; n++) {
            for (int i = 0; i < objects.length; i++) {
                try (ObjectHandle h = nodes.get(n).lookup(setId).get(objects[i])) {
                    assertEquals(expected[i], Counter.decode(h.value()), "object " + objects[i] + " from node "
                            + (n + 1) + ": made anew after its removal, never its 7 from before");
                }
            }
        }
    }

    private static int backupsOf(List<KddmService> nodes, long setId, long[] objects) {
        int n = 0;
        for (KddmService k : nodes) {
            for (long o : objects) {
                if (k.coherence().replication.store.get(setId, o) != null) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * The random workload of every node, while a thread on each writes random
     * objects back and flushes them (first touches from the store again), node 3
     * crashing well into it: no survivor's operation fails, nothing is lost, and
     * every object's history is linearizable.
     */
    @RepeatedTest(3)
    @Covers({R1, R5, R8, R16, R31, S16})
    void aWriterCrashingAmidWriteBacksLosesNothingAndStaysLinearizable(RepetitionInfo round) throws Exception {
        List<KddmService> nodes = cluster(500 + round.getCurrentRepetition());
        long setId = nodes.get(0).create("disk-r1").id();
        long[] objects = {0, 1, 3, 4, (1L << 24) | 9, (2L << 24) | 9}; // homed on nodes 1 and 2
        History history = new History();
        Set<Integer> down = ConcurrentHashMap.newKeySet();
        AtomicBoolean over = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int n = 1; n <= 3; n++) {
            KddmSet s = nodes.get(n - 1).lookup(setId);
            int node = n;
            Thread t = new Thread(() -> {
                Random r = new Random(round.getCurrentRepetition() * 7 + node);
                while (!over.get() && !down.contains(node)) {
                    long o = objects[r.nextInt(objects.length)];
                    try {
                        if (r.nextBoolean()) {
                            s.sync(o);
                        } else {
                            s.flush(o);
                        }
                        Thread.sleep(1);
                    } catch (KddmException failedOrCutOff) {
                        // (a write-back is no operation of the history: a failed one changes no value)
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }, "write-back-" + n);
            t.setDaemon(true);
            t.start();
            writers.add(t);
        }
        List<CompletableFuture<Workload.Outcome>> runs = CoherenceTest.onEveryNode(nodes, setId, 3, 2000, objects,
                31, history, down);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (history.size() < 1500) {
            assertTrue(System.nanoTime() < deadline && runs.stream().noneMatch(CompletableFuture::isDone),
                    "the workload never got 1500 operations in: " + history.size());
            Thread.sleep(1);
        }
        down.add(3);
        network.crash(3);
        long failed = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Workload.Outcome o = runs.get(i).get(60, TimeUnit.SECONDS);
            assertTrue(o.unexpected().isEmpty(), o.traces());
            failed += o.failed();
            failures.addAll(o.firstFailures());
        }
        over.set(true);
        for (Thread t : writers) {
            t.join(10_000);
        }
        long lost = nodes.get(0).coherence().stats().objectsLost.sum()
                + nodes.get(1).coherence().stats().objectsLost.sum();
        assertEquals(0, lost, "no object is lost");
        assertEquals(0, failed, "no survivor's operation fails: " + failures);
        nodes.get(2).coherence().close();
        Workload.Outcome dead = runs.get(2).get(60, TimeUnit.SECONDS);
        assertTrue(dead.unexpected().isEmpty(), dead.traces());
        CoherenceTest.check(history);
    }
}
