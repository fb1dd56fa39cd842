package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.kddm.impl.core.History;
import io.kddm.impl.core.Linearizability;

/**
 * Cluster-wide System V shared memory ({@code io.kddm.shm}) across three JVMs
 * over real TCP on 127.0.0.1, one cluster for the whole class: node 1 makes a
 * segment; 3 nodes x 4 threads add to one word by getAndAdd and compareAndSet
 * loops while a reader on each node checks it never goes back, every operation
 * in a history checked linearizable; bytes written on one node are read on the
 * others, across a page boundary too; node 2 stops the shm bundle, the others
 * keep using the segment meanwhile, and node 2 starts it again and finds it
 * intact; node 3 writes on a page and is paused (SIGSTOP) past the failure
 * bound while nodes 1 and 2 read that page and add to a word, then resumed (it
 * rejoins and reads their additions); node 1 writes and is cut off (iptables,
 * each node on its own 127.0.0.N) past the failure bound while nodes 2 and 3
 * read it and add to a word, and rejoins; node 4 joins mid-run, adds to a word
 * with the others, makes and writes a segment, and leaves in order: all it
 * wrote is read after it left; node 3 removes the first segment and its key is free at once;
 * a wrong command ends node 3's script with one clear line. Nodes meet at
 * barriers of a map (the map linker over the well-known set 0:22 of
 * {@code demo-r2}, homed on node 1 and backed up: a key node 3 put just before
 * its pause survives it; in a family without backups it died with the paused
 * owner when nobody had read it yet, and the others waited for it in vain).
 */
class ShmClusterIT {
    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final String MAP = "--base " + (1 << 24) + " 0:22";
    private static final int THREADS = 4;
    private static final int TIMES = 150;

    private static LocalCluster cluster;
    private static final String[] OUT = new String[5];
    private static int badStatus;
    private static boolean node3TakenOut;
    private static boolean node1TakenOut;
    private static int node4Status;
    private static String node4Log;

    private static String barrier(String name, int id) {
        return LocalCluster.barrier(MAP, name, id, 3);
    }

    @BeforeAll
    static void runTheCluster() throws Exception {
        cluster = new LocalCluster("shm-it", 4, true); // node N on 127.0.0.N, for the cut
        cluster.wellKnown("0:22", "demo-r2");
        NodeProcess[] nodes = new NodeProcess[5];
        for (int id = 1; id <= 3; id++) {
            nodes[id] = cluster.start(id, "--exec", script(id), "--wait", "30");
        }
        node3TakenOut = cluster.pausedAtItsSignal(nodes[3], "PAUSE-ME", LIMIT);
        node1TakenOut = cluster.cutOffAtItsSignal(nodes[1], "CUT-ME", LIMIT, 2, 3);
        nodes[1].awaitOutput("(?m)^JOIN-4$", LIMIT);
        nodes[4] = cluster.start(4, "--exec", script4(), "--wait", "30");
        node4Status = nodes[4].awaitExit(LIMIT); // its script done, it leaves in order
        OUT[4] = nodes[4].output();
        node4Log = nodes[4].logText();
        badStatus = nodes[3].awaitExit(LIMIT);
        OUT[3] = nodes[3].output();
        int[] status = LocalCluster.release(nodes, LIMIT, 1, 2);
        for (int id = 1; id <= 2; id++) {
            OUT[id] = nodes[id].output();
            assertEquals(0, status[id], "node " + id + ":\n" + OUT[id] + nodes[id].logText());
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Path history(int id) {
        return cluster.base.resolve("history-" + id);
    }

    /** File Install's location of node {@code id}'s shm bundle (the URI of its canonical file). */
    private static String bundleLocation(int id) throws Exception {
        return cluster.data(id).toRealPath().resolve("deploy/io.kddm.shm.jar").toFile().toURI().normalize()
                .toString();
    }

    private static String script(int id) throws Exception {
        StringBuilder s = new StringBuilder("kddm:nodes --await 3\n");
        if (id == 1) {
            s.append("id = shm:get 0x5348 16384 --create --excl --mode 0666\n");
            s.append("shm:write $id 4090 'written on node 1'\n");
        }
        s.append(barrier("created", id));
        if (id != 1) {
            s.append("id = shm:get 0x5348 0\n");
        }
        s.append("echo SEGMENT $id\n");
        s.append(barrier("ready", id));
        s.append("shm:add $id 0 1 --times ").append(TIMES).append(" --threads ").append(THREADS)
                .append(" --op mixed --watch --history ").append(history(id)).append('\n');
        s.append(barrier("added", id));
        s.append("echo COUNTER (shm:read $id 0 8 --long)\n");
        s.append("echo TEXT (shm:read $id 4090 17)\n");
        // The bundle stopped on node 2 while the core, kDFS and the others run; the others go on meanwhile.
        if (id == 2) {
            s.append("b = ($.context bundle ").append(bundleLocation(2)).append(")\n");
            s.append("$b stop\necho SHM-STOPPED\n");
        }
        s.append(barrier("stopped", id));
        if (id != 2) {
            s.append("echo WHILE-STOPPED (shm:read $id 4090 17)\n");
            s.append("shm:add $id 16 1 --times 20\n");
        }
        s.append(barrier("used", id));
        if (id == 2) {
            s.append("$b start\necho SHM-STARTED\n");
        }
        s.append(barrier("restarted", id));
        s.append("echo ADDED-WHILE-STOPPED (shm:read $id 16 8 --long)\n");
        s.append("echo AFTER-RESTART (shm:read $id 4090 17)\n");
        if (id == 2) {
            s.append("shm:write $id 8190 --hex 0102030405\n");
        }
        s.append(barrier("crossed", id));
        s.append("echo CROSS (shm:read $id 8190 5 --hex)\n");
        // node 3 owns page 2 (it wrote it last) and is paused past the failure bound by the test once it prints
        // PAUSE-ME; nodes 1 and 2 read that page and add to a word meanwhile
        if (id == 3) {
            s.append("shm:write $id 12000 'written by node 3'\nmap:put ").append(MAP)
                    .append(" pausing yes\necho PAUSE-ME\nsleep 8\nkddm:nodes --await 3\n");
        } else {
            s.append("map:await --timeout 60 ").append(MAP).append(" pausing\nsleep 2\n")
                    .append("echo WHILE-PAUSED (shm:read $id 12000 17)\nshm:add $id 24 1 --times 50\n");
        }
        s.append(barrier("paused", id));
        s.append("echo ADDED-WHILE-PAUSED (shm:read $id 24 8 --long)\n");
        if (id == 1) {
            s.append("shm:stat $id\n");
        }
        s.append(barrier("read", id));
        // node 1 (home of the barrier map and of some pages, maker of the segment) writes and is cut off (iptables) past the failure bound by the test once it
        // prints CUT-ME; nodes 2 and 3 read what it wrote and add to a word meanwhile
        if (id == 1) {
            s.append("shm:write $id 12100 'written by node 1'\nmap:put ").append(MAP)
                    .append(" cutting yes\necho CUT-ME\nsleep 7\nkddm:nodes --await 3\n");
        } else {
            s.append("map:await --timeout 60 ").append(MAP).append(" cutting\nsleep 2\n")
                    .append("echo WHILE-CUT (shm:read $id 12100 17)\nshm:add $id 32 1 --times 50\n");
        }
        s.append(barrier("cut", id));
        s.append("echo ADDED-WHILE-CUT (shm:read $id 32 8 --long)\n");
        // node 4 joins (the test starts it at JOIN-4), adds to a word with the others, makes a segment and writes it
        // (it owns those pages) and leaves in order once its script is done; the others read all of it after it left
        if (id == 1) {
            s.append("echo JOIN-4\n");
        }
        s.append("map:await --timeout 90 ").append(MAP).append(" joined-4\nshm:add $id 40 1 --times 30\n")
                .append("map:await --timeout 60 ").append(MAP).append(" leaving-4\nkddm:nodes --gone 4\n")
                .append("echo AFTER-LEAVE (shm:read $id 40 8 --long)\ns4 = shm:get 0x5349 0\n")
                .append("echo NODE-4-TEXT (shm:read $s4 100 17)\necho NODE-4-WORD (shm:read $s4 0 8 --long)\n");
        s.append(barrier("left", id));
        if (id == 3) {
            s.append("shm:rm $id\n");
        }
        s.append(barrier("removed", id));
        if (id == 1) {
            s.append("echo FREE (shm:get 0x5348 64 --create --excl)\n");
        }
        s.append(barrier("reused", id));
        if (id == 2) {
            s.append("echo LIST\nshm:ls\necho END-LIST\n");
        }
        if (id == 3) { // after the last barrier, so the others need nothing more of node 3
            s.append(barrier("done", id)).append("shm:read $id 8\n");
        } else {
            s.append(LocalCluster.lastBarrier(MAP, "done", id, 3));
        }
        return s.toString();
    }

    /** Node 4: joins, works with the others, makes a segment and leaves in order at the end of its script. */
    private static String script4() {
        return "kddm:nodes --await 4\nid = shm:get 0x5348 0\nmap:put " + MAP + " joined-4 yes\n"
                + "shm:add $id 40 1 --times 30\ns4 = shm:get 0x5349 8192 --create --excl --mode 0666\n"
                + "shm:write $s4 100 'written by node 4'\nshm:add $s4 0 1 --times 20\nmap:put " + MAP
                + " leaving-4 yes\n";
    }

    private static String value(int id, String label) {
        Matcher m = Pattern.compile("(?m)^" + label + " (.*)$").matcher(OUT[id]);
        assertTrue(m.find(), "no " + label + " from node " + id + ":\n" + OUT[id]);
        return m.group(1).strip();
    }

    @Test
    void aCounterAddedToByThreeNodesAndFourThreadsEndsExactAndLinearizable() {
        long expected = 3L * THREADS * TIMES;
        for (int id = 1; id <= 3; id++) {
            assertEquals(String.valueOf(expected), value(id, "COUNTER"), "node " + id);
            assertTrue(OUT[id].contains("by mixed: final ") && OUT[id].contains("never went back"), OUT[id]);
        }
        History h = History.readTorture(history(1), history(2), history(3));
        long adds = h.byObject().get(0L).stream().filter(op -> op.kind() == History.Kind.ADD).count();
        assertEquals(expected, adds, "every addition recorded");
        int checked = Linearizability.checkAll(h);
        assertEquals(h.size(), checked);
        System.out.println("shm over 3 JVMs: " + expected + " additions, " + checked
                + " operations on the word checked linearizable");
    }

    @Test
    void bytesWrittenOnOneNodeReadTheSameOnTheOthersAfterTheBundleRestart() {
        String segment = value(1, "SEGMENT");
        for (int id = 1; id <= 3; id++) {
            assertEquals(segment, value(id, "SEGMENT"), "one id for the key on every node");
            assertEquals("written on node 1", value(id, "TEXT"), "node " + id);
            assertEquals("written on node 1", value(id, "AFTER-RESTART"), "node " + id);
            assertEquals("0102030405", value(id, "CROSS"), "node " + id + " reads across pages 1 and 2");
        }
        assertTrue(OUT[2].contains("SHM-STOPPED") && OUT[2].contains("SHM-STARTED"), OUT[2]);
        for (int id : new int[] {1, 3}) {
            assertEquals("written on node 1", value(id, "WHILE-STOPPED"), "node " + id + " while node 2's is stopped");
        }
        for (int id = 1; id <= 3; id++) {
            assertEquals("40", value(id, "ADDED-WHILE-STOPPED"), "node " + id);
        }
        assertTrue(OUT[1].contains("mode:     666") && OUT[1].contains("size:     16384"), OUT[1]);
    }

    @Test
    void aNodePausedPastTheBoundLosesNoWriteAndFindsTheOthersAdditionsWhenBack() {
        assertTrue(node3TakenOut, "node 3 was paused past the failure bound");
        for (int id = 1; id <= 2; id++) {
            assertEquals("written by node 3", value(id, "WHILE-PAUSED"), "node " + id + " while node 3 is out");
        }
        for (int id = 1; id <= 3; id++) {
            assertEquals("100", value(id, "ADDED-WHILE-PAUSED"), "node " + id);
        }
    }

    @Test
    void theHomeCutOffPastTheBoundLosesNoWriteAndFindsTheOthersAdditionsWhenBack() {
        assertTrue(node1TakenOut, "node 1 was cut off past the failure bound");
        for (int id = 2; id <= 3; id++) {
            assertEquals("written by node 1", value(id, "WHILE-CUT"), "node " + id + " while node 1 is cut off");
        }
        for (int id = 1; id <= 3; id++) {
            assertEquals("100", value(id, "ADDED-WHILE-CUT"), "node " + id);
        }
    }

    @Test
    void aNodeThatJoinsMidWorkAndLeavesInOrderLosesNothing() {
        assertEquals(0, node4Status, "node 4 left in order:\n" + OUT[4] + node4Log);
        assertTrue(!node4Log.contains("they are lost") && !node4Log.contains("was lost")
                && !node4Log.contains("leaves without"), node4Log);
        for (int id = 1; id <= 3; id++) {
            assertEquals("120", value(id, "AFTER-LEAVE"), "node " + id + ": 30 additions from each of 4 nodes");
            assertEquals("written by node 4", value(id, "NODE-4-TEXT"), "node " + id);
            assertEquals("20", value(id, "NODE-4-WORD"), "node " + id);
        }
    }

    @Test
    void aRemovedSegmentsKeyIsFreeAtOnce() {
        String old = value(1, "SEGMENT");
        String fresh = value(1, "FREE");
        assertNotEquals(old, fresh);
        assertTrue(OUT[3].contains("removed segment " + old), OUT[3]);
        String list = OUT[2].substring(OUT[2].indexOf("LIST"), OUT[2].indexOf("END-LIST"));
        assertTrue(list.contains("0x00005348 " + String.format("%-10s", fresh)), list);
        assertTrue(!list.contains(" " + old + " "), "the removed segment is gone:\n" + list);
    }

    @Test
    void aWrongCommandGetsOneClearLine() {
        assertEquals(1, badStatus, OUT[3]);
        assertTrue(NodeProcess.withoutConsoleLog(OUT[3]).contains(
                "kddm: missing arguments; usage: shm:read ID OFFSET LENGTH"), OUT[3]);
        assertTrue(!OUT[3].contains("\tat "), "no stack trace:\n" + OUT[3]);
    }
}
