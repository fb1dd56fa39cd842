package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's must-show for message queues and semaphores, between three JVMs
 * over real TCP, on one cluster for the whole class: each node runs one script
 * of {@code msg:}, {@code sem:} and {@code ipc:} commands whose phases meet at
 * barriers of a map (the map linker over the well-known set 0:22 of
 * {@code demo-r2}, homed on node 1 and backed up). The scenarios, in order:
 * producers and consumers on three nodes (blocking receivers woken by sends
 * from other nodes, every message once, each type in order); ipcrm waking
 * blocked receivers with EIDRM; the ipc bundle of node 1 stopped and started
 * while the others use a queue; node 3, the home of a queue it sent to, paused
 * (SIGSTOP) past the failure bound while node 1 sends on that queue and node 2
 * receives, then resumed (it rejoins); node 1 cut off (iptables, each node on
 * its own 127.0.0.N) past the failure bound while node 3 sends on a queue node 1
 * sent to before and node 2 receives; node 4 joining, making a queue and
 * sending on it while node 2 receives, and leaving in order, node 3 receiving
 * the rest after it left; a semaphore as a mutex of three nodes around a
 * non-atomic increment of a kDDM counter (read, then write); and node 3 killed
 * (kill -9) while it holds the semaphore with SEM_UNDO: node 2's blocked
 * sem:op gets it.
 */
class IpcClusterIT {
    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final long HOME_1 = 1L << 24;
    private static final String MAP = "--base " + HOME_1 + " 0:22";
    private static final long COUNTER = HOME_1 + 1000;
    private static final long FLAG = HOME_1 + 1001;
    private static final int SENT_A = 30;
    private static final int ROUNDS = 20;

    private static LocalCluster cluster;
    private static final String[] OUT = new String[5];
    private static final int SENT_X = 20;
    private static final int SENT_J = 15;
    private static boolean node1TakenOut;
    private static int node4Status;
    private static String node4Log;
    private static final int SENT_P = 20;
    private static long handOverMs;
    private static boolean node3TakenOut;

    private static String barrier(String name, int id) {
        return LocalCluster.barrier(MAP, name, id, 3);
    }

    private static String onIpcBundle(String action) {
        return "each ($.context bundles) { if { ($it symbolicName) equals io.kddm.ipc } { $it " + action + " } }\n";
    }

    private static String script(int id) {
        StringBuilder s = new StringBuilder("kddm:nodes --await 3\n");
        s.append("q = msg:get 0x5151 --create\nr = msg:get 0x5152 --create\nh = msg:get 0x5154 --create\n");
        s.append(barrier("start", id));
        // A: producers and consumers; the receivers block before anything is sent
        switch (id) {
            case 1 -> s.append("sleep 1\nmsg:send $q 1 a --times ").append(SENT_A)
                    .append("\nmsg:send $q 2 b --times 10\necho RECV-C\nmsg:recv $q --type 3 --times 10 --wait 60\necho END-C\n");
            case 2 -> s.append("echo RECV-A\nmsg:recv $q --type 1 --times ").append(SENT_A / 2)
                    .append(" --wait 60\necho END-A\nmsg:send $q 3 c --times 10\n");
            default -> s.append("echo RECV-A\nmsg:recv $q --type 1 --times ").append(SENT_A / 2)
                    .append(" --wait 60\necho END-A\necho RECV-B\nmsg:recv $q --type 2 --times 10 --wait 60\necho END-B\n");
        }
        s.append(barrier("a-done", id));
        if (id == 1) {
            s.append("m = shm:get 0x5155 4096 --create\necho IPCS-A\nipc:ipcs\necho END-IPCS-A\nipc:ipcrm -m $m\n");
        }
        // B: ipcrm wakes the blocked receivers with EIDRM
        s.append(barrier("b", id));
        if (id == 1) {
            s.append("sleep 1\nipc:ipcrm -q $r\n");
        } else {
            s.append("echo RECV-R\nmsg:recv $r --wait 60\necho END-R\n");
        }
        // H: node 1's ipc bundle stopped while node 2 sends; started again, node 1 receives all
        s.append(barrier("h", id));
        if (id == 1) {
            s.append("msg:send $h 1 kept --times 3\n").append(onIpcBundle("stop")).append("echo STOPPED\n")
                    .append("kddm:families\n");
        }
        s.append(barrier("h-stopped", id));
        if (id == 2) {
            s.append("msg:send $h 2 during --times 2\n");
        }
        s.append(barrier("h-used", id));
        if (id == 1) {
            s.append(onIpcBundle("start")).append("sleep 1\necho RECV-H\nmsg:recv $h --times 5 --wait 30\necho END-H\n");
        }
        // P: node 3 makes a queue (its home), sends on it, and is paused past the failure bound (by the test, once it
        // prints PAUSE-ME) while node 1 sends on the queue and node 2 receives everything, node 3's messages too
        if (id == 3) {
            s.append("p = msg:get 0x5156 --create\nmsg:send $p 9 before --times 5\n");
        }
        s.append(barrier("p", id));
        switch (id) {
            case 3 -> s.append("map:put ").append(MAP).append(" pausing yes\necho PAUSE-ME\nsleep 8\n")
                    .append("kddm:nodes --await 3\n");
            case 1 -> s.append("p = msg:get 0x5156\nmap:await --timeout 60 ").append(MAP).append(" pausing\nsleep 2\n")
                    .append("msg:send $p 1 while --times ").append(SENT_P).append('\n');
            default -> s.append("p = msg:get 0x5156\nmap:await --timeout 60 ").append(MAP).append(" pausing\n")
                    .append("echo RECV-P\nmsg:recv $p --type 1 --times ").append(SENT_P)
                    .append(" --wait 60\nmsg:recv $p --type 9 --times 5 --wait 60\necho END-P\n");
        }
        s.append(barrier("p-done", id));
        // X: node 1 (home of the barrier map) sends on a queue and is cut off (iptables) past the failure bound by the
        // test once it prints CUT-ME, while node 3 sends on that queue and node 2 receives everything
        if (id == 1) {
            s.append("x = msg:get 0x5157 --create\nmsg:send $x 9 before --times 5\nmap:put ").append(MAP)
                    .append(" cutting yes\necho CUT-ME\nsleep 7\nkddm:nodes --await 3\n");
        } else {
            s.append("map:await --timeout 60 ").append(MAP).append(" cutting\nx = msg:get 0x5157\n");
            s.append(id == 3 ? "sleep 2\nmsg:send $x 1 while --times " + SENT_X + "\n"
                    : "echo RECV-X\nmsg:recv $x --type 1 --times " + SENT_X
                            + " --wait 60\nmsg:recv $x --type 9 --times 5 --wait 60\necho END-X\n");
        }
        s.append(barrier("x-done", id));
        // J: node 4 joins (the test starts it at JOIN-4), makes a queue and sends on it while node 2 receives, and
        // leaves in order once its script is done; node 3 receives the rest after it left
        if (id == 1) {
            s.append("echo JOIN-4\n");
        }
        s.append("map:await --timeout 90 ").append(MAP).append(" joined-4\nj = msg:get 0x5158\n");
        if (id == 2) {
            s.append("echo RECV-J\nmsg:recv $j --type 4 --times 8 --wait 60\necho END-J\n");
        }
        s.append("map:await --timeout 60 ").append(MAP).append(" leaving-4\nkddm:nodes --gone 4\n");
        if (id == 3) {
            s.append("echo RECV-J\nmsg:recv $j --type 4 --times ").append(SENT_J - 8)
                    .append(" --wait 60\necho END-J\nmsg:recv $j --nowait\n");
        }
        s.append(barrier("j-done", id));
        // C: a semaphore as a mutex around a read-then-write of a counter and a holder flag
        if (id == 1) {
            s.append("s = sem:get 0x5153 1 --create\nsem:set $s 0 1\nkddm:write 0:22 ").append(COUNTER).append(" 0\n");
        }
        s.append(barrier("c", id));
        if (id != 1) {
            s.append("s = sem:get 0x5153 1\n");
        }
        for (int i = 0; i < ROUNDS; i++) {
            s.append("sem:op $s \"0:-1:undo\"\n");
            s.append("kddm:write 0:22 ").append(FLAG).append(" holder-").append(id).append('\n');
            s.append("c = kddm:read 0:22 ").append(COUNTER).append('\n');
            s.append("kddm:write 0:22 ").append(COUNTER).append(" %(c+1)\n");
            s.append("f = kddm:read 0:22 ").append(FLAG).append('\n');
            s.append("echo SAW $f\n");
            s.append("sem:op $s \"0:+1:undo\"\n");
        }
        s.append(barrier("counted", id));
        s.append("echo COUNT\nkddm:read 0:22 ").append(COUNTER).append("\necho END-COUNT\n");
        s.append(barrier("d", id));
        // D: node 3 holds the semaphore with SEM_UNDO and is killed; node 2 waits for it
        switch (id) {
            case 3 -> s.append("sem:op $s \"0:-1:undo\"\nmap:put ").append(MAP)
                    .append(" held-3 yes\necho HOLDING\nsleep 300\n");
            case 2 -> s.append("map:await --timeout 120 ").append(MAP).append(" held-3\necho WAITING\n")
                    .append("sem:op $s \"0:-1\" --wait 60\necho GOT\nsem:val $s\nipc:ipcs -s\n")
                    .append(LocalCluster.lastBarrier(MAP, "end", id, 2));
            default -> s.append("map:await --timeout 120 ").append(MAP).append(" held-3\n")
                    .append(LocalCluster.lastBarrier(MAP, "end", id, 2));
        }
        return s.toString();
    }

    /** Node 4: joins, makes a queue, sends on it while node 2 receives, and leaves in order. */
    private static String script4() {
        return "kddm:nodes --await 4\nj = msg:get 0x5158 --create\nmap:put " + MAP + " joined-4 yes\nsleep 1\n"
                + "msg:send $j 4 from4 --times " + SENT_J + "\nmap:put " + MAP + " leaving-4 yes\n";
    }

    @BeforeAll
    static void run() throws Exception {
        cluster = new LocalCluster("ipc-it", 4, true); // node N on 127.0.0.N, for the cut
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
        nodes[3].awaitOutput("(?m)^HOLDING$", LIMIT);
        nodes[2].awaitOutput("(?m)^WAITING$", LIMIT);
        Thread.sleep(1000); // node 2's sem:op is (most likely) waiting by now; nothing asserts it
        long killed = System.nanoTime();
        nodes[3].kill();
        long got = nodes[2].awaitOutput("(?m)^GOT$", LIMIT);
        handOverMs = (got - killed) / 1_000_000;
        System.out.println("IpcClusterIT: node 2 got the semaphore " + handOverMs
                + " ms after node 3, holding it with SEM_UNDO, was killed (kill -9)");
        OUT[3] = nodes[3].output();
        int[] status = LocalCluster.release(nodes, LIMIT, 2, 1);
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

    private static String between(String out, String from, String to) {
        Matcher m = Pattern.compile("(?s)(?m)^" + from + "$\\R(.*?)^" + to + "$").matcher(out);
        assertTrue(m.find(), "no " + from + " ... " + to + " in:\n" + out);
        return NodeProcess.withoutConsoleLog(m.group(1)).strip();
    }

    /** The texts of the TYPE TEXT lines msg:recv printed, in order; fails on any other line. */
    private static List<String> received(String lines, long type) {
        List<String> texts = new ArrayList<>();
        for (String line : lines.split("\\R")) {
            assertTrue(line.startsWith(type + " "), "not a message of type " + type + ": '" + line + "'");
            texts.add(line.substring(line.indexOf(' ') + 1));
        }
        return texts;
    }

    private static int seq(String text) {
        return Integer.parseInt(text.substring(text.lastIndexOf('-') + 1));
    }

    @Test
    void producersAndConsumersOnThreeNodesDeliverEveryMessageOnceInOrder() {
        List<String> two = received(between(OUT[2], "RECV-A", "END-A"), 1);
        List<String> three = received(between(OUT[3], "RECV-A", "END-A"), 1);
        assertEquals(SENT_A / 2, two.size());
        assertEquals(SENT_A / 2, three.size());
        Set<String> all = new HashSet<>(two);
        all.addAll(three);
        Set<String> sent = new HashSet<>();
        for (int i = 1; i <= SENT_A; i++) {
            sent.add("a-" + i);
        }
        assertEquals(sent, all, "every message of type 1 once, between nodes 2 and 3");
        for (List<String> l : List.of(two, three)) {
            for (int i = 1; i < l.size(); i++) {
                assertTrue(seq(l.get(i - 1)) < seq(l.get(i)), "in order: " + l);
            }
        }
        List<String> b = received(between(OUT[3], "RECV-B", "END-B"), 2);
        List<String> c = received(between(OUT[1], "RECV-C", "END-C"), 3);
        List<String> bs = new ArrayList<>();
        List<String> cs = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            bs.add("b-" + i);
            cs.add("c-" + i);
        }
        assertEquals(bs, b);
        assertEquals(cs, c); // node 1 waited for them: node 2 sent them once it had its own
        String ipcs = between(OUT[1], "IPCS-A", "END-IPCS-A");
        assertTrue(Pattern.compile("(?m)^0x00005151 +\\d+ +\\d+ +600 +0 +0 +0 +0$").matcher(ipcs).find(), ipcs);
        assertTrue(ipcs.contains("0x00005152") && ipcs.contains("0x00005154"), ipcs);
        // the shm bundle's segments too, through its API
        assertTrue(Pattern.compile("(?m)^0x00005155 +\\d+ +\\d+ +600 +4096 +0").matcher(ipcs).find(), ipcs);
        assertTrue(Pattern.compile("(?m)^removed segment \\d+$").matcher(OUT[1]).find(), OUT[1]);
    }

    @Test
    void ipcrmWakesBlockedReceiversWithEidrm() {
        for (int id = 2; id <= 3; id++) {
            String r = between(OUT[id], "RECV-R", "END-R");
            assertTrue(r.matches("msg:recv: EIDRM: queue \\d+ was removed"), "node " + id + ": " + r);
        }
        assertTrue(OUT[1].contains("removed queue "), OUT[1]);
    }

    @Test
    void theIpcBundleStoppedAndStartedOnNode1LosesNothingAndOthersKeepWorking() {
        assertTrue(OUT[1].contains("STOPPED"), OUT[1]);
        String families = OUT[1].substring(OUT[1].indexOf("STOPPED"));
        families = families.substring(0, families.indexOf("RECV-H"));
        assertTrue(families.contains("demo-r2") && !families.contains("\nipc "), families);
        assertTrue(OUT[2].contains("sent 2 messages of type 2 to queue"), OUT[2]);
        assertEquals(List.of("1 kept-1", "1 kept-2", "1 kept-3", "2 during-1", "2 during-2"),
                List.of(between(OUT[1], "RECV-H", "END-H").split("\\R")));
    }

    @Test
    void aQueueWhoseHomeIsPausedPastTheBoundLosesNoMessageAndKeepsTheirOrder() {
        assertTrue(node3TakenOut, "node 3 was paused past the failure bound");
        List<String> lines = List.of(between(OUT[2], "RECV-P", "END-P").split("\\R"));
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= SENT_P; i++) {
            expected.add("1 while-" + i);
        }
        for (int i = 1; i <= 5; i++) {
            expected.add("9 before-" + i); // sent by node 3 before its pause
        }
        assertEquals(expected, lines, "every message once, in order, the paused home's too");
    }

    @Test
    void aQueueUsedWhileNode1IsCutOffLosesNoMessageAndKeepsTheirOrder() {
        assertTrue(node1TakenOut, "node 1 was cut off past the failure bound");
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= SENT_X; i++) {
            expected.add("1 while-" + i);
        }
        for (int i = 1; i <= 5; i++) {
            expected.add("9 before-" + i); // sent by node 1 before it was cut off
        }
        assertEquals(expected, List.of(between(OUT[2], "RECV-X", "END-X").split("\\R")));
    }

    @Test
    void aNodeThatJoinsSendsAndLeavesInOrderLosesNoMessage() {
        assertEquals(0, node4Status, "node 4 left in order:\n" + OUT[4] + node4Log);
        assertTrue(!node4Log.contains("they are lost") && !node4Log.contains("was lost")
                && !node4Log.contains("leaves without"), node4Log);
        List<String> got = new ArrayList<>(List.of(between(OUT[2], "RECV-J", "END-J").split("\\R")));
        got.addAll(List.of(between(OUT[3], "RECV-J", "END-J").split("\\R")));
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= SENT_J; i++) {
            expected.add("4 from4-" + i);
        }
        assertEquals(expected, got, "node 2 got the first 8 while node 4 sent, node 3 the rest after it left");
        String rest = OUT[3].substring(OUT[3].indexOf("END-J"));
        assertTrue(rest.contains("ENOMSG"), "nothing more on the queue: " + rest);
    }

    @Test
    void aSemaphoreAsAMutexOfThreeNodesNeverAdmitsTwoHolders() {
        for (int id = 1; id <= 3; id++) {
            Matcher m = Pattern.compile("(?m)^SAW (.*)$").matcher(OUT[id]);
            int seen = 0;
            while (m.find()) {
                assertEquals("holder-" + id, m.group(1).strip(), "node " + id + " saw another holder inside");
                seen++;
            }
            assertEquals(ROUNDS, seen, "node " + id);
            assertEquals(String.valueOf(3 * ROUNDS), between(OUT[id], "COUNT", "END-COUNT"), "node " + id);
        }
    }

    @Test
    void aHolderKilledWithSemUndoReleasesTheSemaphoreToABlockedNode() {
        assertTrue(OUT[2].contains("GOT"), OUT[2]);
        assertTrue(Pattern.compile("(?m)^done \\[0:-1\\] on set \\d+").matcher(OUT[2]).find(), OUT[2]);
        String after = OUT[2].substring(OUT[2].indexOf("GOT"));
        assertTrue(Pattern.compile("(?m)^0$").matcher(after).find(), "the value node 2 took: " + after);
        assertTrue(after.contains("0x00005153"), after);
        System.out.println("IpcClusterIT: hand-over after kill -9: " + handOverMs + " ms");
    }
}
