package io.kddm.shm.impl;

import static io.kddm.shm.SharedMemory.IPC_CREAT;
import static io.kddm.shm.SharedMemory.IPC_EXCL;
import static io.kddm.shm.SharedMemory.IPC_PRIVATE;
import static io.kddm.shm.SharedMemory.SHM_RDONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import io.kddm.shm.Caller;
import io.kddm.shm.Errno;
import io.kddm.shm.Segment;
import io.kddm.shm.SegmentInfo;
import io.kddm.shm.ShmException;

/** System V semantics of shared memory across three in-process nodes over the simulated network. */
class SharedMemoryTest {
    private static final Caller ALICE = new Caller(1000, 100);
    private static final Caller BOB = new Caller(2000, 100);
    private static final Caller EVE = new Caller(3000, 300);

    private ShmCluster cluster;

    @BeforeEach
    void start() {
        cluster = new ShmCluster(7, Duration.ofNanos(200_000), 3);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static void fails(Errno errno, Executable call) {
        ShmException e = assertThrows(ShmException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertTrue(e.getMessage().startsWith(errno + ": "), e.getMessage());
    }

    @Test
    void createExclusiveRacesHaveExactlyOneWinnerPerKey() throws Exception {
        int keys = 6;
        int threads = 4;
        List<Thread> all = new ArrayList<>();
        ConcurrentLinkedQueue<int[]> wins = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        CyclicBarrier go = new CyclicBarrier(3 * threads);
        for (int node = 1; node <= 3; node++) {
            LocalSharedMemory shm = cluster.node(node);
            for (int t = 0; t < threads; t++) {
                all.add(new Thread(() -> {
                    try {
                        go.await(30, TimeUnit.SECONDS);
                        for (int k = 1; k <= keys; k++) {
                            try {
                                wins.add(new int[] {k, shm.shmget(0x1000 + k, 4096, IPC_CREAT | IPC_EXCL | 0600,
                                        Caller.ROOT)});
                            } catch (ShmException e) {
                                if (e.errno() != Errno.EEXIST) {
                                    unexpected.add(e);
                                }
                            }
                        }
                    } catch (Throwable e) {
                        unexpected.add(e);
                    }
                }));
            }
        }
        all.forEach(Thread::start);
        for (Thread t : all) {
            t.join();
        }
        assertTrue(unexpected.isEmpty(), unexpected.toString());
        assertEquals(keys, wins.size(), "one winner per key");
        for (int[] w : wins) {
            for (int node = 1; node <= 3; node++) {
                assertEquals(w[1], cluster.node(node).shmget(0x1000 + w[0], 0, 0, Caller.ROOT),
                        "node " + node + " finds the winner's segment of key " + w[0]);
            }
        }
        assertEquals(keys, cluster.node(2).segments().size());
        assertEquals(keys, wins.stream().mapToInt(w -> w[1]).distinct().count(), "ids are never handed out twice");
    }

    @Test
    void createWithoutExclusiveFromEveryNodeMakesOneSegment() {
        int id = cluster.node(1).shmget(42, 100, IPC_CREAT | 0666, Caller.ROOT);
        assertEquals(id, cluster.node(2).shmget(42, 100, IPC_CREAT | 0666, Caller.ROOT));
        assertEquals(id, cluster.node(3).shmget(42, 50, 0, Caller.ROOT));
        fails(Errno.EEXIST, () -> cluster.node(3).shmget(42, 100, IPC_CREAT | IPC_EXCL | 0666, Caller.ROOT));
        fails(Errno.ENOENT, () -> cluster.node(3).shmget(43, 100, 0666, Caller.ROOT));
        int p1 = cluster.node(1).shmget(IPC_PRIVATE, 10, 0600, Caller.ROOT);
        int p2 = cluster.node(1).shmget(IPC_PRIVATE, 10, 0600, Caller.ROOT);
        assertNotEquals(p1, p2, "IPC_PRIVATE makes a new segment every time");
        SegmentInfo i = cluster.node(3).stat(id, Caller.ROOT);
        assertEquals(42, i.key());
        assertEquals(100, i.size());
        assertEquals(0666, i.mode());
        assertEquals(1, i.creatorNode());
        assertEquals(3, cluster.node(2).segments().size());
    }

    @Test
    void permissionsAreCheckedByUidGidAndMode() {
        int id = cluster.node(1).shmget(7, 4096, IPC_CREAT | 0640, ALICE);
        SegmentInfo i = cluster.node(2).stat(id, ALICE);
        assertEquals(1000, i.uid());
        assertEquals(100, i.cgid());
        try (Segment s = cluster.node(2).attach(id, 0, ALICE)) {
            s.setLong(0, 5);
        }
        try (Segment s = cluster.node(3).attach(id, SHM_RDONLY, BOB)) { // group: read
            assertEquals(5, s.getLong(0));
            fails(Errno.EACCES, () -> s.setLong(0, 6)); // attached read only
            fails(Errno.EACCES, () -> s.getAndAdd(0, 1));
            fails(Errno.EACCES, () -> s.withPage(0, true, p -> null));
        }
        fails(Errno.EACCES, () -> cluster.node(3).attach(id, 0, BOB)); // group has no write
        fails(Errno.EACCES, () -> cluster.node(3).attach(id, SHM_RDONLY, EVE)); // others: nothing
        fails(Errno.EACCES, () -> cluster.node(3).stat(id, EVE));
        fails(Errno.EACCES, () -> cluster.node(3).shmget(7, 0, 0600, BOB)); // asks rw, has r
        assertEquals(id, cluster.node(3).shmget(7, 0, 0400, BOB));
        fails(Errno.EPERM, () -> cluster.node(2).set(id, 3000, 300, 0600, BOB));
        fails(Errno.EPERM, () -> cluster.node(2).remove(id, EVE));
        // the owner gives it away; the creator keeps its rights
        SegmentInfo after = cluster.node(2).set(id, 3000, 300, 0600, ALICE);
        assertEquals(3000, after.uid());
        assertEquals(0600, after.mode());
        try (Segment s = cluster.node(1).attach(id, 0, EVE)) {
            assertEquals(5, s.getAndAdd(0, 1));
        }
        fails(Errno.EACCES, () -> cluster.node(1).attach(id, SHM_RDONLY, BOB)); // group bits now 0
        try (Segment s = cluster.node(1).attach(id, SHM_RDONLY, Caller.ROOT)) {
            assertEquals(6, s.getLong(0));
        }
        fails(Errno.EINVAL, () -> cluster.node(1).set(id, 1, 1, 01777, ALICE));
        cluster.node(3).remove(id, ALICE); // the creator may
    }

    @Test
    void removeFreesTheKeyAtOnceAndDestroysAtTheLastDetach() {
        int id = cluster.node(1).shmget(99, 8192, IPC_CREAT | 0600, Caller.ROOT);
        Segment two = cluster.node(2).attach(id, 0, Caller.ROOT);
        Segment three = cluster.node(3).attach(id, SHM_RDONLY, Caller.ROOT);
        two.setLong(4096, 77);
        assertEquals(2, cluster.node(1).stat(id, Caller.ROOT).attached());
        long dataSet = cluster.node(1).read(id).dataSet();
        cluster.node(3).remove(id, Caller.ROOT);
        // the key is free at once
        fails(Errno.ENOENT, () -> cluster.node(1).shmget(99, 0, 0, Caller.ROOT));
        int again = cluster.node(1).shmget(99, 100, IPC_CREAT | IPC_EXCL | 0600, Caller.ROOT);
        assertNotEquals(id, again);
        // the removed one lives on for its attaches, refuses new ones, and is listed as removed
        SegmentInfo st = cluster.node(2).stat(id, Caller.ROOT);
        assertTrue(st.removed());
        assertEquals(0, st.key(), "a removed segment's key shows as IPC_PRIVATE, as on Linux");
        assertEquals(2, st.attached());
        fails(Errno.EIDRM, () -> cluster.node(1).attach(id, 0, Caller.ROOT));
        fails(Errno.EIDRM, () -> cluster.node(1).remove(id, Caller.ROOT));
        fails(Errno.EIDRM, () -> cluster.node(1).set(id, 0, 0, 0600, Caller.ROOT));
        assertEquals(77, three.getLong(4096));
        assertEquals(77, two.getAndAdd(4096, 1));
        assertTrue(cluster.node(1).segments().stream().anyMatch(i -> i.id() == id && i.removed()));
        two.close();
        two.close(); // harmless twice
        assertEquals(1, cluster.node(1).stat(id, Caller.ROOT).attached());
        assertEquals(78, three.getLong(4096));
        three.close();
        fails(Errno.EINVAL, () -> cluster.node(1).stat(id, Caller.ROOT));
        fails(Errno.EINVAL, () -> cluster.node(2).attach(id, 0, Caller.ROOT));
        fails(Errno.EINVAL, () -> three.getLong(0)); // detached here
        assertTrue(cluster.node(3).segments().stream().noneMatch(i -> i.id() == id));
        for (int n = 1; n <= 3; n++) {
            assertTrue(cluster.kddm(n).find(dataSet).isEmpty(), "node " + n + " still has the pages' set");
        }
        // the new segment of the key is untouched: its memory starts as zeros
        try (Segment s = cluster.node(2).attach(again, 0, Caller.ROOT)) {
            assertEquals(0, s.getLong(0));
        }
        // removed with no attach: destroyed at once
        cluster.node(2).remove(again, Caller.ROOT);
        fails(Errno.EINVAL, () -> cluster.node(3).stat(again, Caller.ROOT));
        assertEquals(List.of(), cluster.node(1).segments());
    }

    @Test
    void bulkReadsAndWritesCrossPageBoundaries() {
        long size = 3 * 4096 + 100;
        int id = cluster.node(1).shmget(5, size, IPC_CREAT | 0600, Caller.ROOT);
        byte[] data = new byte[10_000];
        new Random(1).nextBytes(data);
        try (Segment s = cluster.node(1).attach(id, 0, Caller.ROOT)) {
            s.write(1000, data, 0, data.length); // pages 0..2
            s.write(size - 5, data, 0, 5); // the last bytes of the short last page
        }
        for (int n = 2; n <= 3; n++) {
            try (Segment s = cluster.node(n).attach(id, SHM_RDONLY, Caller.ROOT)) {
                byte[] back = new byte[data.length];
                s.read(1000, back, 0, back.length);
                assertArrayEquals(data, back, "node " + n);
                byte[] head = new byte[1000];
                s.read(0, head, 0, head.length);
                assertArrayEquals(new byte[1000], head, "never written: zeros");
                byte[] tail = new byte[5];
                s.read(size - 5, tail, 0, 5);
                assertArrayEquals(java.util.Arrays.copyOf(data, 5), tail);
                byte[] middle = new byte[8192 + 2];
                s.read(4095, middle, 0, middle.length); // three pages in one call
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 3095, 3095 + middle.length), middle);
            }
        }
    }

    @Test
    void onePageHeldOnceServesManyReadsAndWrites() {
        int id = cluster.node(1).shmget(6, 2 * 4096, IPC_CREAT | 0600, Caller.ROOT);
        try (Segment s = cluster.node(1).attach(id, 0, Caller.ROOT)) {
            s.withPage(1, true, p -> {
                assertEquals(1, p.index());
                assertEquals(4096, p.length());
                for (int w = 0; w < 512; w++) {
                    p.putLong(w * 8, w * 3L);
                }
                p.putByte(4095, (byte) 9);
                return null;
            });
        }
        try (Segment s = cluster.node(3).attach(id, SHM_RDONLY, Caller.ROOT)) {
            long sum = s.withPage(1, false, p -> {
                long t = 0;
                for (int w = 0; w < 511; w++) {
                    t += p.getLong(w * 8);
                }
                fails(Errno.EACCES, () -> p.putLong(0, 1));
                fails(Errno.EINVAL, () -> p.getLong(3));
                fails(Errno.EINVAL, () -> p.getByte(4096));
                return t + p.getByte(4095);
            });
            assertEquals(3L * 510 * 511 / 2 + 9, sum);
            assertEquals(0, s.getLong(0), "page 0 untouched");
        }
    }

    @Test
    void badInputIsRefusedWithEinvalAndLosesNothing() {
        LocalSharedMemory shm = cluster.node(2);
        fails(Errno.EINVAL, () -> shm.shmget(1, 0, IPC_CREAT | 0600, Caller.ROOT));
        fails(Errno.EINVAL, () -> shm.shmget(1, -1, IPC_CREAT | 0600, Caller.ROOT));
        fails(Errno.EINVAL, () -> shm.shmget(1, ShmCluster.LIMITS.maxSize() + 1, IPC_CREAT | 0600, Caller.ROOT));
        fails(Errno.EINVAL, () -> shm.shmget(IPC_PRIVATE, 0, 0600, Caller.ROOT));
        int id = shm.shmget(1, 100, IPC_CREAT | 0600, Caller.ROOT);
        fails(Errno.EINVAL, () -> shm.shmget(1, 101, 0600, Caller.ROOT)); // larger than it is
        fails(Errno.EINVAL, () -> shm.attach(id + 1000, 0, Caller.ROOT));
        fails(Errno.EINVAL, () -> shm.attach(0, 0, Caller.ROOT));
        fails(Errno.EINVAL, () -> shm.attach(-5, 0, Caller.ROOT));
        fails(Errno.EINVAL, () -> shm.stat(id + 1000, Caller.ROOT));
        fails(Errno.EINVAL, () -> shm.remove(id + 1000, Caller.ROOT));
        try (Segment s = shm.attach(id, 0, Caller.ROOT)) {
            s.setLong(88, 5); // the last whole word of 100 bytes
            fails(Errno.EINVAL, () -> s.getLong(4));
            fails(Errno.EINVAL, () -> s.setLong(12, 1));
            fails(Errno.EINVAL, () -> s.getAndAdd(1, 1));
            fails(Errno.EINVAL, () -> s.compareAndSet(7, 0, 1));
            fails(Errno.EINVAL, () -> s.getLong(96)); // 96..104 is past the end
            fails(Errno.EINVAL, () -> s.getLong(-8));
            fails(Errno.EINVAL, () -> s.read(90, new byte[11], 0, 11));
            fails(Errno.EINVAL, () -> s.write(-1, new byte[1], 0, 1));
            fails(Errno.EINVAL, () -> s.write(Long.MAX_VALUE, new byte[1], 0, 1));
            fails(Errno.EINVAL, () -> s.withPage(1, false, p -> null));
            fails(Errno.EINVAL, () -> s.withPage(-1, false, p -> null));
            assertThrows(IndexOutOfBoundsException.class, () -> s.read(0, new byte[4], 2, 4));
            byte[] back = new byte[10];
            s.read(90, back, 0, 10); // up to the very end is fine
            assertEquals(5, s.getLong(88), "nothing lost");
            s.withPage(0, false, p -> {
                assertEquals(100, p.length());
                return null;
            });
        }
        assertEquals(0, shm.stat(id, Caller.ROOT).attached());
    }

    @Test
    void theSegmentLimitGivesEnospcUntilOneIsRemoved() {
        try (ShmCluster small = new ShmCluster(3, Duration.ZERO, 2, new LocalSharedMemory.Limits(1 << 20, 3))) {
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(small.node(1 + i % 2).shmget(IPC_PRIVATE, 10, 0600, Caller.ROOT));
            }
            fails(Errno.ENOSPC, () -> small.node(2).shmget(500, 10, IPC_CREAT | 0600, Caller.ROOT));
            fails(Errno.ENOENT, () -> small.node(1).shmget(500, 10, 0600, Caller.ROOT)); // the key was not taken
            small.node(1).remove(ids.get(1), Caller.ROOT);
            int next = small.node(2).shmget(500, 10, IPC_CREAT | 0600, Caller.ROOT);
            assertFalse(ids.contains(next));
            assertEquals(3, small.node(1).segments().size());
        }
    }

    @Test
    void aDeadNodesAttachesAreDroppedSoARemovedSegmentGoes() throws Exception {
        int id = cluster.node(1).shmget(11, 4096, IPC_CREAT | 0600, Caller.ROOT);
        int kept = cluster.node(1).shmget(12, 4096, IPC_CREAT | 0600, Caller.ROOT);
        Segment onThree = cluster.node(3).attach(id, 0, Caller.ROOT);
        Segment keptOnThree = cluster.node(3).attach(kept, 0, Caller.ROOT);
        Segment keptOnTwo = cluster.node(2).attach(kept, 0, Caller.ROOT);
        onThree.setLong(0, 1);
        cluster.node(1).remove(id, Caller.ROOT);
        assertEquals(1, cluster.node(2).stat(id, Caller.ROOT).attached());
        cluster.crash(3);
        // node 1, the lowest of the new view, drops node 3's attaches; the removed segment goes with them
        await(() -> {
            try {
                cluster.node(1).stat(id, Caller.ROOT);
                return false;
            } catch (ShmException e) {
                return e.errno() == Errno.EINVAL;
            }
        }, "the removed segment attached only by node 3 is destroyed");
        await(() -> cluster.node(2).stat(kept, Caller.ROOT).attached() == 1, "node 3's attach of the other dropped");
        assertFalse(cluster.node(2).stat(kept, Caller.ROOT).removed());
        keptOnTwo.close();
        assertEquals(0, cluster.node(1).stat(kept, Caller.ROOT).attached());
        assertEquals(kept, cluster.node(2).shmget(12, 0, 0, Caller.ROOT), "keys survive the crash (one backup)");
        onThree.toString();
        keptOnThree.toString();
    }

    /**
     * Node 2 dies in the middle of a shmget IPC_CREAT, after the descriptor and
     * before the registry's put: nothing of it is left to count against shmmni or
     * to show, and its key is free. (Registry entry before the descriptor, as it
     * was, left an id without a descriptor for ever: the last create below failed
     * with ENOSPC.)
     */
    @Test
    void aNodeDyingMidCreateLeavesNoDeadSegment() {
        cluster.close();
        cluster = new ShmCluster(23, Duration.ofNanos(50_000), 3, new LocalSharedMemory.Limits(1L << 24, 3));
        cluster.node(1).shmget(31, 64, IPC_CREAT | 0600, Caller.ROOT);
        cluster.node(1).shmget(32, 64, IPC_CREAT | 0600, Caller.ROOT);
        cluster.node(2).crashPoint = () -> {
            cluster.crash(2);
            throw new IllegalStateException("node 2 died mid-create");
        };
        assertThrows(RuntimeException.class, () -> cluster.node(2).shmget(33, 64, IPC_CREAT | 0600, Caller.ROOT));
        int made = cluster.node(3).shmget(33, 4096, IPC_CREAT | IPC_EXCL | 0600, Caller.ROOT);
        assertEquals(3, cluster.node(1).segments().size(), "the two made before and the one made after");
        assertEquals(4096, cluster.node(1).stat(made, Caller.ROOT).size());
        assertEquals(Errno.ENOSPC, assertThrows(ShmException.class,
                () -> cluster.node(1).shmget(34, 64, IPC_CREAT | 0600, Caller.ROOT)).errno(), "shmmni 3 is reached");
    }

    @Test
    void descriptorsKeysAndPagesSurviveTheCrashOfTheirHome() {
        List<Integer> ids = new ArrayList<>();
        for (int k = 1; k <= 12; k++) {
            ids.add(cluster.node(1 + k % 3).shmget(100 + k, 64, IPC_CREAT | 0600, Caller.ROOT));
        }
        int big = cluster.node(1).shmget(200, 6 * 4096, IPC_CREAT | 0600, Caller.ROOT);
        try (Segment s = cluster.node(2).attach(big, 0, Caller.ROOT)) { // node 2 owns every page, homes spread
            for (int p = 0; p < 6; p++) {
                s.setLong(p * 4096L + 8, 1000 + p);
            }
        }
        cluster.crash(2);
        try (Segment s = cluster.node(3).attach(big, 0, Caller.ROOT)) {
            for (int p = 0; p < 6; p++) {
                assertEquals(1000 + p, s.getAndAdd(p * 4096L + 8, 1), "page " + p + " (one backup)");
            }
        }
        for (int k = 1; k <= 12; k++) {
            assertEquals(ids.get(k - 1), cluster.node(1).shmget(100 + k, 64, 0600, Caller.ROOT), "key " + (100 + k));
            assertEquals(64, cluster.node(3).stat(ids.get(k - 1), Caller.ROOT).size());
        }
        assertEquals(13, cluster.node(3).segments().size());
        int next = cluster.node(3).shmget(IPC_PRIVATE, 64, 0600, Caller.ROOT);
        assertFalse(ids.contains(next), "the allocator survived too: no id twice");
    }

    @Test
    void stoppingAndStartingTheBundleOnANodeLosesNoSegmentAndTheOthersGoOn() {
        // Segments whose keys, descriptors and pages are homed on every node, node 2 included.
        List<Integer> ids = new ArrayList<>();
        for (int k = 0; k < 9; k++) {
            ids.add(cluster.node(1 + k % 3).shmget(300 + k, 3 * 4096, IPC_CREAT | 0600, Caller.ROOT));
        }
        ShmSets homes = new ShmSets(() -> List.of(1, 2, 3), 1);
        assertTrue(ids.stream().anyMatch(id -> homes.descriptor(id) >>> 24 == 2), "a descriptor homed on node 2");
        assertTrue(java.util.stream.IntStream.range(0, 9).anyMatch(k -> homes.keyBucket(300 + k) >>> 24 == 2),
                "a key homed on node 2");
        byte[] text = "kept across a bundle restart".getBytes();
        for (int id : ids) {
            try (Segment s = cluster.node(2).attach(id, 0, Caller.ROOT)) {
                s.write(4090, text, 0, text.length);
                s.setLong(8192, 1234);
            }
        }
        cluster.undeploy(2);
        // node 2 has no shm families now: the others still make, find, change and remove segments
        int made = cluster.node(3).shmget(400, 4096, IPC_CREAT | 0600, Caller.ROOT);
        for (int n : new int[] {1, 3}) {
            for (int k = 0; k < 9; k++) {
                int id = ids.get(k);
                assertEquals(id, cluster.node(n).shmget(300 + k, 0, 0, Caller.ROOT));
                try (Segment s = cluster.node(n).attach(id, 0, Caller.ROOT)) {
                    byte[] back = new byte[text.length];
                    s.read(4090, back, 0, back.length);
                    assertArrayEquals(text, back, "node " + n);
                    s.getAndAdd(8192, 1);
                }
            }
        }
        cluster.node(1).remove(made, Caller.ROOT);
        cluster.redeploy(2);
        for (int n = 1; n <= 3; n++) {
            for (int k = 0; k < 9; k++) {
                int id = ids.get(k);
                try (Segment s = cluster.node(n).attach(id, 0, Caller.ROOT)) {
                    byte[] back = new byte[text.length];
                    s.read(4090, back, 0, back.length);
                    assertArrayEquals(text, back, "node " + n);
                    assertEquals(1236 + n - 1, s.getAndAdd(8192, 1));
                }
            }
        }
        fails(Errno.ENOENT, () -> cluster.node(2).shmget(400, 0, 0, Caller.ROOT));
        assertEquals(9, cluster.node(2).segments().size());
    }

    private static void await(Supplier<Boolean> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.get()) {
            assertTrue(System.nanoTime() < deadline, what + " within 30 s");
            Thread.sleep(10);
        }
    }
}
