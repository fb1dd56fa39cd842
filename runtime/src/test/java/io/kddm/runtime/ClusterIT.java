package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Nodes as separate JVMs over real TCP on 127.0.0.1, started with {@code ./kddm}
 * exactly as a user would. The steps share one cluster and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    /**
     * Default failure detection: the voters' leader takes a node out after 3 s of
     * silence (checked every 250 ms), and the others install that view once its
     * lease has surely run out (2 s, stretched by the clocks' drift, plus a
     * heartbeat: 2252 ms), which they learn from the voters' next answers and act
     * on at their next tick (a heartbeat each).
     */
    private static final Duration DETECTION_BOUND = Duration.ofMillis(3250 + 2252 + 250 + 250);
    private static final Duration SLACK = Duration.ofSeconds(2);
    private static final Duration EXEC_LIMIT = Duration.ofSeconds(60);
    private static final Pattern ROW = Pattern.compile("(?m)^(\\d+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+(?: \\S+)?)\\s+(\\S+(?: \\S+)?)");

    private static Path base;
    private static Path secret;
    private static final String[] ADDRESS = new String[10];
    private static final NodeProcess[] NODES = new NodeProcess[10];

    @BeforeAll
    static void prepare() throws Exception {
        base = Files.createDirectories(Path.of("target", "cluster-it").toAbsolutePath());
        try (var old = Files.walk(base)) {
            old.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(base)).forEach(p -> p.toFile().delete());
        }
        secret = Files.writeString(base.resolve("secret"), "cluster-it secret " + System.nanoTime());
        for (int id = 1; id < ADDRESS.length; id++) {
            ADDRESS[id] = "127.0.0.1:" + NodeProcess.freePort();
        }
    }

    @AfterAll
    static void stopAll() throws InterruptedException {
        for (NodeProcess n : NODES) {
            if (n != null && n.process.isAlive()) {
                n.kill();
            }
        }
    }

    private static List<String> peersOf(int id, int... others) {
        return NodeProcess.peers(ADDRESS, id, others);
    }

    private static NodeProcess startHeadless(int id, int... peers) throws IOException {
        NODES[id] = NodeProcess.headless(id, ADDRESS[id], peersOf(id, peers), secret, base);
        return NODES[id];
    }

    /** Runs node {@code id} with --exec and returns its output, checking the exit status. */
    private static String exec(int id, Path secretFile, String commands, int expectedStatus, int... peers)
            throws Exception {
        // A voter keeps one data folder, as a real one does: its Raft state is there (a voter that forgets it
        // cannot take part again; see the README).
        Path data = base.resolve((id <= 3 ? "node-" : "exec-") + id);
        NodeProcess.Result r = NodeProcess.run(NodeProcess.command(id, ADDRESS[id], peersOf(id, peers), secretFile,
                data, "--exec", commands), EXEC_LIMIT);
        assertEquals(expectedStatus, r.status(), r.output());
        return r.output();
    }

    /** Rows of kddm:nodes: id -> {state, rtt}. */
    private static java.util.Map<Integer, String[]> rows(String table) {
        java.util.Map<Integer, String[]> rows = new java.util.TreeMap<>();
        Matcher m = ROW.matcher(table);
        while (m.find()) {
            rows.put(Integer.parseInt(m.group(1)), new String[] {m.group(3), m.group(5)});
        }
        return rows;
    }

    @Test
    @Order(1)
    void execOnAThreeNodeClusterListsThreeAliveNodesWithRoundTripTimes() throws Exception {
        startHeadless(2, 1, 2, 3);
        startHeadless(3, 1, 2, 3);
        NODES[2].awaitLog("node 3 joined the cluster", Duration.ofSeconds(30));

        String out = exec(1, secret, "kddm:nodes", 0, 1, 2, 3);
        var rows = rows(out);
        assertEquals(List.of(1, 2, 3), List.copyOf(rows.keySet()), out);
        for (var row : rows.entrySet()) {
            assertEquals("ALIVE", row.getValue()[0], out);
            if (row.getKey() != 1) {
                assertTrue(row.getValue()[1].matches("\\d+(\\.\\d+)? (us|ms)"), "RTT of node " + row.getKey() + "\n" + out);
            }
        }
        // Node 1 left when --exec finished: the others saw a leave, not a failure.
        NODES[2].awaitLog("node 1 left the cluster", Duration.ofSeconds(10));
    }

    @Test
    @Order(2)
    void killedNodeIsDeadWithinTheBoundAndRejoinsAfterRestart() throws Exception {
        startHeadless(1, 1, 2, 3);
        for (int id : new int[] {1, 2}) {
            NODES[id].awaitLog("node 3 joined the cluster", Duration.ofSeconds(30));
        }
        // Its second incarnation (the first was the --exec run of the first step, in the same data folder).
        NODES[1].awaitLog("(?s)(node 1 joined the cluster as incarnation.*){2}", Duration.ofSeconds(30));

        long killed = System.nanoTime();
        NODES[3].kill();
        for (int id : new int[] {1, 2}) {
            long seen = NODES[id].awaitLog("node 3 is out of the cluster", DETECTION_BOUND.plus(SLACK).plusSeconds(5));
            long millis = TimeUnit.NANOSECONDS.toMillis(seen - killed);
            System.out.printf("node %d installed the view without the killed node 3 %d ms after kill -9 (bound %d ms)%n",
                    id, millis, DETECTION_BOUND.toMillis());
            assertTrue(millis <= DETECTION_BOUND.plus(SLACK).toMillis(),
                    "node " + id + " declared node 3 dead after " + millis + " ms");
            assertFalse(NODES[id].logText().contains("node 3 left"), "a kill is not a leave");
        }

        startHeadless(3, 1, 2, 3);
        for (int id : new int[] {1, 2}) {
            // in the view again, as a new incarnation, after it was taken out
            NODES[id].awaitLog("node 3 is out of the cluster(?s:.*)node 3 joined the cluster", Duration.ofSeconds(30));
        }
        var rows = rows(exec(9, secret, "kddm:nodes", 0, 1, 2, 3));
        for (int id : new int[] {1, 2, 3}) {
            assertEquals("ALIVE", rows.get(id)[0], "node " + id);
        }
    }

    @Test
    @Order(3)
    void wrongSecretNodeIsRefusedOnBothSides() throws Exception {
        Path wrong = Files.writeString(base.resolve("wrong-secret"), "not the cluster secret");
        String out = exec(8, wrong, "kddm:nodes", 0, 1, 2, 3);
        var rows = rows(out);
        assertEquals(List.of(8), List.copyOf(rows.keySet()), "the intruder sees nobody:\n" + out);
        assertTrue(out.contains("REFUSED"), out);
        for (int id : new int[] {1, 2, 3}) {
            NODES[id].awaitLog("refusing node 8 .*wrong secret|refused this node: authentication failed",
                    Duration.ofSeconds(10));
            assertFalse(NODES[id].logText().contains("connected to node 8"), "node " + id + " admitted node 8");
        }
        assertTrue(Files.readString(base.resolve("exec-8/log/node.log")).matches("(?s).*(refus).*"));
    }

    @Test
    @Order(4)
    void garbageOnTheListenPortIsLoggedAndTheNodeStaysHealthy() throws Exception {
        String[] hostPort = ADDRESS[1].split(":");
        Random random = new Random(2026);
        for (int i = 0; i < 5; i++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 2000);
                s.setSoTimeout(10_000);
                byte[] junk = new byte[512];
                random.nextBytes(junk);
                s.getOutputStream().write(junk);
                InputStream in = s.getInputStream();
                try {
                    while (in.read() >= 0) {
                        // until the node closes the connection
                    }
                } catch (java.net.SocketTimeoutException kept) {
                    throw new AssertionError("node 1 kept a garbage connection open for 10 s", kept);
                } catch (IOException reset) {
                    // closed with a reset
                }
            }
        }
        NODES[1].awaitLog("malformed frame", Duration.ofSeconds(10));
        var rows = rows(exec(9, secret, "kddm:nodes", 0, 1, 2, 3));
        assertEquals("ALIVE", rows.get(1)[0]);
        assertTrue(NODES[1].process.isAlive());
    }

    @Test
    @Order(5)
    void sigtermLeavesTheClusterAndExitsZero() throws Exception {
        assertEquals(0, NODES[3].terminate(Duration.ofSeconds(30)));
        NODES[1].awaitLog("node 3 left the cluster", Duration.ofSeconds(10));
        assertTrue(NODES[3].logText().contains("transport stopped"), "node 3 stopped its transport");
        assertEquals(0, NODES[2].terminate(Duration.ofSeconds(30)));
        assertEquals(0, NODES[1].terminate(Duration.ofSeconds(30)));
    }

    @Test
    @Order(6)
    void launcherRejectsBadArgumentsClearly() throws Exception {
        Path missing = base.resolve("no-such-secret");
        String[][] cases = {
            {"--id", "0", "--listen", "127.0.0.1:1", "--secret-file", secret.toString()},
            {"--id", "x", "--listen", "127.0.0.1:1", "--secret-file", secret.toString()},
            {"--id", "5", "--listen", "nowhere", "--secret-file", secret.toString()},
            {"--id", "5", "--listen", "127.0.0.1:1", "--secret-file", missing.toString()},
            {"--id", "5", "--listen", "127.0.0.1:1"},
            {"--id", "5", "--listen", "127.0.0.1:1", "--secret-file", secret.toString(), "--bogus"},
        };
        String[] expected = {"from 1 to 255", "from 1 to 255", "HOST:PORT", "does not exist", "--secret-file",
            "unknown option"};
        for (int i = 0; i < cases.length; i++) {
            List<String> cmd = new ArrayList<>(List.of(NodeProcess.ROOT.resolve("kddm").toString(), "node"));
            cmd.addAll(List.of(cases[i]));
            NodeProcess.Result r = NodeProcess.run(cmd, Duration.ofSeconds(30));
            assertEquals(2, r.status(), r.output());
            assertTrue(r.output().contains(expected[i]), r.output());
            assertFalse(r.output().contains("Exception"), r.output());
        }
        // A port in use is refused before any JVM starts.
        try (var busy = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            List<String> cmd = NodeProcess.command(5, "127.0.0.1:" + busy.getLocalPort(), List.of(), secret,
                    base.resolve("busy"), "--headless");
            NodeProcess.Result r = NodeProcess.run(cmd, Duration.ofSeconds(30));
            assertEquals(2, r.status(), r.output());
            assertTrue(r.output().contains("already in use"), r.output());
        }
    }
}
