package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * kDFS made with {@code --replicas 2} between JVMs over real TCP (issue 14's
 * kDFS must-show): partitions on nodes 1, 2 and 3 (node S's entries also on the
 * next one: node 3's on node 1); node 3 makes a tree, a diskless node writes
 * into it (through kdfs:write, or its FUSE mount), and node 3 is killed (kill
 * -9) or paused past the failure bound mid-writes: every write returns, and a
 * second diskless node reads every file whole, from node 1's replica. Node 3
 * back (restarted, or resumed and joined again) is healed from the others' heal
 * indexes and serves the same bytes, and once everything is stopped every
 * replica is byte for byte its partition, and no heal index holds anything.
 * In the kill cases the writer is killed too (kill -9), as soon as its last
 * write returned: every file it closed is read whole all the same (a close
 * waits for the write-back of the file and of its name).
 */
class KdfsReplicaIT {
    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final int TREE = 10;
    private static final int WRITES = 40;
    /**
     * An object lost, or one of node 3's read again from its store (it wrote back its tree: every object it owned
     * is held by a survivor). The killed writer's objects are read again from theirs: its closes wrote them back,
     * which the reads check.
     */
    private static final Pattern LOST = Pattern.compile("was lost|owner, node 3, died and no survivor holds");

    private LocalCluster cluster;
    private Writer writer;
    private PacketFilter filter;

    @AfterEach
    void stop() throws Exception {
        try {
            if (filter != null) {
                filter.close(); // the cut is removed even if the test failed
            }
            if (writer != null) {
                writer.close(); // (a FUSE mount is unmounted even if its node was killed)
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    private Path partition(int id) throws IOException {
        return cluster.data(id).resolve("kdfs");
    }

    private void config(int id, String text) throws IOException {
        Path deploy = Files.createDirectories(cluster.data(id).resolve("deploy"));
        Files.writeString(deploy.resolve("io.kddm.kdfs.cfg"), text);
    }

    private NodeProcess exec(int id, String script) throws Exception {
        return cluster.start(id, "--exec", script, "--wait", "30");
    }

    /** How node 3 fails, mid-writes, and comes back. */
    private enum Fault {
        /** kill -9, then a restart on the same partition. */
        KILL,
        /** SIGSTOP for 5 s (longer than the failure bound), then SIGCONT: taken out, it joins again by itself. */
        PAUSE,
        /** SIGTERM: it leaves in order (storing what it homes first), then a restart on the same partition. */
        LEAVE,
        /** Cut off from every other node with iptables for 6 s (each node on its own 127.0.0.N), then healed. */
        CUT
    }

    @Test
    void aPartitionNodeKilledWhileOthersWriteIntoItsTreeLosesNothingAndIsHealedWhenBack() throws Exception {
        scenario("kdfs-replicas-kill", Fault.KILL, false, 2);
    }

    /**
     * The same with {@code --replicas 3}: every partition on all three partition
     * nodes, a store acknowledged by two of them; node 3 killed mid-writes, the
     * writer and the reader served by nodes 1 and 2, node 3 healed back, and each
     * partition byte for byte on both of its other nodes, versions included.
     */
    @Test
    void withThreeReplicasAPartitionNodeKilledWhileOthersWriteLosesNothingAndEveryReplicaIsHealed() throws Exception {
        scenario("kdfs-replicas3-kill", Fault.KILL, false, 3);
    }

    /** With {@code --replicas 3}: node 3 paused 5 s (past the failure bound) mid-writes, then resumed. */
    @Test
    void withThreeReplicasAPartitionNodePausedWhileOthersWriteLosesNothingAndEveryReplicaIsHealed() throws Exception {
        scenario("kdfs-replicas3-pause", Fault.PAUSE, false, 3);
    }

    /** With {@code --replicas 3}: node 3 cut off 6 s (iptables) mid-writes, then healed. */
    @Test
    void withThreeReplicasAPartitionNodeCutOffWhileOthersWriteLosesNothingAndEveryReplicaIsHealed() throws Exception {
        scenario("kdfs-replicas3-cut", Fault.CUT, false, 3);
    }

    @Test
    void aPartitionNodePausedWhileOthersWriteIntoItsTreeLosesNothingAndIsHealedWhenBack() throws Exception {
        scenario("kdfs-replicas-pause", Fault.PAUSE, false, 2);
    }

    @Test
    void aPartitionNodeThatLeavesInOrderWhileOthersWriteIntoItsTreeLosesNothing() throws Exception {
        scenario("kdfs-replicas-leave", Fault.LEAVE, false, 2);
    }

    @Test
    void aPartitionNodeCutOffWhileOthersWriteIntoItsTreeLosesNothingAndIsHealedWhenBack() throws Exception {
        scenario("kdfs-replicas-cut", Fault.CUT, false, 2);
    }

    /** The writer writes through its FUSE mount (a shell loop, each file closed), node 3 killed meanwhile. */
    @Test
    void filesWrittenThroughTheFuseMountIntoAKilledNodesTreeAreAllThere() throws Exception {
        assertEquals("0", NodeProcess.bashOk("id -u", LIMIT).strip(), "FUSE tests mount as root (allow_other)");
        scenario("kdfs-replicas-fuse", Fault.KILL, true, 2);
    }

    /**
     * Partitions on nodes 1-3 (replicas 2, the root on node 1); node 3 makes
     * /t and ten files; node 4 (diskless) writes 40 files into /t and rewrites
     * one of node 3's, node 3 failing after its 11th; node 5 (diskless) reads
     * everything while node 3 is out, and again once it is back; then every
     * replica is compared with its partition.
     */
    private void scenario(String name, Fault fault, boolean fuse, int replicas) throws Exception {
        cluster = new LocalCluster(name, 5, fault == Fault.CUT);
        for (int id = 1; id <= 3; id++) {
            NodeProcess.Result mkfs = NodeProcess.run(List.of(NodeProcess.ROOT.resolve("kddm").toString(), "mkfs.kdfs",
                    partition(id).toString(), "1", "--node", String.valueOf(id), "--replicas", String.valueOf(replicas),
                    "--partitions", "1,2,3"), Duration.ofSeconds(60));
            assertEquals(0, mkfs.status(), mkfs.output());
            assertTrue(mkfs.output().contains(replicas + " replicas over partitions [1, 2, 3]"), mkfs.output());
            config(id, "partition=" + partition(id) + "\n");
        }
        for (int id = 4; id <= 5; id++) {
            config(id, "partition=NONE\nroot=1:1\nreplicas=" + replicas + "\npartitions=1,2,3\n");
        }
        NodeProcess one = cluster.start(1, "--headless");
        NodeProcess two = cluster.start(2, "--headless");
        StringBuilder tree = new StringBuilder("kddm:nodes --await 3\nkdfs:await --timeout 60 /\nkdfs:mkdir /t\n");
        for (int i = 0; i < TREE; i++) {
            tree.append("kdfs:write /t/a").append(i).append(" tree-file-").append(i).append('\n');
        }
        tree.append("kdfs:where /t/a0\nkdfs:sync\necho TREE-READY\nkdfs:await --timeout 600 /never\n");
        NodeProcess three = exec(3, tree.toString());
        three.awaitOutput("TREE-READY", LIMIT);
        assertTrue(three.output().contains("is stored on node 3"), "the tree is on node 3:\n" + three.output());

        boolean killWriter = fault == Fault.KILL;
        writer = fuse ? new FuseWriter(killWriter) : new ShellWriter(killWriter);
        writer.start();
        writer.awaitFile(10);
        long failed = System.nanoTime();
        switch (fault) {
            case KILL -> three.kill();
            case PAUSE -> three.pause();
            case LEAVE -> assertEquals(0, three.terminate(LIMIT), "node 3 left in order:\n" + three.output());
            case CUT -> {
                filter = new PacketFilter();
                for (int other : new int[] {1, 2, 4, 5}) {
                    filter.cut(cluster.host(3), cluster.host(other));
                }
            }
        }
        writer.awaitDone();
        long writesMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failed);
        if (fault == Fault.PAUSE || fault == Fault.CUT) {
            long out = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failed);
            Thread.sleep(Math.max(0, (fault == Fault.PAUSE ? 5000 : 6000) - out));
        }

        String read = awaitSuccess(exec(5, readAll("kddm:nodes --await 3\n")));
        checkRead(read, "node 3 out, node 1 acting for it from its replica");

        NodeProcess back;
        if (fault == Fault.KILL || fault == Fault.LEAVE) {
            back = cluster.start(3, "--headless"); // the same partition, a new incarnation
        } else {
            if (fault == Fault.PAUSE) {
                three.resume();
            } else {
                filter.heal();
            }
            three.awaitLog("node 3 was taken out of the cluster", LIMIT);
            back = three;
        }
        String again = awaitSuccess(exec(5, readAll("kddm:nodes --await 4\n")));
        checkRead(again, "node 3 back, healed");
        for (NodeProcess n : List.of(one, two, back)) {
            assertFalse(LOST.matcher(n.logText()).find(), "node " + n.id + " lost an object:\n" + n.logText());
        }
        long healedLines = Pattern.compile("healed node 3").matcher(back.logText() + one.logText() + two.logText())
                .results().count();
        for (NodeProcess n : List.of(one, two, back)) {
            n.kill(); // everything written was written back by the nodes that wrote it: at each close, or leaving in order
        }
        assertTrue(entries(partition(3)).size() > 2 * (TREE + WRITES), "node 3 stores the tree");
        for (int home = 1; home <= 3; home++) {
            for (int k = 1; k < replicas; k++) { // (partition S also on the next replicas - 1 of 1, 2, 3)
                int n = (home - 1 + k) % 3 + 1;
                assertSameEntries(partition(home), partition(n).resolve("n" + home));
            }
        }
        for (int id = 1; id <= 3; id++) {
            assertEquals(List.of(), healRecords(partition(id)), "node " + id + "'s heal index is empty");
        }
        System.out.println("kDFS --replicas " + replicas + ", node 3 " + switch (fault) {
            case KILL -> "killed (kill -9), and the writer killed after its last write";
            case PAUSE -> "paused 5 s";
            case LEAVE -> "left in order";
            case CUT -> "cut off 6 s";
        }
                + " after the writer's 11th file" + (fuse ? " (written through FUSE)" : "") + ": the writer's "
                + WRITES + " files and a rewrite returned within " + writesMs + " ms; every file read whole from "
                + "node 1's replica, then from node 3 back; " + healedLines + " heal passes logged; every replica "
                + "byte for byte its partition");
    }

    /**
     * Node 4 writing 40 files into /t, and rewriting /t/a0, all closed; then it
     * leaves in order, or, if it is to be killed, is killed (kill -9) as soon as
     * the last write returned.
     */
    private interface Writer extends AutoCloseable {
        void start() throws Exception;

        /** Until file /t/b{@code n} was written (and closed). */
        void awaitFile(int n) throws Exception;

        /** Until every write returned, each without an error; then node 4 leaves in order or is killed. */
        void awaitDone() throws Exception;

        @Override
        default void close() throws Exception {
        }
    }

    /** Through {@code kdfs:write} in an {@code --exec} script, which stops at the first error. */
    private final class ShellWriter implements Writer {
        private final boolean kill;
        private NodeProcess node;

        ShellWriter(boolean kill) {
            this.kill = kill;
        }

        @Override
        public void start() throws Exception {
            StringBuilder writes = new StringBuilder("kddm:nodes --await 4\nkdfs:await --timeout 60 /t/a" + (TREE - 1)
                    + "\n");
            for (int i = 0; i < WRITES; i++) {
                writes.append("kdfs:write /t/b").append(i).append(" written-").append(i).append('\n');
            }
            writes.append("kdfs:write /t/a0 rewritten-while-3-was-down\necho WRITES-DONE\n");
            if (kill) {
                writes.append("kdfs:await --timeout 600 /never\n"); // no leave (it writes back) before the kill
            }
            node = exec(4, writes.toString());
        }

        @Override
        public void awaitFile(int n) throws Exception {
            node.awaitOutput("wrote \\d+ bytes to /t/b" + n + "\n", LIMIT);
        }

        @Override
        public void awaitDone() throws Exception {
            if (kill) {
                node.awaitOutput("WRITES-DONE", LIMIT);
                node.kill();
            } else {
                assertTrue(awaitSuccess(node).contains("WRITES-DONE"), node.output());
            }
        }
    }

    /** Through node 4's FUSE mount: a bash loop of {@code printf > file}, each file closed, stopping at an error. */
    private final class FuseWriter implements Writer {
        private final boolean kill;
        private Path mnt;
        private NodeProcess node;
        private Process loop;
        private Path log;

        FuseWriter(boolean kill) {
            this.kill = kill;
        }

        @Override
        public void start() throws Exception {
            mnt = Files.createDirectories(cluster.base.resolve("mnt-4"));
            node = cluster.start(4, "--headless", "--mount", mnt.toString());
            long deadline = System.nanoTime() + LIMIT.toNanos();
            while (!Files.exists(mnt.resolve("t/a" + (TREE - 1)))) {
                assertTrue(System.nanoTime() < deadline, "node 4's mount shows /t within " + LIMIT);
                Thread.sleep(100);
            }
            log = cluster.base.resolve("fuse-writer.log");
            String script = "set -e; for i in $(seq 0 " + (WRITES - 1) + "); do printf 'written-%d' $i > " + mnt
                    + "/t/b$i; echo \"wrote $i\"; done; printf rewritten-while-3-was-down > " + mnt
                    + "/t/a0; echo WRITES-DONE";
            loop = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
        }

        @Override
        public void awaitFile(int n) throws Exception {
            long deadline = System.nanoTime() + LIMIT.toNanos();
            while (!(Files.exists(log) && Files.readString(log).contains("wrote " + n + "\n"))) {
                assertTrue(loop.isAlive() || Files.readString(log).contains("wrote " + n + "\n"),
                        "the writer stopped: " + Files.readString(log));
                assertTrue(System.nanoTime() < deadline, "the writer wrote file " + n + " within " + LIMIT);
                Thread.sleep(20);
            }
        }

        @Override
        public void awaitDone() throws Exception {
            assertTrue(loop.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS), "the writer finished within " + LIMIT);
            String out = Files.readString(log);
            assertEquals(0, loop.exitValue(), "every write through FUSE succeeded:\n" + out);
            assertTrue(out.contains("WRITES-DONE"), out);
            if (kill) {
                node.kill();
            } else {
                assertEquals(0, node.terminate(LIMIT), "node 4 left in order, its writes written back:\n" + node.output());
            }
        }

        @Override
        public void close() throws Exception {
            if (loop != null) {
                loop.destroyForcibly();
            }
            if (mnt != null && Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .anyMatch(l -> l.split(" ")[4].equals(mnt.toString()))) {
                NodeProcess.bash("fusermount -u -z " + mnt, LIMIT);
            }
        }
    }

    private static String readAll(String start) {
        StringBuilder s = new StringBuilder(start + "kdfs:await --timeout 60 /t/b" + (WRITES - 1) + "\n");
        for (int i = 0; i < TREE; i++) {
            s.append("kdfs:cat /t/a").append(i).append("\necho\n");
        }
        for (int i = 0; i < WRITES; i++) {
            s.append("kdfs:cat /t/b").append(i).append("\necho\n");
        }
        return s.toString();
    }

    private static void checkRead(String out, String when) {
        assertTrue(out.contains("rewritten-while-3-was-down\n"), when + ": node 3's file as rewritten:\n" + out);
        for (int i = 1; i < TREE; i++) {
            assertTrue(out.contains("tree-file-" + i + "\n"), when + ": /t/a" + i + ":\n" + out);
        }
        for (int i = 0; i < WRITES; i++) {
            assertTrue(out.contains("written-" + i + "\n"), when + ": /t/b" + i + ":\n" + out);
        }
    }

    private static String awaitSuccess(NodeProcess n) throws Exception {
        assertEquals(0, n.awaitExit(LIMIT), "node " + n.id + ":\n" + n.output() + "\n" + n.logText());
        return n.output();
    }

    private static List<String> healRecords(Path partition) throws IOException {
        Path heal = partition.resolve(".heal");
        if (!Files.exists(heal)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(heal)) {
            return all.filter(Files::isRegularFile).map(p -> heal.relativize(p).toString()).sorted().toList();
        }
    }

    /**
     * Every entry's {@code .meta}, {@code .content} and pages' versions, and the inodes' versions, of
     * partition {@code a} are byte for byte in {@code b}.
     */
    private static void assertSameEntries(Path a, Path b) throws IOException {
        Map<String, byte[]> left = entries(a);
        Map<String, byte[]> right = entries(b);
        assertEquals(left.keySet(), right.keySet(), a + " and its replica " + b + " hold the same entries");
        for (Map.Entry<String, byte[]> e : left.entrySet()) {
            assertArrayEquals(e.getValue(), right.get(e.getKey()), e.getKey() + " differs in " + b);
        }
    }

    private static Map<String, byte[]> entries(Path partition) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        if (!Files.exists(partition)) {
            return out; // a replica never written to: its partition must be empty too
        }
        try (Stream<Path> all = Files.walk(partition, 3)) {
            for (Path p : all.toList()) {
                String rel = partition.relativize(p).toString();
                if (rel.matches("\\d+-\\d+/\\d+/\\.(meta|content|pagev)") || rel.equals(".versions")) {
                    out.put(rel, Files.readAllBytes(p));
                }
            }
        }
        return out;
    }
}
