package io.kddm.kdfs.impl;

import static io.kddm.kdfs.impl.FullHealTest.counts;
import static io.kddm.kdfs.impl.FullHealTest.flip;
import static io.kddm.kdfs.impl.FullHealTest.rewrite;
import static io.kddm.kdfs.impl.FullHealTest.text;
import static io.kddm.kdfs.impl.FullHealTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;

/**
 * {@code kdfs:heal full} interrupted by a crash, on kDFS made with
 * {@code --replicas 2} on three in-process nodes (partition S also on the next
 * node: 1 on 2, 2 on 3, 3 on 1). The crash comes at a point the test waits for
 * (a call of a node's IO linker, held there while the test crashes the node),
 * not after a guessed sleep. The heal ends, within a bound, with an error
 * naming the node; every file written and synced before is read byte for byte
 * from the nodes left; with every node started again on a copy of its partition
 * folder as the crash left it
 * (SimNetwork brings no single crashed node back into a running cluster), a
 * second full heal makes every replica its partition byte for byte, and a
 * third repairs nothing.
 */
class FullHealFaultTest {
    private static final Caller ROOT = Caller.ROOT;
    private static final Volume TWO = new Volume(2, List.of(1, 2, 3));
    /** A bound for what must end (a heal, a wait for the hook): never reached when it works. */
    private static final long BOUND_S = 60;
    @TempDir
    Path tmp;
    private KdfsCluster cluster;
    /** Every file written and synced before the heal (its path, its bytes), then those written after. */
    private final Map<String, byte[]> written = new TreeMap<>();

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** What the linker of a crashed node was doing, when it is let go: it never returns (no answer, no write). */
    private static final class Crashed extends Error {
        Crashed() {
            super("the node crashed during this call (FullHealFaultTest): it never returns", null, false, false);
        }
    }

    /**
     * Three nodes, each with a folder of files in its own partition: /a on node 1,
     * /b on node 2, /c on node 3 (8 files each, of one to three pages), all synced.
     */
    private KdfsCluster filled() throws IOException {
        cluster = new KdfsCluster(17, Duration.ofMillis(1), List.of(tmp.resolve("p1"), tmp.resolve("p2"),
                tmp.resolve("p3")), true, TWO);
        java.util.Random random = new java.util.Random(3);
        for (int node = 1; node <= 3; node++) {
            Kdfs fs = cluster.node(node);
            String dir = String.valueOf((char) ('a' + node - 1));
            Attr d = fs.mkdir(ROOT, fs.root(), dir, 0755);
            assertEquals(node, Ino.node(d.ino()), "/" + dir + " is in node " + node + "'s partition");
            for (int i = 0; i < 8; i++) {
                byte[] bytes = new byte[1000 + i * PageLinker.FILE_PAGE / 3];
                random.nextBytes(bytes);
                Attr f = write(fs, d.ino(), "f" + i, bytes);
                assertEquals(node, Ino.node(f.ino()));
                written.put("/" + dir + "/f" + i, bytes);
            }
        }
        assertTrue(cluster.syncAll().isEmpty());
        assertSameReplicas();
        return cluster;
    }

    /**
     * The node holding the replica being compared crashes while it compares an
     * object: node 1 heals partition 1 (its replica on node 2, damaged by hand in
     * 7 objects, nothing recorded), and node 2 is crashed while it compares the
     * heal's 4th object with its copy; that compare never answers. The heal ends
     * with EIO naming node 2 for partition 1, partition 3 still healed (its replica
     * on node 1, also damaged); nodes 1 and 3 read every file. Started again, a full
     * heal repairs what the first did not reach, and every replica is its partition.
     */
    @Test
    void theStoreNodeCrashingWhileItComparesEndsTheHealWithAnErrorNamingIt() throws Exception {
        KdfsCluster c = filled();
        Partition n1on2 = Partition.open(tmp.resolve("p2"), 2).replica(1); // node 2's replica of partition 1
        for (int i = 1; i < 8; i += 2) {
            flip(n1on2.meta(Ino.local(ino(c, 1, "/a/f" + i))), 12); // 4 inodes' .meta damaged
        }
        for (int i = 0; i < 6; i += 2) {
            flip(n1on2.content(Ino.local(ino(c, 1, "/a/f" + i))), 100); // 3 files' first page damaged
        }
        Partition n3on1 = Partition.open(tmp.resolve("p1"), 1).replica(3); // node 1's replica of partition 3
        flip(n3on1.meta(Ino.local(ino(c, 3, "/c/f2"))), 12);
        assertThrows(AssertionFailedError.class, () -> ReplicaTest.assertSameEntries(tmp.resolve("p1"),
                tmp.resolve("p2/n1")));

        // Node 2 compares partition 1's objects (a heal's STORE, checked) on its store workers: the 4th is held.
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        AtomicInteger compares = new AtomicInteger();
        c.watch(2, (linker, method, home, objectId, node) -> {
            if (method.equals("firstTouch") && home == 1 && compares.incrementAndGet() == 4) {
                reached.countDown();
                await(letGo);
                throw new Crashed();
            }
        });
        CompletableFuture<String> heal = CompletableFuture.supplyAsync(
                () -> ReplicaHeal.command(c.kddm(1), c.mount(1), "full"));
        assertTrue(reached.await(BOUND_S, TimeUnit.SECONDS), "node 2 compares a 4th object of partition 1");
        c.crash(2);
        KdfsException failed = failure(heal);
        letGo.countDown(); // (the compare held on node 2 ends with no answer and no write)
        System.out.println("kdfs:heal full on node 1, node 2 crashed during its 4th compare:\n" + failed.getMessage());
        assertEquals(Errno.EIO, failed.errno());
        String why = failed.getMessage();
        assertTrue(why.matches("(?s).*could not heal partition 1: [^;]*node 2[^;]*left the view.*"),
                "partition 1 not healed, naming node 2: " + why);
        assertFalse(why.contains("partition 1 (home node 1"), "partition 1 is not said healed: " + why);
        assertTrue(counts(why, 3, 1)[1] >= 1, "partition 3 healed on node 1 with node 2 down: " + why);
        assertEquals(4, compares.get(), "node 2 compared nothing after its crash");

        // Nothing acknowledged is lost: nodes 1 and 3 read every file (partition 2's from node 3's replica).
        readsEveryFile(c, 1, 3);
        Attr a = c.node(1).resolve(ROOT, "/a");
        byte[] late = text("written on node 1 while node 2 was down");
        write(c.node(1), a.ino(), "late", late); // stored on node 1, missed by node 2 (node 1's heal index)
        written.put("/a/late", late);
        assertTrue(c.syncAll().isEmpty());

        cluster = c.restarted(tmp.resolve("restarted"));
        String one = ReplicaHeal.command(cluster.kddm(1), cluster.mount(1), "full"); // partitions 1 and 3
        String three = ReplicaHeal.command(cluster.kddm(3), cluster.mount(3), "full"); // partitions 3 and 2
        System.out.println("after the restart, kdfs:heal full on node 1:\n" + one + "on node 3:\n" + three);
        long[] p1 = counts(one, 1, 2);
        assertTrue(p1[0] > 4, "partition 1 has more objects than the 4 compared before the crash: " + one);
        assertTrue(p1[1] >= 4, "at most 3 of the 7 damaged objects were repaired before the crash: " + one);
        assertTrue(cluster.syncAll().isEmpty());
        assertSameReplicas();
        readsEveryFile(cluster, 1, 2, 3);
        healedAlready();
    }

    /**
     * The home crashes while it heals its partition for another node: node 2 runs
     * kdfs:heal full (partition 2 on node 3, then partition 1, asked of its home,
     * node 1, which compares node 2's replica object by object); node 1 is crashed
     * after its 4th object. Node 2's heal ends with EIO naming node 1, partition 2
     * healed; nodes 2 and 3 read every file (partition 1's from node 2's replica)
     * and rewrite one of node 1's, which node 1 misses. Started again, node 1 has
     * that rewrite (healed from node 2's heal index before its full heal compares
     * with node 1's copy: else node 1's older bytes would be copied over it), a full heal removes the entries node 1 never had from node 2's
     * replica, and every replica is its partition.
     */
    @Test
    void theHomeCrashingWhileItHealsEndsTheAskersHealWithAnErrorNamingIt() throws Exception {
        KdfsCluster c = filled();
        Partition n1on2 = Partition.open(tmp.resolve("p2"), 2).replica(1);
        int f0 = ino(c, 1, "/a/f0");
        for (int local = 9000; local < 9003; local++) { // entries node 1 does not have (lost removals)
            Files.createDirectories(n1on2.entry(local));
            Files.copy(n1on2.meta(Ino.local(f0)), n1on2.entry(local).resolve(Partition.META),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        Partition n2on3 = Partition.open(tmp.resolve("p3"), 3).replica(2); // node 3's replica of partition 2
        flip(n2on3.meta(Ino.local(ino(c, 2, "/b/f5"))), 12);
        flip(n2on3.content(Ino.local(ino(c, 2, "/b/f6"))), 50);

        // Node 1 heals partition 1 for node 2: held after its 4th object compared on node 2.
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        AtomicInteger compared = new AtomicInteger();
        AtomicReference<Thread> healer = new AtomicReference<>();
        c.watch(1, (linker, method, home, objectId, node) -> {
            if (method.equals("healed") && node == 2 && compared.incrementAndGet() == 4) {
                healer.set(Thread.currentThread());
                reached.countDown();
                await(letGo);
            }
        });
        CompletableFuture<String> heal = CompletableFuture.supplyAsync(
                () -> ReplicaHeal.command(c.kddm(2), c.mount(2), "full"));
        assertTrue(reached.await(BOUND_S, TimeUnit.SECONDS), "node 1 compares a 4th object with node 2's");
        c.crash(1);
        KdfsException failed = failure(heal);
        letGo.countDown();
        System.out.println("kdfs:heal full on node 2, node 1 crashed after its 4th object:\n" + failed.getMessage());
        assertEquals(Errno.EIO, failed.errno());
        String why = failed.getMessage();
        assertTrue(why.matches("(?s).*could not heal partition 1: [^;]*node 1[^;]*left the view.*"),
                "partition 1 not healed, naming node 1: " + why);
        assertFalse(why.contains("partition 1 (home node 1"), why);
        assertTrue(counts(why, 2, 3)[1] >= 2, "partition 2 healed on node 3 before: " + why);
        // The crashed node's heal thread (a dead process's, in a real cluster) ends too: its next STORE goes nowhere.
        healer.get().join(TimeUnit.SECONDS.toMillis(BOUND_S));
        assertFalse(healer.get().isAlive(), "node 1's heal thread ended");

        readsEveryFile(c, 2, 3); // partition 1's files from node 2's replica
        // (as long as it was: a file cut short while its home is down is healed to a .content longer than its size
        // in some runs, see partitionWritesOfAPageAndItsInodeAtOnceLeaveTheContentCutToTheSize)
        byte[] again = new byte[written.get("/a/f0").length];
        new java.util.Random(5).nextBytes(again);
        rewrite(c.node(3), f0, again); // acted for by node 2; node 1 misses it (node 2's heal index)
        written.put("/a/f0", again);
        Attr a = c.node(2).resolve(ROOT, "/a");
        byte[] late = text("written on node 2 while node 1 was down");
        write(c.node(2), a.ino(), "late", late);
        written.put("/a/late", late);
        assertTrue(c.syncAll().isEmpty());
        readsEveryFile(c, 2, 3);

        cluster = c.restarted(tmp.resolve("restarted"));
        // Node 1 is healed of the rewrite by node 2 (its heal index) as node 1 opens f0's sets (CLAIMS, S5); its full
        // heal must not compare f0 before. The first store of f0's inode and of its page on node 1 is held until node 1
        // compares that object with node 2's (a heal that compares first copies node 1's older copy over node 2's),
        // or for 3 s (a right heal compares after the store: nothing comes while it is held).
        Map<String, CountDownLatch> f0Compared = Map.of(InodeLinker.ID, new CountDownLatch(1), PageLinker.FILE,
                new CountDownLatch(1));
        Map<String, AtomicInteger> f0Stores = Map.of(InodeLinker.ID, new AtomicInteger(), PageLinker.FILE,
                new AtomicInteger());
        long page0 = Ino.page(f0, 0);
        cluster.watch(1, (linker, method, home, objectId, node) -> {
            boolean isF0 = linker.equals(InodeLinker.ID) ? objectId == Ino.object(f0)
                    : linker.equals(PageLinker.FILE) && home == 1 && objectId == page0;
            if (isF0 && method.equals("healed") && node == 2) {
                f0Compared.get(linker).countDown();
            } else if (isF0 && method.equals("sync") && f0Stores.get(linker).incrementAndGet() == 1) {
                try {
                    f0Compared.get(linker).await(3, TimeUnit.SECONDS);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        String one = ReplicaHeal.command(cluster.kddm(1), cluster.mount(1), "full"); // partitions 1 and 3
        cluster.watch(1, null);
        assertTrue(f0Stores.get(PageLinker.FILE).get() >= 1, "node 1 was healed of f0's rewritten page by a store");
        String two = ReplicaHeal.command(cluster.kddm(2), cluster.mount(2), "full"); // partitions 2 and 1
        System.out.println("after the restart, kdfs:heal full on node 1:\n" + one + "on node 2:\n" + two);
        long[] p1 = counts(one, 1, 2);
        assertTrue(p1[0] > 4, one);
        assertTrue(p1[1] >= 3, "the 3 entries node 1 never had, left by the heal cut short, removed: " + one);
        assertTrue(cluster.syncAll().isEmpty());
        assertSameReplicas();
        readsEveryFile(cluster, 1, 2, 3);
        healedAlready();
    }

    /**
     * A page and its inode of one entry stored at once leave {@code .content}
     * cut to the size {@code .meta} says. {@link Partition#writeContent} reads the
     * size from {@code .meta}, then writes the page padded with zeros up to it;
     * {@link Partition#writeMeta} cuts {@code .content}, then replaces {@code .meta}.
     * kDDM stores objects of different sets on different threads (a home back is
     * healed set by set, a full heal opens every set at once), and before the two
     * were serialized per entry a file cut short (1000 bytes to 47) could keep a
     * {@code .content} of 1000: it read right, but the home was no longer byte for
     * byte its replica and no full heal saw it (pages are compared without their
     * trailing zeros). Seen in this class's home-crash case (1 run in 7); here
     * 329 and 1650 of 3000 pairs of writes left the file too long.
     */
    @Test
    void partitionWritesOfAPageAndItsInodeAtOnceLeaveTheContentCutToTheSize() throws Exception {
        Partition p = Partition.mkfs(tmp.resolve("p"), 1, 1, false);
        int local = 100;
        Meta m = Meta.fresh(io.kddm.kdfs.FileType.REGULAR, 0644, 0, 0, 1, java.time.Instant.now());
        byte[] long1000 = new byte[1000];
        java.util.Arrays.fill(long1000, (byte) 7);
        byte[] short47 = new byte[47];
        java.util.Arrays.fill(short47, (byte) 9);
        int tooLong = 0;
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 3000; i++) {
                m.size = 1000;
                p.writeMeta(local, m.encode(), false);
                p.writeContent(local, 0, long1000, PageLinker.FILE_PAGE);
                m.size = 47;
                byte[] cut = m.encode();
                java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
                java.util.concurrent.Future<?> inode = two.submit(() -> {
                    together.await();
                    p.writeMeta(local, cut, false);
                    return null;
                });
                java.util.concurrent.Future<?> page = two.submit(() -> {
                    together.await();
                    p.writeContent(local, 0, short47, PageLinker.FILE_PAGE);
                    return null;
                });
                inode.get(BOUND_S, TimeUnit.SECONDS);
                page.get(BOUND_S, TimeUnit.SECONDS);
                if (p.contentLength(local) != 47) {
                    tooLong++;
                }
            }
        } finally {
            two.shutdownNow();
        }
        assertEquals(0, tooLong, "files of size 47 left with a longer .content, of 3000");
    }

    /** Every replica is its partition, byte for byte. */
    private void assertSameReplicas() throws IOException {
        for (int id = 1; id <= 3; id++) {
            int next = id % 3 + 1; // (where partition id's replica is)
            ReplicaTest.assertSameEntries(cluster.partition(id), cluster.partition(next).resolve("n" + id));
        }
    }

    /** A full heal on each node repairs nothing. */
    private void healedAlready() {
        for (int id = 1; id <= 3; id++) {
            String out = ReplicaHeal.command(cluster.kddm(id), cluster.mount(id), "full");
            assertTrue(out.endsWith(" 0 repaired\n"), "healed already, on node " + id + ": " + out);
        }
    }

    /** Every file of {@link #written}, byte for byte, on each node of {@code ids}. */
    private void readsEveryFile(KdfsCluster c, int... ids) {
        for (int id : ids) {
            Kdfs fs = c.node(id);
            for (Map.Entry<String, byte[]> e : written.entrySet()) {
                Attr f = fs.resolve(ROOT, e.getKey());
                assertEquals(e.getValue().length, f.size(), e.getKey() + "'s size on node " + id);
                try (OpenFile o = fs.open(ROOT, f.ino(), OpenFile.READ)) {
                    assertArrayEquals(e.getValue(), o.read(0, e.getValue().length + 1), e.getKey() + " on node " + id);
                }
            }
        }
    }

    /** The KdfsException {@code heal} ended with, within the bound: it must end, and not succeed. */
    private static KdfsException failure(CompletableFuture<String> heal) throws InterruptedException {
        try {
            String out = heal.get(BOUND_S, TimeUnit.SECONDS);
            throw new AssertionFailedError("the heal said it healed every partition: " + out);
        } catch (java.util.concurrent.TimeoutException hung) {
            throw new AssertionFailedError("the heal did not end within " + BOUND_S + " s of the crash");
        } catch (ExecutionException e) {
            return assertInstanceOf(KdfsException.class, e.getCause());
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(BOUND_S, TimeUnit.SECONDS)) {
                throw new AssertionFailedError("the test never let the linker call go");
            }
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
            throw new Crashed();
        }
    }

    private static int ino(KdfsCluster c, int node, String path) {
        return c.node(node).resolve(ROOT, path).ino();
    }
}
