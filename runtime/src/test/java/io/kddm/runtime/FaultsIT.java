package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.impl.core.History;
import io.kddm.impl.core.Linearizability;

/**
 * Faults between JVMs over real TCP: nodes join and leave in order while others
 * work, a node is paused (SIGSTOP) shorter and longer than the failure bound,
 * and cut off from the others by a packet filter. Every run is bounded in count
 * and time, kills only the processes it started, and checks that nothing
 * acknowledged was lost: counters exact, histories linearizable per object
 * (operations cut off count as unknown), every live node's view the same.
 * {@code -Dkddm.faults.rounds=N} runs more rounds (the nightly profile).
 */
class FaultsIT {
    /** How the core says an object is lost (the home's record, a leave that could not hand off). */
    private static final java.util.regex.Pattern LOST = java.util.regex.Pattern.compile("object \\d+ was lost|no other node could take");
    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final int ROUNDS = Integer.getInteger("kddm.faults.rounds", 3);
    /** A failure bound with some room: dead.after 3 s + the lease bound 2.25 s + a tick or two + slack. */
    private static final Duration AGREE = Duration.ofSeconds(20);
    /** Objects of the well-known set 0:21 homed on node 3 and on node 2 (demo-nodebits: the home is the node bits). */
    private static final long ON_3 = (3L << 24) | 1;
    private static final long ON_2 = (2L << 24) | 1;

    private LocalCluster cluster;

    @AfterEach
    void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    private NodeProcess headless(int id) throws Exception {
        return cluster.start(id, "--headless");
    }

    private NodeProcess exec(int id, String script) throws Exception {
        return cluster.start(id, "--exec", script, "--wait", "30");
    }

    private static String awaitSuccess(NodeProcess n) throws Exception {
        assertEquals(0, n.awaitExit(LIMIT), "node " + n.id + ":\n" + n.output() + "\n" + n.logText());
        return n.output();
    }

    /** Until every node of {@code nodes} has installed the same view, of exactly {@code members}. */
    private static long awaitAgreement(List<NodeProcess> nodes, String members) throws Exception {
        return awaitAgreement(nodes, members, "");
    }

    /** As {@link #awaitAgreement(List, String)}, on a view other than {@code not} (one installed before a fault). */
    private static long awaitAgreement(List<NodeProcess> nodes, String members, String not) throws Exception {
        long start = System.nanoTime();
        long deadline = start + AGREE.toNanos();
        while (true) {
            List<String> views = new ArrayList<>();
            for (NodeProcess n : nodes) {
                views.add(n.lastView());
            }
            if (views.stream().distinct().count() == 1 && views.get(0).endsWith("[" + members + "]")
                    && !views.get(0).equals(not)) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            }
            assertTrue(System.nanoTime() < deadline, "the nodes do not agree on a view of [" + members + "] within "
                    + AGREE + ": " + views);
            Thread.sleep(50);
        }
    }

    /**
     * The reproduction of issue 12 (a node that increments an object homed on
     * another and leaves used to lose it), as churn: two nodes at a time join,
     * increment objects homed on the stable nodes, and leave in order, round after
     * round; the counters end exact and nobody logs an object as lost.
     */
    @Test
    void nodesThatJoinIncrementAndLeaveInOrderLoseNothing() throws Exception {
        cluster = new LocalCluster("faults-churn", 5);
        cluster.wellKnown("0:21", "demo-nodebits");
        List<NodeProcess> stable = List.of(headless(1), headless(2), headless(3));
        int leaves = 0;
        for (int round = 1; round <= ROUNDS; round++) {
            String script = "kddm:nodes --await 4\nkddm:incr --times 10 0:21 " + ON_3 + " 1\nkddm:incr --times 10 0:21 "
                    + ON_2 + " 1\n";
            NodeProcess a = exec(4, script);
            NodeProcess b = exec(5, script); // two at once, on the same objects
            awaitSuccess(a);
            awaitSuccess(b);
            leaves += 2;
        }
        String read = awaitSuccess(exec(4, "kddm:nodes --await 4\nkddm:read 0:21 " + ON_3 + "\nkddm:read 0:21 " + ON_2));
        long expected = 2L * 10 * ROUNDS;
        assertEquals(2, read.split("(?m)^" + expected + "$", -1).length - 1, "both counters exact:\n" + read);
        for (NodeProcess n : stable) {
            assertFalse(LOST.matcher(n.logText()).find(), "node " + n.id + " lost an object:\n" + n.logText());
            assertFalse(n.logText().contains("no request in flight"), n.logText());
        }
        long agreed = awaitAgreement(stable, "1 2 3");
        System.out.println("churn: " + ROUNDS + " rounds, " + leaves + " orderly leaves (and the last reader's), "
                + "counters exact at " + expected + "; the stable nodes agreed on the view " + stable.get(0).lastView()
                + " within " + agreed + " ms of the last leave");
    }

    /**
     * kDFS under churn (issue 12's third reproduction): nodes 1 and 2 store the
     * partitions (the root on node 1), node 3 is diskless, and a diskless node 4
     * writes and leaves, round after round; everything it wrote reads back from
     * another node, and the root stays usable.
     */
    @Test
    void aDisklessKdfsClientThatComesAndGoesLeavesTheFileSystemWhole() throws Exception {
        cluster = new LocalCluster("faults-kdfs", 5);
        partitionsOnNodesOneAndTwo();
        for (int id : new int[] {3, 4, 5}) {
            kdfs(id, "partition=NONE\nroot=1:1\n");
        }
        List<NodeProcess> stable = List.of(headless(1), headless(2), headless(3));
        int rounds = Math.max(5, ROUNDS);
        StringBuilder log = new StringBuilder();
        for (int round = 1; round <= rounds; round++) {
            awaitSuccess(exec(4, "kddm:nodes --await 4\nkdfs:await --timeout 30 /\nkdfs:mkdir -p /d\n"
                    + "kdfs:append /d/log round-" + round + ".\nkdfs:write /d/f" + round + " content-" + round));
            log.append("round-").append(round).append('.');
        }
        StringBuilder check = new StringBuilder("kddm:nodes --await 4\necho LOG\nkdfs:cat /d/log\necho\necho END\n");
        for (int round = 1; round <= rounds; round++) {
            check.append("kdfs:cat /d/f").append(round).append("\necho\n");
        }
        String out = awaitSuccess(exec(5, check.toString()));
        assertTrue(out.matches("(?s).*\\nLOG\\n" + java.util.regex.Pattern.quote(log.toString()) + "\\n+END\\n.*"),
                "every append of every round:\n" + out);
        for (int round = 1; round <= rounds; round++) {
            assertTrue(out.contains("content-" + round + "\n"), "file " + round + ":\n" + out);
        }
        for (NodeProcess n : stable) {
            assertFalse(LOST.matcher(n.logText()).find(), "node " + n.id + " lost an object:\n" + n.logText());
        }
        System.out.println("kDFS churn: a diskless client joined, wrote and left " + rounds
                + " times; everything read back from another node");
    }

    /**
     * A node that stores a partition leaves in order while a diskless node has
     * written to a directory stored there: before it goes, the node stores what it
     * homes that others changed; while it is away the rest of the tree stays
     * usable; back (same partition, a new incarnation), everything written reads
     * back whole.
     */
    @Test
    void aPartitionNodeThatLeavesInOrderAndComesBackLosesNothingWrittenToIt() throws Exception {
        cluster = new LocalCluster("faults-kdfs-partition", 4);
        partitionsOnNodesOneAndTwo();
        kdfs(3, "partition=NONE\nroot=1:1\n");
        kdfs(4, "partition=NONE\nroot=1:1\n");
        NodeProcess one = headless(1);
        NodeProcess three = headless(3);
        // Node 2 makes /p2, stored on its own partition, and leaves; what goes into /p2 is stored there too.
        awaitSuccess(exec(2, "kddm:nodes --await 3\nkdfs:await --timeout 30 /\nkdfs:mkdir /p2"));
        NodeProcess two = headless(2);
        int rounds = Math.max(2, ROUNDS - 1);
        StringBuilder appended = new StringBuilder();
        for (int round = 1; round <= rounds; round++) {
            // A diskless node appends to a file stored on node 2, and leaves (its changes written back first).
            awaitSuccess(exec(4, "kddm:nodes --await 4\nkdfs:await --timeout 30 /p2\nkdfs:append /p2/log round-"
                    + round + ".\nkdfs:where /p2/log"));
            appended.append("round-").append(round).append('.');
            assertEquals(0, two.terminate(LIMIT), "node 2 left in order:\n" + two.output());
            // While node 2 is away, the rest of the tree is usable (what is stored on node 2 is not: EIO).
            String away = awaitSuccess(exec(4, "kddm:nodes --await 3\nkdfs:append /log-" + round + " away\n"
                    + "kdfs:cat /log-" + round));
            assertTrue(away.contains("away"), away);
            two = headless(2);
        }
        String out = awaitSuccess(exec(4, "kddm:nodes --await 4\nkdfs:await --timeout 30 /p2/log\necho LOG\n"
                + "kdfs:cat /p2/log\necho\necho END"));
        assertTrue(out.contains("LOG\n" + appended + "\n"), "every append, though node 2 left after each:\n" + out);
        for (NodeProcess n : List.of(one, three, two)) {
            assertFalse(LOST.matcher(n.logText()).find(), "node " + n.id + " lost an object:\n" + n.logText());
        }
        System.out.println("kDFS: partition node 2 left in order and came back " + rounds + " times after a "
                + "diskless node wrote into a file it stores; every byte read back");
    }

    /** Formats a kDFS partition for nodes 1 and 2 each (the root on node 1) and configures them to serve it. */
    private void partitionsOnNodesOneAndTwo() throws Exception {
        for (int id : new int[] {1, 2}) {
            Path p = cluster.data(id).resolve("kdfs");
            NodeProcess.Result mkfs = NodeProcess.run(List.of(NodeProcess.ROOT.resolve("kddm").toString(), "mkfs.kdfs",
                    p.toString(), "1", "--node", String.valueOf(id)), Duration.ofSeconds(60));
            assertEquals(0, mkfs.status(), mkfs.output());
            kdfs(id, "partition=" + p + "\n");
        }
    }

    private void kdfs(int id, String config) throws Exception {
        Path deploy = Files.createDirectories(cluster.data(id).resolve("deploy"));
        Files.writeString(deploy.resolve("io.kddm.kdfs.cfg"), config);
    }

    /** Objects of the torture's set 0:7 homed on nodes 1 and 2: they outlive a pause of node 3. */
    private static final String OBJECTS = "16777216,16777217,16777218,33554432,33554433,33554434";

    private NodeProcess torture(int id, int ops) throws Exception {
        return exec(id, "kddm:torture --participants 3 --threads 2 --backoff 20 --ops " + ops + " --seed " + (30 + id)
                + " --objects " + OBJECTS + " " + cluster.base.resolve("history-" + id));
    }

    /**
     * Until node {@code id}'s torture history has {@code ops} more completed
     * operations (its {@code R} lines; failed ones, {@code F}, do not count): it
     * serves, not merely tries.
     */
    private void awaitCompleted(int id, int ops, NodeProcess n) throws Exception {
        Path h = cluster.base.resolve("history-" + id);
        long deadline = System.nanoTime() + LIMIT.toNanos();
        long pos = Files.exists(h) ? Files.size(h) : 0;
        int done = 0;
        boolean lineStart = false; // the line at pos may be partly written: not counted
        boolean sawR = false;
        while (done < ops) {
            assertTrue(System.nanoTime() < deadline, "node " + id + " completed " + done + " of " + ops
                    + " operations:\n" + n.output());
            if (Files.exists(h) && Files.size(h) > pos) {
                byte[] more;
                try (java.nio.channels.SeekableByteChannel c = Files.newByteChannel(h)) {
                    c.position(pos);
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) Math.min(c.size() - pos, 1 << 20));
                    c.read(b);
                    more = java.util.Arrays.copyOf(b.array(), b.position());
                }
                pos += more.length;
                for (byte x : more) {
                    if (sawR && x == ' ') {
                        done++;
                    }
                    sawR = lineStart && x == 'R';
                    lineStart = x == '\n';
                }
            } else {
                Thread.sleep(20);
            }
        }
    }

    private History histories(int... ids) {
        Path[] files = new Path[ids.length];
        for (int i = 0; i < ids.length; i++) {
            files[i] = cluster.base.resolve("history-" + ids[i]);
        }
        return History.readTorture(files);
    }

    /**
     * Issue 12's second reproduction: a node paused (SIGSTOP) for 5 s, longer
     * than the failure bound, while all three run a random get/grab workload. The
     * others take it out and go on; resumed, it finds it was taken out, drops what
     * it held and joins again as a new incarnation by itself, with no restart;
     * all three agree on the view again, it serves again, and the histories are
     * linearizable. A 1 s pause, shorter than the bound, changes no view.
     */
    @Test
    void aPausedNodeRejoinsByItselfAndNothingAcknowledgedIsLost() throws Exception {
        cluster = new LocalCluster("faults-pause", 3);
        List<NodeProcess> nodes = List.of(torture(1, 100_000), torture(2, 100_000), torture(3, 100_000));
        for (int id = 1; id <= 3; id++) {
            awaitCompleted(id, 200, nodes.get(id - 1));
        }
        String before = nodes.get(0).lastView();
        NodeProcess three = nodes.get(2);

        three.pause();
        Thread.sleep(1000); // shorter than dead.after (3 s): nobody is taken out
        three.resume();
        awaitCompleted(3, 200, three);
        assertEquals(before, nodes.get(0).lastView(), "a 1 s pause changed the view");

        long paused = System.nanoTime();
        three.pause();
        Thread.sleep(5000);
        three.resume();
        long resumed = System.nanoTime();
        three.awaitLog("node 3 was taken out of the cluster", AGREE);
        awaitAgreement(nodes, "1 2 3", before);
        long agreed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumed); // from the resume, not the notice
        assertEquals(2, three.logText().split("node 3 joined the cluster as incarnation", -1).length - 1,
                "node 3 joined twice: at start and after the pause, by itself");
        awaitCompleted(3, 200, three); // it serves again
        for (int id = 1; id <= 2; id++) {
            assertTrue(nodes.get(id - 1).logText().contains("node 3 is out of the cluster"), "node " + id);
            awaitCompleted(id, 200, nodes.get(id - 1));
        }
        for (NodeProcess n : nodes) {
            n.kill(); // the histories are final: operations cut off count as unknown
        }
        History history = histories(1, 2, 3);
        int checked = Linearizability.checkAll(history);
        System.out.println("pause: 1 s pause changed nothing; after a 5 s pause node 3 was taken out, rejoined, and "
                + "all agreed " + agreed + " ms after it resumed (" + (resumed - paused) / 1_000_000
                + " ms paused); " + checked + " operations checked linearizable, " + history.failures()
                + " failed with a kDDM error");
    }

    /**
     * A real cut (iptables, each node on its own 127.0.0.N): node 3 is cut off
     * from nodes 1 and 2 for 6 s while the three run the workload. The majority
     * side goes on; node 3 fails fast (it has no lease) and never serves anything
     * stale; healed, it comes back by itself and all agree; the histories are
     * linearizable.
     */
    @Test
    void aNodeCutOffFailsFastTheMajorityGoesOnAndAllAgreeAfterTheCutHeals() throws Exception {
        cluster = new LocalCluster("faults-cut", 3, true);
        try (PacketFilter filter = new PacketFilter()) {
            List<NodeProcess> nodes = List.of(torture(1, 100_000), torture(2, 100_000), torture(3, 100_000));
            for (int id = 1; id <= 3; id++) {
                awaitCompleted(id, 200, nodes.get(id - 1));
            }
            NodeProcess three = nodes.get(2);
            filter.cut(cluster.host(3), cluster.host(1));
            filter.cut(cluster.host(3), cluster.host(2));
            long cut = System.nanoTime();
            three.awaitLog("node 3 lost a lease", AGREE);
            long lost = System.nanoTime() - cut;
            long minorityFrom = wallNanos();
            for (int id = 1; id <= 2; id++) {
                nodes.get(id - 1).awaitLog("node 3 is out of the cluster", AGREE);
                awaitCompleted(id, 200, nodes.get(id - 1)); // the majority goes on
            }
            long out = System.nanoTime() - cut;
            long failedFast = History.readTorture(cluster.base.resolve("history-3")).failures();
            Thread.sleep(Math.max(0, 6000 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut)));
            String during = nodes.get(0).lastView();
            long minorityUntil = wallNanos();
            filter.heal();
            long healed = System.nanoTime();
            long agreed = awaitAgreement(nodes, "1 2 3", during);
            awaitCompleted(3, 200, three);
            for (NodeProcess n : nodes) {
                n.kill();
            }
            History history = histories(1, 2, 3);
            int checked = Linearizability.checkAll(history);
            assertTrue(failedFast > 0, "node 3 failed its operations while cut off");
            int refused = minorityNeverSucceeded(cluster.base.resolve("history-3"), minorityFrom, minorityUntil);
            System.out.println("cut: node 3 lost its lease after " + lost / 1_000_000 + " ms, the majority took it out "
                    + "after " + out / 1_000_000 + " ms; healed, all agreed after " + agreed + " ms ("
                    + (System.nanoTime() - healed) / 1_000_000 + " ms to serve again); " + refused
                    + " operations of node 3 while it had no lease all failed; " + checked
                    + " operations checked linearizable");
        }
    }

    /** Wall-clock nanoseconds, as kddm:torture stamps its history. */
    private static long wallNanos() {
        java.time.Instant i = java.time.Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /**
     * Every operation node 3 started between {@code from} and {@code until} (it had
     * no lease: cut off, a minority) failed: none returned a result. Returns how many.
     */
    private static int minorityNeverSucceeded(Path history, long from, long until) throws Exception {
        java.util.Map<String, Long> invoked = new java.util.HashMap<>();
        int count = 0;
        for (String line : Files.readAllLines(history)) {
            String[] f = line.split(" ");
            if (f[0].equals("I") && f.length >= 6) {
                long at = Long.parseLong(f[5]);
                if (at >= from && at <= until) {
                    invoked.put(f[1], at);
                    count++;
                }
            } else if (f[0].equals("R") && invoked.containsKey(f[1])) {
                throw new AssertionError("node 3 completed operation " + f[1] + " while it had no lease: " + line);
            }
        }
        assertTrue(count > 0, "node 3 tried nothing while cut off");
        return count;
    }
}
