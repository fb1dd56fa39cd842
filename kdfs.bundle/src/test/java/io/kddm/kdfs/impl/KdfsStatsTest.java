package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsStats;
import io.kddm.kdfs.OpenFile;

/** {@link Kdfs#stats}: the operations asked on a node by kind, and its write-back backlog. */
class KdfsStatsTest {
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
    void operationsAreCountedWhereAskedAndTheBacklogEmptiesOnWriteBack() {
        cluster = new KdfsCluster(12, Duration.ofMillis(1), Arrays.asList(tmp.resolve("p1"), tmp.resolve("p2")));
        Kdfs one = cluster.node(1);
        Kdfs two = cluster.node(2);
        KdfsStats before = one.stats();
        Attr d = one.mkdir(Caller.ROOT, one.root(), "d", 0755);
        for (int i = 0; i < 4; i++) {
            one.create(Caller.ROOT, d.ino(), "f" + i, 0644);
        }
        two.lookup(Caller.ROOT, two.root(), "d");
        KdfsStats after = one.stats();
        assertEquals(1, after.operations().getOrDefault("mkdir", 0L) - before.operations().getOrDefault("mkdir", 0L));
        assertEquals(4, after.operations().getOrDefault("create", 0L) - before.operations().getOrDefault("create", 0L));
        assertEquals(0, after.operations().getOrDefault("lookup", 0L), "node 2's lookup counts on node 2");
        assertEquals(1, two.stats().operations().get("lookup"));
        assertEquals(0, after.operations().getOrDefault("read", 0L));
        assertTrue(after.dirtyInodes() >= 5, "the folder and its four files wait for write-back: " + after);
        assertTrue(after.dirtyPages() >= 1, "the folder's page: " + after);
        try (var f = two.open(Caller.ROOT, two.lookup(Caller.ROOT, d.ino(), "f0").ino(), OpenFile.READ | OpenFile.WRITE)) {
            f.write(0, new byte[] {1, 2, 3});
            assertEquals(3, f.read(0, 10).length);
        }
        assertEquals(1, two.stats().operations().get("write"));
        assertEquals(1, two.stats().operations().get("read"));
        assertEquals(1, two.stats().operations().get("open"));
        assertTrue(cluster.writeBackAll().isEmpty());
        assertEquals(0, one.stats().dirtyInodes(), "written back: " + one.stats());
        assertEquals(0, one.stats().dirtyPages());
    }
}
