package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.ObjectLostException;

/**
 * The per-node memory budget on the simulated network: a node over it flushes
 * idle objects (read copies dropped, owned objects handed to other nodes or
 * written back to their home's store), and no object is lost or changed.
 */
class MemoryBudgetTest {
    private static final int BUDGET = 16 * 1024;
    private static final int SIZE = 1000;
    private static final int OBJECTS = 60;

    private SimNetwork network;
    private final List<KddmService> nodes = new ArrayList<>();
    /** Per node: the disk-backed family's store. */
    private final Map<Integer, Map<Long, byte[]>> stores = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        if (network != null) {
            network.shutdown();
        }
        nodes.forEach(KddmService::close);
        if (network != null) {
            network.close();
        }
    }

    private final IoLinker disk = new IoLinker() {
        @Override
        public String id() {
            return "test-disk";
        }

        @Override
        public byte[] firstTouch(SetContext set, long objectId) {
            byte[] b = store(set.localNode()).get(objectId);
            return b == null ? new byte[0] : b;
        }

        @Override
        public void sync(SetContext set, long objectId, byte[] value) {
            store(set.localNode()).put(objectId, value.clone());
            durable.add(set.localNode() + ":" + objectId);
        }

        @Override
        public void writeBack(SetContext set, long objectId, byte[] value) {
            store(set.localNode()).put(objectId, value.clone()); // not added to durable: nothing forced
        }
    };
    /** node:object of every durable store (sync). */
    private final java.util.Set<String> durable = ConcurrentHashMap.newKeySet();

    private final SetFamily diskFamily = new SetFamily() {
        @Override
        public String name() {
            return "test-disk";
        }

        @Override
        public String ioLinker() {
            return "test-disk";
        }

        @Override
        public boolean firstTouchAtHome() {
            return true;
        }
    };

    private Map<Long, byte[]> store(int node) {
        return stores.computeIfAbsent(node, n -> new ConcurrentHashMap<>());
    }

    private void cluster(long... budgets) {
        network = new SimNetwork(7, Duration.ofMillis(1));
        for (int id = 1; id <= budgets.length; id++) {
            network.node(id);
        }
        for (int id = 1; id <= budgets.length; id++) {
            SimNetwork.Node n = network.node(id);
            KddmService k = new KddmService(n, n.membership, Duration.ofSeconds(10), budgets[id - 1]);
            k.addFamily(CoherenceTest.TEST);
            k.addIoLinker(CoherenceTest.MEMORY);
            k.addFamily(diskFamily);
            k.addIoLinker(disk);
            nodes.add(k);
        }
    }

    private static byte[] value(long id) {
        byte[] b = new byte[SIZE];
        Arrays.fill(b, (byte) id);
        b[0] = (byte) (id >>> 8);
        return b;
    }

    private static void write(KddmSet set, long id) {
        try (ObjectHandle h = set.grab(id)) {
            h.value(value(id));
        }
    }

    private static void readAll(KddmSet set) {
        for (long id = 0; id < OBJECTS; id++) {
            try (ObjectHandle h = set.get(id)) {
                assertArrayEquals(value(id), h.value(), "object " + id + " read on node " + set.id());
            }
        }
    }

    /** Bounded wait for the node's flushing to bring it under its budget. */
    private void awaitUnderBudget(int node) throws InterruptedException {
        Coherence c = nodes.get(node - 1).coherence();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (c.heldBytes() > c.memoryBudget()) {
            assertTrue(System.nanoTime() < deadline, "node " + node + " still holds " + c.heldBytes()
                    + " bytes, over its budget of " + c.memoryBudget());
            Thread.sleep(5);
        }
    }

    @Test
    @Covers({B1})
    void aReaderOverItsBudgetDropsReadCopiesAndReadsThemAgain() throws Exception {
        cluster(0, BUDGET, 0);
        KddmSet s1 = nodes.get(0).create(CoherenceTest.FAMILY);
        for (long id = 0; id < OBJECTS; id++) {
            write(s1, id);
        }
        KddmSet s2 = nodes.get(1).lookup(s1.id());
        readAll(s2);
        awaitUnderBudget(2);
        assertTrue(nodes.get(1).coherence().stats().budgetFlushes.sum() > 0, "node 2 flushed nothing");
        readAll(s2); // dropped copies are fetched again
        // node 1 writes them all again: every copy node 2 still has must be invalidated
        for (long id = 0; id < OBJECTS; id++) {
            try (ObjectHandle h = s1.grab(id)) {
                h.value(value(id + 1));
            }
        }
        for (long id = 0; id < OBJECTS; id++) {
            try (ObjectHandle h = s2.get(id)) {
                assertArrayEquals(value(id + 1), h.value(), "object " + id + " after the rewrite");
            }
        }
    }

    @Test
    @Covers({B3})
    void whenEveryNodeIsFullObjectsStayRatherThanBeLost() throws Exception {
        cluster(BUDGET, BUDGET, BUDGET); // 48 KiB of budget for 60 KB of objects
        KddmSet s1 = nodes.get(0).create(CoherenceTest.FAMILY);
        for (long id = 0; id < OBJECTS; id++) {
            write(s1, id);
        }
        readAll(nodes.get(2).lookup(s1.id()));
        readAll(nodes.get(1).lookup(s1.id()));
        long held = nodes.stream().mapToLong(k -> k.coherence().heldBytes()).sum();
        long flushed = nodes.stream().mapToLong(k -> k.coherence().stats().budgetFlushes.sum()).sum();
        assertTrue(flushed > 0, "the nodes were over their budgets but flushed nothing");
        // The only copy of each object is in memory: the nodes keep them all, over their budgets.
        assertTrue(held >= (long) OBJECTS * SIZE, "the cluster holds " + held + " bytes of "
                + OBJECTS * SIZE);
    }

    @Test
    @Covers({B2, H11})
    void diskBackedObjectsAreWrittenBackToTheirHomesStore() throws Exception {
        cluster(BUDGET, BUDGET, BUDGET);
        KddmSet s1 = nodes.get(0).create(diskFamily.name());
        for (long id = 0; id < OBJECTS; id++) {
            write(s1, id);
        }
        awaitUnderBudget(1);
        int stored = 0;
        for (long id = 0; id < OBJECTS; id++) {
            int home = (int) (id % 3) + 1; // round robin over nodes 1..3
            byte[] b = store(home).get(id);
            if (b != null) {
                assertArrayEquals(value(id), b, "object " + id + " in the store of node " + home);
                stored++;
            }
            for (int other = 1; other <= 3; other++) {
                if (other != home) {
                    assertTrue(store(other).get(id) == null, "object " + id + " stored on node " + other
                            + ", not its home " + home);
                }
            }
        }
        assertTrue(stored > 0, "nothing was written back");
        readAll(nodes.get(1).lookup(s1.id()));
        readAll(nodes.get(2).lookup(s1.id()));
    }

    /**
     * A budget of a few objects per node, so that flushing (copies dropped,
     * handoffs, write-backs) runs all the time under contention.
     */
    @Test
    void randomWorkloadStaysLinearizableWhileFlushingConstantly() throws Exception {
        cluster(40, 40, 40);
        for (String family : List.of(CoherenceTest.FAMILY, diskFamily.name())) {
            long setId = nodes.get(0).create(family).id();
            History history = new History();
            var runs = CoherenceTest.onEveryNode(nodes, setId, 3, 300, new long[] {0, 1, 2, 3, 4, 5, 6, 7}, 5,
                    history, Set.of());
            for (var r : runs) {
                Workload.Outcome o;
                try {
                    o = r.get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException t) {
                    throw new AssertionError(family + ": the workload did not end within 30 s; state:\n" + state(), t);
                }
                assertTrue(o.unexpected().isEmpty(), o.traces());
                assertEquals(0, o.failed(), family + ": operations failed");
            }
            assertEquals(3 * 3 * 300, CoherenceTest.check(history), family + ": operations checked");
        }
        long flushed = nodes.stream().mapToLong(k -> k.coherence().stats().budgetFlushes.sum()).sum();
        System.out.println("flushed over budget during the workload: " + flushed + " objects");
        assertTrue(flushed > 100, "the budget must make the nodes flush often, flushed " + flushed);
    }

    /** Every home record and object entry of every node, for a failure message. */
    private String state() {
        StringBuilder b = new StringBuilder();
        for (KddmService k : nodes) {
            Coherence c = k.coherence();
            for (SetState s : c.allSets()) {
                for (ManagerEntry me : s.managed.values()) {
                    synchronized (me) {
                        b.append("node ").append(c.localNode()).append(" home of ").append(me.objectId)
                                .append(": owner ").append(me.owner).append(" current ")
                                .append(me.current == null ? "-" : me.current.requester + (me.current.write ? "W" : "R")
                                        + "->" + me.current.forwardedTo)
                                .append(" queued ").append(me.queue.size()).append(" lost ").append(me.lost).append('\n');
                    }
                }
                for (ObjectEntry e : s.objects.values()) {
                    synchronized (e) {
                        b.append("node ").append(c.localNode()).append(" object ").append(e.objectId).append(": ")
                                .append(e.state).append(" req ").append(e.requested).append(e.requestedWrite ? "W" : "R")
                                .append(" queue ").append(e.queue).append(" incoming ").append(e.incoming != null)
                                .append(" awaiting ").append(e.awaiting).append(" upgrading ").append(e.upgrading)
                                .append(" invAckTo ").append(e.invalidateAckTo).append(" copyset ").append(e.copyset)
                                .append(" r/w ").append(e.readers).append('/').append(e.writers).append(" homeDown ")
                                .append(e.homeDown).append('\n');
                    }
                }
            }
        }
        return b.toString();
    }

    @Test
    @Covers({L4, H15})
    void syncOfADiskBackedObjectWritesAtItsHome() {
        cluster(0, 0, 0);
        KddmSet s1 = nodes.get(0).create(diskFamily.name());
        long id = 1; // round robin: home is node 2
        write(s1, id);
        s1.sync(id);
        assertArrayEquals(value(id), store(2).get(id));
        assertEquals(null, store(1).get(id), "the writer's own store must not get it");
        assertTrue(durable.contains("2:" + id), "sync asks the home's store for durability");
    }

    @Test
    @Covers({L4, H15})
    void aWriteBackStoresAtTheHomeWithoutAskingForDurability() {
        cluster(0, 0, 0);
        KddmSet s1 = nodes.get(0).create(diskFamily.name());
        long remote = 1; // round robin: home is node 2
        long local = 3; // home is node 1, the writer
        write(s1, remote);
        write(s1, local);
        s1.writeBack(remote);
        s1.writeBack(local);
        assertArrayEquals(value(remote), store(2).get(remote), "SYNC carried the write-back to the home");
        assertArrayEquals(value(local), store(1).get(local));
        assertTrue(durable.isEmpty(), "no store was asked for durability: " + durable);
        s1.sync(remote);
        assertEquals(java.util.Set.of("2:" + remote), durable, "then sync asks it");
    }

    /** A home without the disk-backed family cannot read its store: it refuses, never lets the requester touch. */
    @Test
    @Covers({H4})
    void aHomeThatNeverHadTheFamilyRefusesRatherThanLetAFirstTouchElsewhereHideItsStore() {
        network = new SimNetwork(7, Duration.ZERO);
        network.node(1);
        network.node(2);
        for (int id = 1; id <= 2; id++) {
            SimNetwork.Node n = network.node(id);
            KddmService k = new KddmService(n, n.membership, Duration.ofSeconds(10), 0);
            if (id == 2) {
                k.addFamily(diskFamily);
                k.addIoLinker(disk);
            }
            nodes.add(k);
        }
        KddmSet set = nodes.get(1).create(diskFamily.name()); // homes over nodes 1 and 2: object 0's is node 1
        ObjectLostException e = org.junit.jupiter.api.Assertions.assertThrows(ObjectLostException.class,
                () -> set.grab(0).close());
        assertTrue(e.getMessage().contains("its home, node 1, cannot serve it") && e.getMessage().contains("test-disk"),
                e.getMessage());
    }
}
