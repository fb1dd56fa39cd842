package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;

/**
 * kDFS made with {@code --replicas 2} on three in-process nodes (partitions 1,
 * 2, 3: node S's entries also on the next one): every store reaches both
 * replicas, and a crashed node's files stay readable and writable from the
 * others, its objects acted for by the next store node from its replica.
 */
class ReplicaTest {
    private static final Caller ROOT = Caller.ROOT;
    private static final Volume TWO = new Volume(2, List.of(1, 2, 3));
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
        cluster = new KdfsCluster(5, Duration.ofMillis(1), List.of(tmp.resolve("p1"), tmp.resolve("p2"),
                tmp.resolve("p3")), true, TWO);
        return cluster;
    }

    @Test
    void theVolumeGroupsEachPartitionWithTheNextOne() {
        assertEquals(List.of(3, 1), TWO.group(3));
        assertEquals(List.of(2, 3), TWO.group(2));
        assertEquals(List.of(5), TWO.group(5), "not a partition node: alone");
        assertEquals(List.of(3), TWO.replicated(1), "node 1 keeps node 3's entries");
        assertEquals(Errno.EINVAL, assertThrows(KdfsException.class, () -> new Volume(4, List.of(1, 2, 3, 4))).errno());
        assertEquals(Errno.EINVAL, assertThrows(KdfsException.class, () -> new Volume(3, List.of(1, 2))).errno());
        assertEquals(List.of(3, 1, 2), new Volume(3, List.of(1, 2, 3)).group(3));
        assertEquals(Errno.EINVAL, assertThrows(KdfsException.class, () -> new Volume(2, List.of(1))).errno());
        assertEquals(Errno.EINVAL, assertThrows(KdfsException.class, () -> Volume.parse(2, "1,x")).errno());
        assertEquals(Errno.EINVAL, assertThrows(KdfsException.class,
                () -> Partition.mkfs(tmp.resolve("p9"), 9, 1, TWO, false)).errno(), "node 9 is no partition node");
    }

    @Test
    void theSuperblockKeepsTheReplicas() throws IOException {
        Partition p = Partition.mkfs(tmp.resolve("p2"), 2, 1, TWO, false);
        assertEquals(TWO, p.superblock().volume());
        assertTrue(Files.readString(p.dir().resolve(Superblock.FILE)).contains("replicas=2\npartitions=1,2,3\n"));
        assertEquals(Volume.SINGLE, Partition.mkfs(tmp.resolve("p1"), 1, 1, false).superblock().volume());
    }

    @Test
    void aCrashedNodesFilesStayReadableAndWritableFromTheOthers() throws Exception {
        KdfsCluster c = cluster();
        Kdfs three = c.node(3);
        Attr t = three.mkdir(ROOT, three.root(), "t", 0755);
        assertEquals(3, t.node(), "the tree is stored on node 3 (and replicated on node 1)");
        for (int i = 0; i < 5; i++) {
            write(three, t.ino(), "f" + i, "from 3, file " + i);
        }
        for (int i = 0; i < 3; i++) {
            write(c.node(2), t.ino(), "g" + i, "from 2, file " + i); // its inodes on node 2, names in 3's pages
        }
        assertTrue(c.syncAll().isEmpty());
        assertSameEntries(tmp.resolve("p3"), tmp.resolve("p1/n3"));
        assertSameEntries(tmp.resolve("p2"), tmp.resolve("p3/n2"));
        assertSameEntries(tmp.resolve("p1"), tmp.resolve("p2/n1"));

        c.crash(3);
        for (int id = 1; id <= 2; id++) {
            Kdfs fs = c.node(id);
            for (int i = 0; i < 5; i++) {
                assertEquals("from 3, file " + i, read(fs, "/t/f" + i), "node " + id + " reads node 3's file");
            }
            for (int i = 0; i < 3; i++) {
                assertEquals("from 2, file " + i, read(fs, "/t/g" + i));
            }
        }
        Attr dir = c.node(2).resolve(ROOT, "/t");
        for (int i = 0; i < 4; i++) {
            write(c.node(2), dir.ino(), "h" + i, "written while 3 was down, " + i); // into node 3's directory
        }
        Attr f0 = c.node(1).resolve(ROOT, "/t/f0"); // node 3's own file, acted for by node 1
        try (OpenFile o = c.node(1).open(ROOT, f0.ino(), OpenFile.WRITE | OpenFile.TRUNCATE)) {
            o.write(0, "rewritten by 1".getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(c.syncAll().isEmpty(), "everything written back with node 3 down");
        for (int id = 1; id <= 2; id++) {
            Kdfs fs = c.node(id);
            assertEquals("rewritten by 1", read(fs, "/t/f0"));
            for (int i = 0; i < 4; i++) {
                assertEquals("written while 3 was down, " + i, read(fs, "/t/h" + i));
            }
            List<String> names = new ArrayList<>();
            fs.readdir(ROOT, dir.ino(), 0, 100).forEach(e -> names.add(e.name()));
            assertEquals(14, names.size(), ". and .. and 12 files: " + names);
        }
        // What node 3 missed is in the heal indexes: node 1's (acting for 3) and node 2's (3 is its replica).
        Map<Integer, Integer> one = new HealIndex(tmp.resolve("p1")).counts();
        Map<Integer, Integer> two = new HealIndex(tmp.resolve("p2")).counts();
        assertTrue(one.getOrDefault(3, 0) > 0, "node 1 recorded what node 3 missed: " + one);
        assertTrue(two.getOrDefault(3, 0) > 0, "node 2 recorded what node 3 missed: " + two);
        assertEquals("node 3 misses " + one.get(3) + " objects stored here\n", new HealIndex(tmp.resolve("p1")).describe(),
                "kdfs:heal on node 1");
        assertEquals("nothing to heal: no node misses a store made here\n",
                new HealIndex(tmp.resolve("p9")).describe());
    }

    /**
     * Every replicated store keeps its version beside it on disk, the same on
     * both replicas (inodes in {@code .versions}, pages in their entry's
     * {@code .pagev}); a rewrite stores a newer one, and a removed inode keeps
     * the version of its removal, newer still, where its entry was.
     */
    @Test
    void everyStoreKeepsItsVersionOnDiskOnBothReplicasAndARemovalKeepsOne() {
        KdfsCluster c = cluster();
        Kdfs three = c.node(3);
        Attr t = three.mkdir(ROOT, three.root(), "t", 0755);
        write(three, t.ino(), "f", "first");
        assertTrue(c.syncAll().isEmpty());
        int local = Ino.local(three.resolve(ROOT, "/t/f").ino());
        Partition home = Partition.open(tmp.resolve("p3"), 3);
        Partition replica = Partition.open(tmp.resolve("p1"), 1).replica(3);
        byte[] first = StoreVersions.ofInode(home, local);
        assertTrue(first != null, "the inode's version is on disk at its home");
        assertArrayEquals(first, StoreVersions.ofInode(replica, local), "and the same on its replica");
        byte[] page = StoreVersions.ofPage(home, local, 0);
        assertTrue(page != null, "the page's version too");
        assertArrayEquals(page, StoreVersions.ofPage(replica, local, 0));

        try (OpenFile o = c.node(2).open(ROOT, c.node(2).resolve(ROOT, "/t/f").ino(), OpenFile.WRITE | OpenFile.TRUNCATE)) {
            o.write(0, "second, from another node".getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(c.syncAll().isEmpty());
        byte[] second = StoreVersions.ofInode(home, local);
        assertTrue(newer(second, first), "a rewrite is stored at a newer version");
        assertArrayEquals(second, StoreVersions.ofInode(replica, local));
        assertTrue(newer(StoreVersions.ofPage(home, local, 0), page));

        c.node(1).unlink(ROOT, t.ino(), "f");
        assertTrue(c.syncAll().isEmpty());
        assertTrue(!Files.exists(home.entry(local)) && !Files.exists(replica.entry(local)), "the entry is gone");
        byte[] removed = StoreVersions.ofInode(home, local);
        assertTrue(removed != null && newer(removed, second), "its removal's version stays");
        assertArrayEquals(removed, StoreVersions.ofInode(replica, local));
    }

    /** Versions as kDDM orders them: view epoch, then sequence, both big-endian longs. */
    private static boolean newer(byte[] a, byte[] b) {
        java.nio.ByteBuffer x = java.nio.ByteBuffer.wrap(a);
        java.nio.ByteBuffer y = java.nio.ByteBuffer.wrap(b);
        int epoch = Long.compare(x.getLong(), y.getLong());
        return epoch != 0 ? epoch > 0 : x.getLong() > y.getLong();
    }

    /**
     * mkfs.kdfs --replicas 2 writes the root on its partition node and on the
     * node that keeps that partition's replica: a fresh file system whose root
     * node dies before anything was written to the root is still usable.
     */
    @Test
    void aFreshFileSystemsRootOutlivesItsPartitionNode() throws Exception {
        KdfsCluster c = cluster();
        int rootNode = Ino.node(c.node(1).root());
        int replica = TWO.group(rootNode).get(1);
        int other = 6 - rootNode - replica; // of nodes 1, 2, 3: neither stores the root
        c.crash(rootNode);
        Kdfs fs = c.node(other);
        assertEquals(FileType.DIRECTORY, fs.getattr(fs.root()).type(), "the root, read from its replica");
        write(fs, fs.root(), "after", "written with the root's node down");
        assertEquals("written with the root's node down", read(fs, "/after"));
    }

    /**
     * A file is acknowledged at its close: the close waits for its write-back to
     * the file's store nodes (kDFS's {@code close.waits}), so a crash of the writer
     * right after the close (no fsync, no periodic pass: the interval is not run
     * here) loses none of it. Node 2 writes 12 files of several pages into node 3's
     * tree (their inodes and pages homed on node 2, replicated on node 3) and
     * crashes at once; node 1 reads every file whole from node 3's replica. With
     * {@code close.waits=false} the write-backs still running at the crash are
     * lost and this fails.
     */
    @Test
    void aClosedFileOutlivesACrashOfItsWriter() {
        KdfsCluster c = cluster();
        Kdfs three = c.node(3);
        Attr t = three.mkdir(ROOT, three.root(), "t", 0755);
        assertTrue(c.syncAll().isEmpty());
        Kdfs two = c.node(2);
        Map<String, byte[]> written = new TreeMap<>();
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 12; i++) {
            byte[] data = new byte[PageLinker.FILE_PAGE * 2 + 1000 * i];
            random.nextBytes(data);
            Attr f = two.create(ROOT, t.ino(), "c" + i, 0644);
            assertEquals(2, f.node(), "the writer's own partition homes the file");
            try (OpenFile o = two.open(ROOT, f.ino(), OpenFile.WRITE)) {
                o.write(0, data);
            }
            written.put("c" + i, data);
        }
        c.crash(2);
        Kdfs one = c.node(1);
        for (Map.Entry<String, byte[]> e : written.entrySet()) {
            Attr f = one.resolve(ROOT, "/t/" + e.getKey());
            assertEquals(e.getValue().length, f.size(), e.getKey() + ": its size survived the writer");
            try (OpenFile o = one.open(ROOT, f.ino(), OpenFile.READ)) {
                assertArrayEquals(e.getValue(), o.read(0, e.getValue().length), e.getKey() + ": every byte");
            }
        }
    }

    /**
     * Two nodes replicating to each other at once, each fsyncing files into the
     * other's tree from 8 threads: every store at a home waits for the other
     * node's STORE; none goes unanswered (a STORE waiting behind the stores of
     * the node it is sent to would stall until the operation timeout and be
     * recorded as missed; StoreReplicaStateTest forces that case), and the
     * replicas end byte for byte alike.
     */
    @Test
    void twoNodesReplicatingToEachOtherUnderLoadNeverWaitOnEachOther() throws Exception {
        cluster = new KdfsCluster(7, Duration.ofMillis(1), List.of(tmp.resolve("p1"), tmp.resolve("p2")), true,
                new Volume(2, List.of(1, 2)));
        Kdfs one = cluster.node(1);
        Kdfs two = cluster.node(2);
        int onOne = one.mkdir(ROOT, one.root(), "on1", 0755).ino();
        int onTwo = two.mkdir(ROOT, two.root(), "on2", 0755).ino();
        assertEquals(2, Ino.node(onTwo));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < 8; t++) {
            // a folder per thread, so that the creates do not queue on one folder: stores pile up at the homes
            int intoTwo = one.mkdir(ROOT, onTwo, "t" + t, 0755).ino();
            int intoOne = two.mkdir(ROOT, onOne, "t" + t, 0755).ino();
            done.add(pool.submit(() -> {
                for (int i = 0; i < 5; i++) {
                    write(one, intoTwo, "f" + i, "x" + i); // node 2 stores, and replicates to node 1
                }
            }));
            done.add(pool.submit(() -> {
                for (int i = 0; i < 5; i++) {
                    write(two, intoOne, "f" + i, "y" + i); // node 1 stores, and replicates to node 2
                }
            }));
        }
        for (java.util.concurrent.Future<?> f : done) {
            f.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        pool.shutdown();
        long ms = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(cluster.syncAll().isEmpty());
        assertEquals(0, cluster.storesMissed(), "no STORE went unanswered: none waited out its timeout (" + ms
                + " ms for the 80 files)");
        assertSameEntries(tmp.resolve("p1"), tmp.resolve("p2/n1"));
        assertSameEntries(tmp.resolve("p2"), tmp.resolve("p1/n2"));
    }

    static void write(Kdfs fs, int dir, String name, String text) {
        Attr f = fs.create(ROOT, dir, name, 0644);
        try (OpenFile o = fs.open(ROOT, f.ino(), OpenFile.WRITE | OpenFile.TRUNCATE)) {
            o.write(0, text.getBytes(StandardCharsets.UTF_8));
            o.fsync();
        }
    }

    static String read(Kdfs fs, String path) {
        Attr f = fs.resolve(ROOT, path);
        try (OpenFile o = fs.open(ROOT, f.ino(), OpenFile.READ)) {
            return new String(o.read(0, 1000), StandardCharsets.UTF_8);
        }
    }

    /**
     * Every entry's {@code .meta}, {@code .content} and pages' versions, and the inodes' versions, of
     * partition {@code a} are byte for byte in {@code b}.
     */
    static void assertSameEntries(Path a, Path b) throws IOException {
        Map<String, byte[]> left = entries(a);
        Map<String, byte[]> right = entries(b);
        assertEquals(left.keySet(), right.keySet(), a + " and its replica " + b + " hold the same entries");
        for (Map.Entry<String, byte[]> e : left.entrySet()) {
            assertArrayEquals(e.getValue(), right.get(e.getKey()), e.getKey() + " differs in " + b);
        }
    }

    static Map<String, byte[]> entries(Path partition) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        if (!Files.exists(partition)) {
            return out; // a replica never written to: its partition must be empty too
        }
        try (Stream<Path> all = Files.walk(partition, 3)) {
            for (Path p : all.toList()) {
                String rel = partition.relativize(p).toString();
                String name = p.getFileName().toString();
                if ((rel.matches("\\d+-\\d+/\\d+/\\.(meta|content|pagev)") || rel.equals(StoreVersions.INODES))
                        && !name.startsWith(".tmp")) {
                    out.put(rel, Files.readAllBytes(p));
                }
            }
        }
        return out;
    }
}
