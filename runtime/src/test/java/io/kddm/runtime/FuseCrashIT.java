package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a {@code kill -9} of a kDFS node leaves of the files written through its
 * FUSE mount, once it restarts on the same partition: every file that was
 * {@code fsync}ed (with its folder) is there, byte for byte, and so is every file
 * that was only closed: close(2) waits (FLUSH, kDFS's {@code close.waits}) for the
 * write-back of the file and of the directory entries the node changed. One node, a JVM of its own, its own partition (everything it stores and
 * homes comes back from there; objects homed elsewhere that a killed node owned are
 * read again from their store, row R22, and KdfsReplicaIT kills a partition node of a
 * replicated kDFS). Needs root, {@code /dev/fuse}, libfuse2.
 */
class FuseCrashIT {
    private static final Duration LIMIT = Duration.ofSeconds(180);
    private LocalCluster cluster;
    private NodeProcess node;
    private Path mnt;

    @AfterEach
    void stop() throws Exception {
        if (cluster == null) {
            return;
        }
        try {
            if (node != null && node.process.isAlive()) {
                node.terminate(LIMIT);
            }
        } finally {
            // mountinfo, not mountpoint(1): a stale mount (its node killed) cannot be stat'ed, and must go too
            if (mnt != null && Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .anyMatch(l -> l.split(" ")[4].equals(mnt.toString()))) {
                sh("fusermount -u -z " + mnt);
            }
            cluster.close();
        }
    }

    private static NodeProcess.Result sh(String script) throws Exception {
        return NodeProcess.bash(script, LIMIT);
    }

    /** Runs {@code script} with bash, which must succeed; returns its output. */
    private static String ok(String script) throws Exception {
        return NodeProcess.bashOk(script, LIMIT);
    }

    @Test
    void filesFsyncedOrClosedBeforeAKillDashNineAreWholeAfterTheRestart() throws Exception {
        assertEquals("0", ok("id -u").strip(), "FUSE tests mount as root (allow_other)");
        cluster = new LocalCluster("fuse-crash-it", 1);
        Path partition = cluster.data(1).resolve("kdfs");
        NodeProcess.Result mkfs = NodeProcess.run(List.of(NodeProcess.ROOT.resolve("kddm").toString(), "mkfs.kdfs",
                partition.toString(), "1"), LIMIT);
        assertEquals(0, mkfs.status(), mkfs.output());
        Files.writeString(Files.createDirectories(cluster.data(1).resolve("deploy")).resolve("io.kddm.kdfs.cfg"),
                "partition=" + partition + "\n");
        mnt = Files.createDirectories(cluster.base.resolve("mnt"));
        node = cluster.start(1, "--headless", "--mount", mnt.toString());
        node.awaitLog("kDFS mounted through FUSE at", LIMIT);

        Path src = Files.createDirectories(cluster.base.resolve("src"));
        // 60 files acknowledged by fsync (each file, their folder, the root that names it), then 30 only closed
        // (names and data: nothing of them fsynced), then the kill at once.
        ok("cd " + src + " && mkdir acked closed && for i in $(seq 1 60); do head -c $((i * 3001)) /dev/urandom"
                + " > acked/f$i; done && for i in $(seq 1 30); do head -c $((i * 2003 + 70000)) /dev/urandom"
                + " > closed/g$i; done");
        ok("cp -r " + src + "/acked " + mnt + "/acked && sync " + mnt + "/acked/* " + mnt + "/acked " + mnt
                + " && cp -r " + src + "/closed " + mnt + "/closed");
        node.kill();
        assertTrue(sh("ls " + mnt).output().contains("Transport endpoint is not connected"), "the mount died with it");

        node = cluster.start(1, "--headless", "--mount", mnt.toString());
        node.awaitLog("(?s)(kDFS mounted through FUSE at.*){2}", LIMIT); // the log goes on from the first run
        ok("diff -r " + src + "/acked " + mnt + "/acked"); // every byte of every fsynced file, and no other file
        // every byte of every closed file too, and no other file: cp's close(2) of each returned before the kill
        ok("diff -r " + src + "/closed " + mnt + "/closed");
        System.out.println("kill -9 right after the writes: 60 fsynced files and 30 closed ones whole");
    }
}
