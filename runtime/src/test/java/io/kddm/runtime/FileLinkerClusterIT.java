package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The file IO linker across three JVMs over real TCP on 127.0.0.1: objects of a
 * well-known set of the {@code file} family, homed on all three nodes, are
 * written and synced, the whole cluster stops, starts again, and every object
 * reads back byte for byte from the homes' files.
 */
class FileLinkerClusterIT {
    private static final Duration LIMIT = Duration.ofSeconds(180);
    private static final String SET = "0:7";
    /** Objects per node: their ids carry the home node in bits 24..31 (3,000 in all). */
    private static final int[] COUNT = {0, 1000, 1000, 1000};

    private LocalCluster cluster;

    @BeforeEach
    void prepare() throws Exception {
        cluster = new LocalCluster("file-linker-it", 3);
        cluster.wellKnown(SET, "file");
    }

    @AfterEach
    void stop() throws InterruptedException {
        cluster.close();
    }

    /** Node 1 runs {@code command} on each node's range while nodes 2 and 3 serve, then the cluster stops. */
    private String runOnCluster(String command) throws Exception {
        return runOnCluster(command, COUNT);
    }

    /** As above, on the first {@code count[home]} objects of each home's range (none: skipped). */
    private String runOnCluster(String command, int[] count) throws Exception {
        NodeProcess two = cluster.start(2, "--headless");
        NodeProcess three = cluster.start(3, "--headless");
        // A peer not listening yet counts as settled (failed) for --exec: wait for the nodes themselves.
        StringBuilder script = new StringBuilder("kddm:nodes --await 3\n");
        for (int home = 1; home <= 3; home++) {
            if (count[home] == 0) {
                continue;
            }
            script.append(command).append(' ').append(SET).append(' ').append(home << 24).append(' ')
                    .append(count[home]).append('\n');
        }
        NodeProcess one = cluster.start(1, "--exec", script.toString(), "--wait", "30");
        assertEquals(0, one.awaitExit(LIMIT), "node 1:\n" + one.output() + one.logText());
        assertEquals(0, two.terminate(Duration.ofSeconds(30)), "node 2:\n" + two.output());
        assertEquals(0, three.terminate(Duration.ofSeconds(30)), "node 3:\n" + three.output());
        return one.output();
    }

    private long files(int node) throws Exception {
        try (Stream<Path> s = Files.walk(cluster.data(node).resolve("objects"))) {
            // (not the versions kDDM records beside each object, OBJECTID.v)
            return s.filter(p -> Files.isRegularFile(p) && !p.getFileName().toString().endsWith(".v")).count();
        }
    }

    @Test
    void syncedObjectsSurviveAFullClusterRestart() throws Exception {
        long start = System.nanoTime();
        String filled = runOnCluster("kddm:fill --sync --size 100");
        long fill = System.nanoTime() - start;
        assertEquals(3, filled.split("synced", -1).length - 1, filled);
        for (int id = 1; id <= 3; id++) {
            assertEquals(COUNT[id], files(id), "object files at home on node " + id);
        }
        start = System.nanoTime();
        String verified = runOnCluster("kddm:verify --size 100");
        long verify = System.nanoTime() - start;
        assertEquals(3, verified.split("all identical", -1).length - 1, verified);
        System.out.println("file linker: 3000 objects synced on 3 nodes in " + fill / 1_000_000 + " ms, read back "
                + "identical after a full cluster restart in " + verify / 1_000_000 + " ms");
    }

    @Test
    void aCorruptObjectFileIsReportedWithItsPathAndObject() throws Exception {
        runOnCluster("kddm:fill --sync --size 100", new int[] {0, 0, 50, 0}); // node 2's first 50
        long object = (2 << 24) + 17;
        Path file;
        try (Stream<Path> s = Files.walk(cluster.data(2).resolve("objects"))) {
            file = s.filter(p -> p.getFileName().toString().equals(Long.toString(object))).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 10)); // truncated
        NodeProcess two = cluster.start(2, "--headless");
        NodeProcess three = cluster.start(3, "--headless");
        NodeProcess one = cluster.start(1, "--exec", "kddm:nodes --await 3; kddm:verify --size 100 " + SET + " " + object + " 1", "--wait", "30");
        assertEquals(1, one.awaitExit(LIMIT), one.output());
        String out = one.output();
        assertTrue(out.contains(file.toString()) && out.contains("object " + object) && out.contains("truncated"),
                "the error names the file and the object:\n" + out);
        assertEquals(0, two.terminate(Duration.ofSeconds(30)));
        assertEquals(0, three.terminate(Duration.ofSeconds(30)));
    }
}
