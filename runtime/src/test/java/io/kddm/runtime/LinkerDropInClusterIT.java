package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hot update through the drop-in folder, across three JVMs over real TCP on
 * 127.0.0.1: the three nodes write one map (the {@code map} interface linker
 * over a well-known set of the {@code file} family, every bucket homed on node
 * 2) while the file linker's jar in node 2's {@code deploy/} is replaced by a
 * new version. File Install updates the bundle under the workload; afterwards
 * every node reads every entry of every node as last written.
 */
class LinkerDropInClusterIT {
    private static final Duration LIMIT = Duration.ofSeconds(240);
    private static final String SET = "0:9";
    /** The map's header and buckets carry node 2 in their bits 24..31: node 2 is their home. */
    private static final String MAP = "--base " + (2 << 24) + " " + SET;
    private static final int KEYS = 100;
    private static final int ROUNDS = 250;

    private LocalCluster cluster;

    @AfterEach
    void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Node {@code id}'s script: its share of the workload, then a check of everybody's, between barriers. */
    private static String script(int id) {
        StringBuilder s = new StringBuilder("kddm:nodes --await 3\n");
        // The test replaces the jar once every node has said it starts writing (the next statement).
        s.append(LocalCluster.barrier(MAP, "start", id, 3)).append("echo FILLING\n");
        s.append("map:fill --rounds ").append(ROUNDS).append(' ').append(MAP).append(" n").append(id).append(' ')
                .append(KEYS).append('\n');
        s.append(LocalCluster.barrier(MAP, "filled", id, 3));
        for (int n = 1; n <= 3; n++) {
            s.append("map:verify --round ").append(ROUNDS).append(' ').append(MAP).append(" n").append(n).append(' ')
                    .append(KEYS).append('\n');
        }
        s.append("kddm:linkers\nkddm:stats\n");
        // Nobody leaves before everybody has checked (node 2 is the home of every bucket).
        s.append(LocalCluster.lastBarrier(MAP, "checked", id, 3));
        return s.toString();
    }

    @Test
    void replacingTheFileLinkerJarUnderAMapWorkloadLosesNoEntry() throws Exception {
        cluster = new LocalCluster("linker-drop-in-it", 3);
        cluster.wellKnown(SET, "file");
        NodeProcess[] nodes = new NodeProcess[4];
        for (int id = 1; id <= 3; id++) {
            nodes[id] = cluster.start(id, "--exec", script(id), "--wait", "30");
        }
        // Replace the jar while all three write: each prints FILLING right before its map:fill (which
        // runs for tens of seconds). Waiting for one node only, under load, let a node start after the swap.
        for (int id = 1; id <= 3; id++) {
            nodes[id].awaitOutput("(?m)^FILLING$", LIMIT);
        }
        Thread.sleep(200);
        Path deploy = cluster.data(2).resolve("deploy");
        Path jar = deploy.resolve("io.kddm.linker.file.jar");
        Path next = cluster.data(2).resolve("io.kddm.linker.file.jar.v2");
        try (InputStream in = Files.newInputStream(jar)) {
            Files.write(next, Jars.withVersion(in, "0.1.0.v2"));
        }
        // One rename: File Install never sees a half-written jar.
        Files.move(next, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        int[] status = LocalCluster.release(nodes, LIMIT, 1, 3, 2); // node 2, the home of every bucket, last
        for (int id = 1; id <= 3; id++) {
            assertEquals(0, status[id], "node " + id + ":\n" + nodes[id].output() + nodes[id].logText());
        }
        long gone = logged(nodes[2], "IO linker file unregistered", 0);
        long back = logged(nodes[2], "IO linker file registered", gone); // not the build's, at start
        for (int id = 1; id <= 3; id++) {
            String out = nodes[id].output();
            assertEquals(3, out.split("all " + KEYS + " entries", -1).length - 1,
                    "node " + id + " read every node's entries as last written:\n" + out);
            Matcher fill = Pattern.compile("put (\\d+) entries .* from (\\d+) to (\\d+)").matcher(out);
            assertTrue(fill.find(), out);
            long from = Long.parseLong(fill.group(2));
            long to = Long.parseLong(fill.group(3));
            // File Install took the new jar (the old linker left, the new one came) while this node wrote.
            assertTrue(from < gone && back < to, "node " + id + "'s workload ran from " + from + " to " + to
                    + ", node 2's file linker was away from " + gone + " to " + back + ": raise ROUNDS");
            System.out.println("node " + id + ": " + fill.group(1) + " puts from " + from + " to " + to
                    + " ms, node 2's file linker away from +" + (gone - from) + " to +" + (back - from)
                    + " ms; linker waits " + waits(out));
        }
        String two = nodes[2].output();
        assertTrue(two.contains("io.kddm.linker.file 0.1.0.v2"), "node 2 runs the new file linker:\n" + two);
        assertTrue(Pattern.compile("io\\.kddm\\.linker\\.file 0\\.1\\.0\\.\\d").matcher(nodes[1].output()).find(),
                "node 1 runs the build's file linker:\n" + nodes[1].output());
    }

    /**
     * When the node's log first says {@code message} at or after {@code since}
     * (ms since the epoch; the log's times are this machine's local time).
     */
    private static long logged(NodeProcess node, String message, long since) throws Exception {
        Matcher m = Pattern.compile("^(\\S+ \\S+) .* - " + Pattern.quote(message) + "$", Pattern.MULTILINE)
                .matcher(node.logText());
        while (m.find()) {
            long at = LocalDateTime.parse(m.group(1).replace(' ', 'T')).atZone(ZoneId.systemDefault()).toInstant()
                    .toEpochMilli();
            if (at >= since) {
                return at;
            }
        }
        throw new AssertionError("node " + node.id + " never logged '" + message + "' after " + since);
    }

    private static long waits(String out) {
        Matcher m = Pattern.compile("waits for an updated linker\\s+(\\d+)").matcher(out);
        assertTrue(m.find(), "kddm:stats has no linker waits row:\n" + out);
        return Long.parseLong(m.group(1));
    }
}
