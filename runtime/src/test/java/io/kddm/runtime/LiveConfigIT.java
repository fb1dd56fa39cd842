package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Live configuration on a 3-node cluster over real TCP (issue 16): nodes 1 and
 * 2 increment one counter of the backed-up family {@code demo-r2}, homed on
 * node 1, in a loop,
 * printing every value an increment returned, until a configuration
 * ({@code io.kddm.it}) tells them to stop. Meanwhile node 1's
 * {@code deploy/io.kddm.core.cfg} and {@code deploy/io.kddm.membership.cfg} are
 * edited: each change is logged as applied live, no component of node 1 is
 * activated again or stopped, the increments go on on both nodes; then a change
 * of node 1's listen address is refused with an ERROR line naming the key and
 * node 1 keeps listening where it did. At the end the counter equals the
 * increments both nodes had acknowledged, each value returned once.
 */
class LiveConfigIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final String MAP = "--base " + (1 << 24) + " 0:22";
    /** Lines that a component of node 1 logs when it is activated, or stopped. */
    private static final Pattern ACTIVATED = Pattern.compile(
            "kDDM core of node 1 ready|membership of node 1: voters|node 1 listening on");
    private static final Pattern STOPPED = Pattern.compile(
            "handed off everything it owned|node 1 left the cluster|transport stopped|kDFS stopped");
    /** The counter: homed on node 1 (the node bits of its id), whose configuration the test edits. */
    private static final long COUNTER = (1L << 24) | 0xFFFFF0;
    private static final Pattern VALUE = Pattern.compile("(?m)^(\\d+)$");

    private static LocalCluster cluster;
    private static NodeProcess[] nodes = new NodeProcess[4];

    @BeforeAll
    static void start() throws Exception {
        cluster = new LocalCluster("live-config", 3);
        cluster.wellKnown("0:22", "demo-r2");
        nodes[3] = cluster.start(3, "--headless");
        for (int id = 1; id <= 2; id++) {
            nodes[id] = cluster.start(id, "--exec", "kddm:nodes --await 3\n"
                    + "until { config:has io.kddm.it stop } { kddm:incr --times 10 --each 0:22 " + COUNTER + " 1 }\n"
                    + LocalCluster.barrier(MAP, "stopped", id, 2) + "echo FINAL (kddm:read 0:22 " + COUNTER + ")\n",
                    "--wait", "30");
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The increments node {@code n} has acknowledged so far (the values it printed). */
    private static List<Long> values(NodeProcess n) throws IOException {
        return VALUE.matcher(NodeProcess.withoutConsoleLog(n.output())).results()
                .map(r -> Long.parseLong(r.group(1))).toList();
    }

    /** Waits until nodes 1 and 2 have each acknowledged {@code more} increments after {@code from}. */
    private static void awaitIncrements(int[] from, int more, String when) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        for (int id = 1; id <= 2; id++) {
            while (values(nodes[id]).size() < from[id] + more) {
                assertTrue(nodes[id].process.isAlive() && System.nanoTime() < deadline, "node " + id + " stopped "
                        + "incrementing " + when + ":\n" + nodes[id].output() + "\n" + nodes[id].logText());
                Thread.sleep(25);
            }
        }
    }

    private static int[] counts() throws IOException {
        return new int[] {0, values(nodes[1]).size(), values(nodes[2]).size()};
    }

    /** Replaces a file of a node's drop-in folder in one move (File Install never reads half of it). */
    private static void write(int id, String file, String text) throws IOException {
        Path deploy = cluster.data(id).resolve("deploy");
        Path tmp = Files.writeString(deploy.resolve("." + file + ".tmp"), text);
        Files.move(tmp, deploy.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static long matches(Pattern p, String text) {
        return p.matcher(text).results().count();
    }

    private static boolean accepts(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(hostPort.substring(0, colon),
                    Integer.parseInt(hostPort.substring(colon + 1))), 2_000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    @Test
    void cfgEditsApplyLiveUnderAWorkloadANonLiveKeyIsRefusedAndNoIncrementIsLost() throws Exception {
        awaitIncrements(new int[3], 30, "before the edits");
        String before = nodes[1].logText();
        assertEquals(3, matches(ACTIVATED, before), "node 1's core, membership and transport started once:\n" + before);

        Path core = cluster.data(1).resolve("deploy/io.kddm.core.cfg");
        write(1, "io.kddm.core.cfg", Files.readString(core) + "operation.timeout.ms=20000\nmemory.budget.mb=64\n");
        write(1, "io.kddm.membership.cfg", "suspect.after.ms=1500\ndead.after.ms=4000\n");
        for (String line : List.of("io\\.kddm\\.core: operation\\.timeout\\.ms changed from 30000 ms to 20000 ms, live",
                "io\\.kddm\\.core: memory\\.budget\\.mb changed from 262144 KiB to 65536 KiB, live",
                "io\\.kddm\\.membership: suspect\\.after\\.ms changed from 1000 ms to 1500 ms, live",
                "io\\.kddm\\.membership: dead\\.after\\.ms changed from 3000 ms to 4000 ms, live")) {
            nodes[1].awaitLog("INFO .* - " + line, LIMIT);
        }
        awaitIncrements(counts(), 30, "after the live edits");

        // Not live: the address every peer knows node 1 by.
        String moved = "127.0.0.1:" + NodeProcess.freePort();
        Path node = cluster.data(1).resolve("deploy/io.kddm.node.cfg");
        String nodeCfg = Files.readString(node);
        assertTrue(nodeCfg.contains("listen=" + nodes[1].listen + "\n"), nodeCfg);
        write(1, "io.kddm.node.cfg", nodeCfg.replace("listen=" + nodes[1].listen, "listen=" + moved));
        nodes[1].awaitLog("ERROR .* - io\\.kddm\\.node: listen changed from " + Pattern.quote(nodes[1].listen) + " to "
                + Pattern.quote(moved) + ": refused live, .*; " + Pattern.quote(nodes[1].listen)
                + " stays in force until the node restarts", LIMIT);
        awaitIncrements(counts(), 30, "after the refused edit");
        assertTrue(accepts(nodes[1].listen), "node 1 still listens on " + nodes[1].listen);
        assertFalse(accepts(moved), "node 1 did not move to " + moved);

        String during = nodes[1].logText();
        assertEquals(3, matches(ACTIVATED, during), "no component of node 1 was activated again:\n"
                + during.substring(before.length()));
        assertEquals(0, matches(STOPPED, during), "no component of node 1 stopped:\n" + during);
        assertFalse(Pattern.compile("(?m)^.* (WARN|ERROR) .*$").matcher(during.substring(before.length())).results()
                .anyMatch(m -> !m.group().contains("refused live")), "the refusal is the only warning or error:\n"
                        + during.substring(before.length()));

        write(1, "io.kddm.it.cfg", "stop=true\n");
        write(2, "io.kddm.it.cfg", "stop=true\n");
        long total = 0;
        List<Long> all = new java.util.ArrayList<>();
        long[] finals = new long[3];
        for (int id = 1; id <= 2; id++) {
            assertEquals(0, nodes[id].awaitExit(LIMIT), "node " + id + ":\n" + nodes[id].output());
            List<Long> mine = values(nodes[id]);
            all.addAll(mine);
            total += mine.size();
            Matcher m = Pattern.compile("(?m)^FINAL (\\d+)$").matcher(nodes[id].output());
            assertTrue(m.find(), nodes[id].output());
            finals[id] = Long.parseLong(m.group(1));
        }
        assertEquals(total, finals[1], "the counter read on node 1 holds every acknowledged increment");
        assertEquals(total, finals[2], "the counter read on node 2 holds every acknowledged increment");
        assertEquals(total, all.stream().distinct().count(), "every value returned once");
        assertEquals(total, all.stream().mapToLong(Long::longValue).max().orElse(0));
        String after = nodes[1].logText();
        assertEquals(3, matches(ACTIVATED, after), "node 1's components were activated once in all:\n" + after);
        System.out.println("live configuration: " + total + " increments acknowledged by nodes 1 and 2 across the "
                + "edits, counter " + finals[1]);
    }
}
