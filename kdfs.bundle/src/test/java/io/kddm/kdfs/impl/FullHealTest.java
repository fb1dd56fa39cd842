package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * {@code kdfs:heal full} on kDFS made with {@code --replicas 2} on three
 * in-process nodes (partition S also on the next node: 1 on 2, 2 on 3, 3 on
 * 1): replicas damaged by hand on disk, with no heal record, are made byte for
 * byte their partitions again, while a file written during the heal keeps its
 * last write.
 */
class FullHealTest {
    private static final Caller ROOT = Caller.ROOT;
    private static final Volume TWO = new Volume(2, List.of(1, 2, 3));
    private static final Pattern LINE = Pattern.compile("partition (\\d+) \\(home node \\d+, compared on node (\\d+)\\): "
            + "(\\d+) objects checked, (\\d+) repaired");
    @TempDir
    Path tmp;
    private KdfsCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private KdfsCluster cluster() {
        cluster = new KdfsCluster(11, Duration.ofMillis(1), List.of(tmp.resolve("p1"), tmp.resolve("p2"),
                tmp.resolve("p3")), true, TWO);
        return cluster;
    }

    @Test
    void aFullHealMakesEveryDamagedReplicaItsPartitionAgain() throws Exception {
        KdfsCluster c = cluster();
        Kdfs three = c.node(3);
        Kdfs two = c.node(2);
        Attr dir3 = three.mkdir(ROOT, three.root(), "c", 0755);
        Attr sub3 = three.mkdir(ROOT, dir3.ino(), "sub", 0755);
        int a = write(three, dir3.ino(), "a", text("node 3's a")).ino();
        int big = write(three, dir3.ino(), "big", pattern(200_000)).ino(); // four pages
        int meta = write(three, sub3.ino(), "m", text("node 3's m")).ino();
        Attr dir2 = two.mkdir(ROOT, two.root(), "b", 0755);
        int b = write(two, dir2.ino(), "b", text("node 2's b")).ino();
        for (int i = 0; i < 30; i++) { // more than a directory page of names
            write(two, dir2.ino(), "file-with-a-long-name-" + i, text("b" + i));
        }
        assertTrue(c.syncAll().isEmpty());
        Path p1 = tmp.resolve("p1");
        Path p2 = tmp.resolve("p2");
        Path p3 = tmp.resolve("p3");
        assertEquals(3, Ino.node(a));
        assertEquals(2, Ino.node(b));
        ReplicaTest.assertSameEntries(p3, p1.resolve("n3"));
        ReplicaTest.assertSameEntries(p2, p3.resolve("n2"));

        // Damage the replicas by hand: nothing recorded in any heal index.
        Partition r3 = Partition.open(p1, 1).replica(3); // node 1's replica of partition 3
        Files.delete(r3.content(Ino.local(a))); // a file's bytes lost
        try (var f = java.nio.channels.FileChannel.open(r3.content(Ino.local(big)),
                java.nio.file.StandardOpenOption.WRITE)) {
            f.write(java.nio.ByteBuffer.wrap(text("garbage in page one")), 70_000); // bytes corrupted
        }
        flip(r3.meta(Ino.local(meta)), 10); // an inode's .meta damaged
        flip(r3.content(Ino.local(dir3.ino())), 20); // a directory page damaged
        deleteTree(r3.entry(Ino.local(sub3.ino()))); // a whole directory entry gone
        Files.createDirectories(r3.entry(9000)); // an entry the home does not have (a lost removal)
        Files.copy(r3.meta(Ino.local(big)), r3.entry(9000).resolve(Partition.META), StandardCopyOption.REPLACE_EXISTING);
        Partition r2 = Partition.open(p3, 3).replica(2); // node 3's replica of partition 2
        Files.delete(r2.meta(Ino.local(b))); // an inode's .meta lost, its bytes kept
        flip(r2.content(Ino.local(dir2.ino())), 40); // a page of names damaged
        assertThrows(AssertionFailedError.class, () -> ReplicaTest.assertSameEntries(p3, p1.resolve("n3")));
        assertThrows(AssertionFailedError.class, () -> ReplicaTest.assertSameEntries(p2, p3.resolve("n2")));
        for (Path p : List.of(p1, p2, p3)) {
            assertTrue(new HealIndex(p).counts().values().stream().allMatch(n -> n == 0), "no heal record: " + p);
        }

        // Node 3 rewrites one of its files over and over while node 1 heals (partitions 1 and 3).
        // (its writes go on until two after the heal returned, so some are made while it runs)
        AtomicInteger stopAfter = new AtomicInteger(5000);
        AtomicInteger writes = new AtomicInteger();
        int live = write(three, dir3.ino(), "live", text("write 0")).ino();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            for (int i = 1; i <= stopAfter.get(); i++) {
                rewrite(three, live, text("write " + i));
                writes.set(i);
            }
        });
        while (writes.get() < 3) {
            Thread.sleep(5);
        }
        int before = writes.get();
        String one = ReplicaHeal.command(c.kddm(1), c.mount(1), "full");
        int after = writes.get();
        stopAfter.set(after + 2);
        writer.get(60, TimeUnit.SECONDS);
        System.out.println("kdfs:heal full on node 1, while writes " + before + " to " + after + " of /c/live were made:\n"
                + one);
        long[] on3 = counts(one, 3, 1);
        assertTrue(on3[1] >= 6, "node 1's replica of partition 3: at least its 6 damaged objects repaired: " + one);
        assertTrue(on3[0] > on3[1], one);
        counts(one, 1, 2); // partition 1 on node 2 compared too
        assertTrue(one.contains("full heal: "), one);
        String twoOut = ReplicaHeal.command(c.kddm(2), c.mount(2), "full"); // partitions 2 (on node 3) and 1
        assertTrue(counts(twoOut, 2, 3)[1] >= 2, twoOut);

        assertTrue(c.syncAll().isEmpty());
        ReplicaTest.assertSameEntries(p3, p1.resolve("n3"));
        ReplicaTest.assertSameEntries(p2, p3.resolve("n2"));
        ReplicaTest.assertSameEntries(p1, p2.resolve("n1"));
        String last = "write " + writes.get();
        for (int id = 1; id <= 3; id++) {
            assertEquals(last, read(c.node(id), "/c/live"), "the last write, not undone by the heal, on node " + id);
        }
        // Healed: a second full heal finds nothing to repair.
        String again = ReplicaHeal.command(c.kddm(3), c.mount(3), "full");
        assertEquals(0, counts(again, 3, 1)[1], again);
        assertEquals(0, counts(again, 2, 3)[1], again);
        // What node 1 acts for while node 3 is down is read from its healed replica.
        c.crash(3);
        for (int id = 1; id <= 2; id++) {
            assertEquals("node 3's a", read(c.node(id), "/c/a"));
            assertEquals("node 3's m", read(c.node(id), "/c/sub/m"));
        }
    }

    @Test
    void badInputAndAStoreNodeOutOfTheViewAreRefusedClearly() throws Exception {
        KdfsCluster c = cluster();
        write(c.node(1), c.node(1).root(), "x", text("x"));
        KdfsException extra = assertThrows(KdfsException.class,
                () -> ReplicaHeal.command(c.kddm(1), c.mount(1), "full", "now"));
        assertEquals(Errno.EINVAL, extra.errno());
        assertTrue(extra.getMessage().contains("takes one word"), extra.getMessage());
        assertEquals(Errno.EINVAL, assertThrows(KdfsException.class,
                () -> ReplicaHeal.command(c.kddm(1), c.mount(1), "everything")).errno());
        assertTrue(ReplicaHeal.command(c.kddm(1), c.mount(1)).startsWith("nothing to heal"), "info by default");
        c.crash(3);
        KdfsException away = assertThrows(KdfsException.class,
                () -> ReplicaHeal.command(c.kddm(1), c.mount(1), "full"));
        assertEquals(Errno.EIO, away.errno());
        assertTrue(away.getMessage().contains("partition 3: node 3 is out of the view"), away.getMessage());
        assertTrue(away.getMessage().contains("(healed: partition 1 (home node 1, compared on node 2)"),
                "partition 1 (on nodes 1 and 2) was healed: " + away.getMessage());
        KdfsException noReplica = assertThrows(KdfsException.class,
                () -> ReplicaHeal.command(c.kddm(2), c.mount(2), "full"));
        assertTrue(noReplica.getMessage().contains("node 3, a store node of node 2's objects, is out of the view"),
                noReplica.getMessage());
        c.mount(1).umount();
        KdfsException unmounted = assertThrows(KdfsException.class,
                () -> ReplicaHeal.command(c.kddm(1), c.mount(1), "full"));
        assertEquals(Errno.EIO, unmounted.errno());
        assertTrue(unmounted.getMessage().contains("not mounted"), unmounted.getMessage());
    }

    /** {@code {checked, repaired}} of partition {@code home}'s line, compared on {@code on}. */
    static long[] counts(String out, int home, int on) {
        Matcher m = LINE.matcher(out);
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) == home && Integer.parseInt(m.group(2)) == on) {
                return new long[] {Long.parseLong(m.group(3)), Long.parseLong(m.group(4))};
            }
        }
        throw new AssertionFailedError("no line for partition " + home + " compared on node " + on + ": " + out);
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return b;
    }

    static Attr write(Kdfs fs, int dir, String name, byte[] bytes) {
        Attr f = fs.create(ROOT, dir, name, 0644);
        rewrite(fs, f.ino(), bytes);
        return f;
    }

    static void rewrite(Kdfs fs, int ino, byte[] bytes) {
        try (OpenFile o = fs.open(ROOT, ino, OpenFile.WRITE | OpenFile.TRUNCATE)) {
            o.write(0, bytes);
            o.fsync();
        }
    }

    private static String read(Kdfs fs, String path) {
        Attr f = fs.resolve(ROOT, path);
        try (OpenFile o = fs.open(ROOT, f.ino(), OpenFile.READ)) {
            return new String(o.read(0, 1000), StandardCharsets.UTF_8);
        }
    }

    static void flip(Path file, int at) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[at] ^= 0x5A;
        Files.write(file, bytes);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
