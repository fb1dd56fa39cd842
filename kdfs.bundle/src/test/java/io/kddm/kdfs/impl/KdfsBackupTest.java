package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.DirEntry;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.OpenFile;

/**
 * kDFS's in-memory backups (issue 14's defaults: inodes and folders one
 * backup awaited by each put, file pages one backup that other nodes wait
 * for): what a writer made and neither closed nor synced outlives its crash,
 * in a volume of two replicas (the writer's own partition, which homes its
 * new files, is then served by its replica).
 */
class KdfsBackupTest {
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

    /**
     * Node 3 makes names and folders in node 1's folder and writes files it
     * keeps open, never closed or synced; once its backups are kept (file
     * pages: not awaited by the writes), node 3 crashes. Nobody else read
     * anything: node 1 lists every name and folder, sees every size and reads
     * every byte from the backups alone.
     */
    @Test
    void whatAWriterMadeAndNeitherClosedNorSyncedOutlivesItsCrash() throws InterruptedException {
        cluster = new KdfsCluster(11, Duration.ofMillis(1), List.of(tmp.resolve("p1"), tmp.resolve("p2"),
                tmp.resolve("p3")), true, new Volume(2, List.of(1, 2, 3)));
        Kdfs one = cluster.node(1);
        Attr t = one.mkdir(ROOT, one.root(), "t", 0755);
        assertEquals(1, t.node());
        assertTrue(cluster.syncAll().isEmpty());
        Kdfs three = cluster.node(3);
        Random random = new Random(3);
        List<byte[]> data = new ArrayList<>();
        List<Integer> inos = new ArrayList<>();
        List<OpenFile> open = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            three.mkdir(ROOT, t.ino(), "d" + i, 0755);
            Attr f = three.create(ROOT, t.ino(), "f" + i, 0644);
            assertEquals(3, f.node(), "the writer's partition homes its files");
            byte[] bytes = new byte[PageLinker.FILE_PAGE + 5000 * (i + 1)];
            random.nextBytes(bytes);
            OpenFile o = three.open(ROOT, f.ino(), OpenFile.WRITE);
            o.write(0, bytes);
            open.add(o); // never closed: nothing of it is written back by a close
            data.add(bytes);
            inos.add(f.ino());
        }
        // The pages' backups are not awaited by the writes (visible): until they are all kept, what node 3 owns
        // is under-replicated. Nobody else reads anything: every value below comes from a backup.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (cluster.kddm(3).coherence().underReplicated() > 0) {
            assertTrue(System.nanoTime() < deadline, "node 3's backups were never all kept");
            Thread.sleep(2);
        }
        cluster.crash(3);
        TreeSet<String> names = new TreeSet<>();
        for (DirEntry e : one.readdir(ROOT, t.ino(), 0, 100)) {
            names.add(e.name() + (e.type() == FileType.DIRECTORY ? "/" : ""));
        }
        TreeSet<String> expected = new TreeSet<>(List.of("./", "../"));
        for (int i = 0; i < 6; i++) {
            expected.add("d" + i + "/");
            expected.add("f" + i);
        }
        assertEquals(expected, names, "every name node 3 made, none closed or synced");
        for (int i = 0; i < 6; i++) {
            Attr f = one.resolve(ROOT, "/t/f" + i);
            assertEquals(data.get(i).length, f.size(), "f" + i + ": its size");
            try (OpenFile o = one.open(ROOT, f.ino(), OpenFile.READ)) {
                assertArrayEquals(data.get(i), o.read(0, data.get(i).length), "f" + i + ": every byte");
            }
            assertEquals(FileType.DIRECTORY, one.resolve(ROOT, "/t/d" + i).type());
        }
    }
}
