package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;

/** The POSIX operations on three in-process nodes: two with partitions, one diskless. */
class FileSystemTest {
    private static final Caller ROOT = Caller.ROOT;
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
        cluster = new KdfsCluster(3, Duration.ofMillis(1), Arrays.asList(tmp.resolve("p1"), tmp.resolve("p2"), null));
        return cluster;
    }

    private static Errno errno(Runnable r) {
        return assertThrows(KdfsException.class, r::run).errno();
    }

    @Test
    void aTreeMadeOnEachNodeReadsTheSameFromEveryOther() {
        KdfsCluster c = cluster();
        for (int id = 1; id <= 3; id++) {
            Kdfs fs = c.node(id);
            Attr d = fs.mkdir(ROOT, fs.root(), "d" + id, 0755);
            Attr f = fs.create(ROOT, d.ino(), "f", 0644);
            try (OpenFile o = fs.open(ROOT, f.ino(), OpenFile.WRITE)) {
                o.write(0, ("hello from " + id).getBytes(StandardCharsets.UTF_8));
            }
            // placement: the local partition, else the parent's node (the root, node 1)
            assertEquals(id == 3 ? 1 : id, d.node());
        }
        for (Kdfs fs : c.nodes()) {
            for (int id = 1; id <= 3; id++) {
                Attr f = fs.resolve(ROOT, "/d" + id + "/f");
                try (OpenFile o = fs.open(ROOT, f.ino(), OpenFile.READ)) {
                    assertEquals("hello from " + id, new String(o.read(0, 100), StandardCharsets.UTF_8));
                }
            }
            assertEquals(List.of(".", "..", "d1", "d2", "d3"),
                    fs.readdir(ROOT, fs.root(), 0, 100).stream().map(e -> e.name()).toList());
        }
        assertEquals(Errno.EEXIST, errno(() -> c.node(2).mkdir(ROOT, c.node(2).root(), "d1", 0755)));
        assertEquals(Errno.ENOENT, errno(() -> c.node(3).resolve(ROOT, "/nope")));
        assertEquals(Errno.ENOTEMPTY, errno(() -> c.node(3).rmdir(ROOT, c.node(3).root(), "d1")));
        assertTrue(c.syncAll().isEmpty());
    }

    @Test
    void sparseWritesPastTheEndReadZeros() {
        KdfsCluster c = cluster();
        Kdfs a = c.node(1);
        Kdfs b = c.node(3);
        Attr f = a.create(ROOT, a.root(), "sparse", 0644);
        long far = 3L * FileLinker.PAGE + 10;
        try (OpenFile o = a.open(ROOT, f.ino(), OpenFile.WRITE)) {
            o.write(far, new byte[] {1, 2, 3});
        }
        assertEquals(far + 3, b.getattr(f.ino()).size());
        try (OpenFile o = b.open(ROOT, f.ino(), OpenFile.READ | OpenFile.WRITE)) {
            byte[] all = o.read(0, (int) far + 100);
            assertEquals(far + 3, all.length);
            for (int i = 0; i < far; i++) {
                assertEquals(0, all[i]);
            }
            assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOfRange(all, (int) far, all.length));
        }
    }
}
