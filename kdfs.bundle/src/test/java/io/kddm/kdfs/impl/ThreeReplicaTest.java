package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;

/**
 * kDFS made with {@code --replicas 3} on four in-process nodes (partition S
 * also on the next two of 1, 2, 3, 4): a store is acknowledged once two
 * replicas have it, a partition is served while two of its replicas are in the
 * view, and none when only one is; after a restart the replicas are healed to
 * be byte for byte alike, versions included.
 */
class ThreeReplicaTest {
    private static final Caller ROOT = Caller.ROOT;
    private static final Volume THREE = new Volume(3, List.of(1, 2, 3, 4));
    @TempDir
    Path tmp;
    private KdfsCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void twoReplicasServeAPartitionOneRefusesAndTheRestartedOnesAreHealed() throws Exception {
        KdfsCluster c = new KdfsCluster(11, Duration.ofMillis(1), List.of(tmp.resolve("p1"), tmp.resolve("p2"),
                tmp.resolve("p3"), tmp.resolve("p4")), true, THREE);
        cluster = c;
        assertEquals(List.of(3, 4, 1), THREE.group(3));
        Kdfs three = c.node(3);
        Attr t = three.mkdir(ROOT, three.root(), "t", 0755);
        Map<String, String> files = new TreeMap<>();
        for (int i = 0; i < 5; i++) {
            write(three, t.ino(), "f" + i, "from 3, file " + i, files);
        }
        for (int i = 0; i < 3; i++) {
            write(c.node(2), t.ino(), "g" + i, "from 2, file " + i, files); // inodes on 2 (2, 3, 4)
        }
        assertTrue(c.syncAll().isEmpty());
        assertReplicas(c, 3, 2);

        c.crash(3); // partition 3: nodes 4 and 1 left of 3, 4, 1: served, node 4 acting
        for (int id : new int[] {1, 2, 4}) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                assertEquals(f.getValue(), read(c.node(id), f.getKey()), "node " + id + " reads " + f.getKey());
            }
        }
        Attr dir = c.node(2).resolve(ROOT, "/t");
        for (int i = 0; i < 4; i++) {
            write(c.node(1), dir.ino(), "h" + i, "written while 3 was down, " + i, files);
        }
        Attr f0 = c.node(1).resolve(ROOT, "/t/f0");
        try (OpenFile o = c.node(1).open(ROOT, f0.ino(), OpenFile.WRITE | OpenFile.TRUNCATE)) {
            o.write(0, "rewritten by 1".getBytes(StandardCharsets.UTF_8));
            o.fsync();
        }
        files.put("/t/f0", "rewritten by 1");
        assertTrue(c.syncAll().isEmpty(), "everything stored on two of three replicas");

        c.crash(4); // partition 3: node 1 alone of 3, 4, 1; partition 2: node 2 alone of 2, 3, 4
        KdfsException refused = assertThrows(KdfsException.class,
                () -> write(c.node(1), dir.ino(), "alone", "never acknowledged", new TreeMap<>()));
        assertEquals(Errno.EIO, refused.errno(), refused.getMessage());
        assertTrue(refused.getMessage().contains("quorum"), "says why: " + refused.getMessage());

        cluster = c.restarted(tmp.resolve("restarted")); // every node back, 3 and 4 as they crashed
        KdfsCluster r = cluster;
        awaitHealed(r);
        assertTrue(r.syncAll().isEmpty());
        for (int id = 1; id <= 4; id++) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                assertEquals(f.getValue(), read(r.node(id), f.getKey()), "node " + id + " reads " + f.getKey());
            }
            assertThrows(KdfsException.class, () -> r.node(1).resolve(ROOT, "/t/alone"), "never acknowledged, "
                    + "and node 1 alone could not even make it");
        }
        for (int home = 1; home <= 4; home++) {
            assertReplicas(r, home);
        }
    }

    /** Partition {@code home}'s entries, versions included, byte for byte on each of its other replicas. */
    private static void assertReplicas(KdfsCluster c, int... homes) throws Exception {
        for (int home : homes) {
            for (int n : THREE.group(home)) {
                if (n != home) {
                    ReplicaTest.assertSameEntries(c.partition(home), c.partition(n).resolve("n" + home));
                }
            }
        }
    }

    /** Until no heal index of any node names a node (bounded: 20 s). */
    private static void awaitHealed(KdfsCluster c) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Map<Integer, Map<Integer, Integer>> left;
        do {
            left = new TreeMap<>();
            for (int id = 1; id <= 4; id++) {
                Map<Integer, Integer> counts = new TreeMap<>(new HealIndex(c.partition(id)).counts());
                counts.values().removeIf(n -> n == 0);
                if (!counts.isEmpty()) {
                    left.put(id, counts);
                }
            }
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < until);
        StringBuilder which = new StringBuilder();
        for (int id = 1; id <= 4; id++) {
            for (int n = 1; n <= 4; n++) {
                Map<Long, java.util.Set<Long>> m = new HealIndex(c.partition(id)).missedBy(n, set -> true);
                if (!m.isEmpty()) {
                    which.append("\n on node ").append(id).append(", node ").append(n).append(" missed: ");
                    m.forEach((set, ids) -> which.append(io.kddm.api.set.SetIds.format(set)).append(ids.stream()
                            .map(o -> Long.toHexString(o)).toList()).append(' '));
                }
            }
        }
        throw new AssertionError("heal records left after 20 s (node: {node missing: objects}): " + left + which);
    }

    private static void write(Kdfs fs, int dir, String name, String text, Map<String, String> files) {
        ReplicaTest.write(fs, dir, name, text);
        files.put("/t/" + name, text);
    }

    private static String read(Kdfs fs, String path) {
        return ReplicaTest.read(fs, path);
    }
}
