package io.kddm.ipc.impl;

import static io.kddm.ipc.impl.IpcCluster.caller;
import static io.kddm.ipc.impl.IpcCluster.root;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.ipc.Caller;
import io.kddm.ipc.Errno;
import io.kddm.ipc.Ipc;
import io.kddm.ipc.IpcException;
import io.kddm.ipc.Message;
import io.kddm.ipc.MessageQueues;

/** Message queues on three simulated nodes: keys, permissions, selection, limits, waking and exactly-once delivery. */
class QueueTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    private IpcCluster cluster;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        if (cluster != null) {
            cluster.close();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Message m) {
        return new String(m.data(), StandardCharsets.UTF_8);
    }

    private static Errno errno(Runnable r) {
        return assertThrows(IpcException.class, r::run).errno();
    }

    /** Polls (bounded) until the condition holds: how a test waits for a caller to be in a line. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never: " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void ofNodesRacingToMakeOneKeyWithExclExactlyOneWins() throws Exception {
        cluster = new IpcCluster(3, 1);
        for (long key = 100; key < 105; key++) {
            long k = key;
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> tries = new ArrayList<>();
            for (int node = 1; node <= 3; node++) {
                for (int t = 0; t < 3; t++) {
                    int n = node;
                    tries.add(pool.submit(() -> {
                        start.await();
                        try {
                            return cluster.queues(n).msgget(root(n), k, Ipc.IPC_CREAT | Ipc.IPC_EXCL | 0600);
                        } catch (IpcException e) {
                            assertEquals(Errno.EEXIST, e.errno(), e.getMessage());
                            return -1;
                        }
                    }));
                }
            }
            start.countDown();
            List<Integer> won = new ArrayList<>();
            for (Future<Integer> f : tries) {
                int id = f.get(60, TimeUnit.SECONDS);
                if (id > 0) {
                    won.add(id);
                }
            }
            assertEquals(1, won.size(), "winners for key " + key + ": " + won);
            for (int node = 1; node <= 3; node++) {
                assertEquals(won.get(0), cluster.queues(node).msgget(root(node), k, 0));
            }
        }
        assertEquals(5, cluster.queues(2).list().size());
        // a removed key is free at once; its id is gone for good
        int old = cluster.queues(1).msgget(root(1), 100, 0);
        cluster.queues(3).remove(root(3), old);
        assertEquals(Errno.ENOENT, errno(() -> cluster.queues(2).msgget(root(2), 100, 0)));
        assertEquals(Errno.EIDRM, errno(() -> cluster.queues(2).stat(root(2), old)));
        int again = cluster.queues(2).msgget(root(2), 100, Ipc.IPC_CREAT | Ipc.IPC_EXCL | 0600);
        assertTrue(again != old);
        assertEquals(Errno.EINVAL, errno(() -> cluster.queues(1).stat(root(1), 12345)));
        // IPC_PRIVATE always makes a new one
        assertTrue(cluster.queues(1).msgget(root(1), Ipc.IPC_PRIVATE, 0600) != cluster.queues(1).msgget(root(1),
                Ipc.IPC_PRIVATE, 0600));
    }

    @Test
    void permissionsFollowUidGidAndMode() throws Exception {
        cluster = new IpcCluster(2, 2);
        Caller owner = caller(1, 1000, 100);
        Caller group = caller(2, 2000, 100);
        Caller other = caller(2, 3000, 300);
        MessageQueues q1 = cluster.queues(1);
        MessageQueues q2 = cluster.queues(2);
        int id = q1.msgget(owner, 7, Ipc.IPC_CREAT | 0640);
        q1.msgsnd(owner, id, 1, bytes("a"), 0, LONG);
        assertEquals(Errno.EACCES, errno(() -> q2.msgsnd(group, id, 1, bytes("b"), 0, LONG)));
        assertEquals("a", text(q2.msgrcv(group, id, 100, 0, 0, LONG))); // the group may read
        assertEquals(Errno.EACCES, errno(() -> q2.msgrcv(other, id, 100, 0, Ipc.IPC_NOWAIT, LONG)));
        assertEquals(Errno.EACCES, errno(() -> q2.stat(other, id)));
        assertEquals(Errno.EACCES, errno(() -> q2.msgget(group, 7, 0600))); // asks write
        assertEquals(id, q2.msgget(group, 7, 0400));
        assertEquals(Errno.EPERM, errno(() -> q2.remove(group, id)));
        assertEquals(Errno.EPERM, errno(() -> q2.set(other, id, 3000, 300, 0666, Ipc.MSGMNB)));
        q1.set(owner, id, 1000, 100, 0666, Ipc.MSGMNB);
        q2.msgsnd(other, id, 1, bytes("c"), 0, LONG);
        assertEquals(Errno.EPERM, errno(() -> q1.set(owner, id, 1000, 100, 0666, Ipc.MSGMNB * 2)));
        assertEquals(Errno.EFBIG, errno(() -> q1.set(root(1), id, 1000, 100, 0666, Ipc.MSGMNB_MAX + 1)));
        q2.remove(root(2), id); // root may
        assertEquals(Errno.EIDRM, errno(() -> q1.msgsnd(owner, id, 1, bytes("d"), 0, LONG)));
        // a waiting receiver whose permission is taken away fails, and leaves the line
        int open = q1.msgget(owner, 8, Ipc.IPC_CREAT | 0666);
        Future<Message> r = pool.submit(() -> q2.msgrcv(group, open, 100, 0, 0, LONG));
        await("a receiver waits", () -> q1.stat(owner, open).receivers() == 1);
        q1.set(owner, open, 1000, 100, 0600, Ipc.MSGMNB);
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> r.get(30, TimeUnit.SECONDS));
        assertEquals(Errno.EACCES, ((IpcException) e.getCause()).errno());
        assertEquals(0, q1.stat(owner, open).receivers());
    }

    @Test
    void receiversSelectByTypeAndEachTypeKeepsItsOrder() {
        cluster = new IpcCluster(3, 3);
        MessageQueues q1 = cluster.queues(1);
        MessageQueues q2 = cluster.queues(2);
        MessageQueues q3 = cluster.queues(3);
        int id = q1.msgget(root(1), 9, Ipc.IPC_CREAT | 0600);
        String[] sent = {"3a", "1a", "2a", "1b", "5a", "2b", "3b"};
        for (String s : sent) {
            q1.msgsnd(root(1), id, s.charAt(0) - '0', bytes(s), 0, LONG);
        }
        assertEquals(7, q3.stat(root(3), id).qnum());
        assertEquals("2a", text(q2.msgrcv(root(2), id, 100, 2, 0, LONG))); // first of type 2
        assertEquals("1a", text(q3.msgrcv(root(3), id, 100, -2, 0, LONG))); // lowest type <= 2
        assertEquals("1b", text(q2.msgrcv(root(2), id, 100, -2, 0, LONG)));
        assertEquals("2b", text(q2.msgrcv(root(2), id, 100, -2, 0, LONG)));
        assertEquals(Errno.ENOMSG, errno(() -> q3.msgrcv(root(3), id, 100, -2, Ipc.IPC_NOWAIT, LONG)));
        assertEquals("5a", text(q1.msgrcv(root(1), id, 100, 3, Ipc.MSG_EXCEPT, LONG))); // first not of type 3
        assertEquals("3a", text(q3.msgrcv(root(3), id, 100, 0, 0, LONG))); // the first
        Message last = q2.msgrcv(root(2), id, 100, 0, 0, LONG);
        assertEquals(3, last.type());
        assertEquals("3b", text(last));
        assertEquals(Errno.ENOMSG, errno(() -> q1.msgrcv(root(1), id, 100, 0, Ipc.IPC_NOWAIT, LONG)));
        // too long for the receiver: E2BIG and it stays, or cut with MSG_NOERROR
        q1.msgsnd(root(1), id, 4, bytes("0123456789"), 0, LONG);
        assertEquals(Errno.E2BIG, errno(() -> q2.msgrcv(root(2), id, 4, 0, 0, LONG)));
        assertArrayEquals(bytes("0123"), q2.msgrcv(root(2), id, 4, 0, Ipc.MSG_NOERROR, LONG).data());
        assertEquals(0, q3.stat(root(3), id).qnum());
        // bad arguments
        assertEquals(Errno.EINVAL, errno(() -> q1.msgsnd(root(1), id, 0, bytes("x"), 0, LONG)));
        assertEquals(Errno.EINVAL, errno(() -> q1.msgsnd(root(1), id, 1, new byte[Ipc.MSGMAX + 1], 0, LONG)));
        assertEquals(Errno.EINVAL, errno(() -> q1.msgrcv(root(1), -4, 10, 0, 0, LONG)));
    }

    @Test
    void aFullQueueMakesSendersWaitUntilAReceiveOnAnotherNode() throws Exception {
        cluster = new IpcCluster(3, 4);
        MessageQueues q1 = cluster.queues(1);
        int id = q1.msgget(root(1), 11, Ipc.IPC_CREAT | 0600);
        q1.set(root(1), id, 0, 0, 0600, 64); // four messages of 16 bytes
        for (int i = 0; i < 4; i++) {
            q1.msgsnd(root(1), id, 1, bytes(String.format("message-%07d", i)), 0, LONG);
        }
        assertEquals(Errno.EAGAIN, errno(() -> q1.msgsnd(root(1), id, 1, bytes("more"), Ipc.IPC_NOWAIT, LONG)));
        assertEquals(Errno.EAGAIN, errno(() -> q1.msgsnd(root(1), id, 1, bytes("more"), 0, Duration.ofMillis(50))));
        Future<?> blocked = pool.submit(() -> cluster.queues(2).msgsnd(root(2), id, 2, bytes("waited"), 0, LONG));
        await("a sender waits", () -> cluster.queues(3).stat(root(3), id).senders() == 1);
        assertFalse(blocked.isDone());
        assertEquals("message-0000000", text(cluster.queues(3).msgrcv(root(3), id, 100, 0, 0, LONG)));
        blocked.get(30, TimeUnit.SECONDS);
        assertEquals("waited", text(cluster.queues(1).msgrcv(root(1), id, 100, 2, 0, LONG)));
        assertEquals(0, cluster.queues(1).stat(root(1), id).senders());
        assertEquals(Errno.EINVAL, errno(() -> q1.msgsnd(root(1), id, 1, new byte[65], 0, LONG))); // never fits
    }

    @Test
    void aReceiverBlockedOnOneNodeIsWokenByASendOnAnotherNotByTheSafetyNet() throws Exception {
        cluster = new IpcCluster(3, 5, 600_000); // no safety re-check within this test's limits
        int id = cluster.queues(1).msgget(root(1), 13, Ipc.IPC_CREAT | 0600);
        for (int round = 0; round < 5; round++) {
            int receiverNode = round % 3 + 1;
            int senderNode = (round + 1) % 3 + 1;
            Future<Message> receiver = pool.submit(() -> cluster.queues(receiverNode).msgrcv(root(receiverNode), id,
                    100, 0, 0, LONG));
            await("the receiver waits", () -> cluster.queues(senderNode).stat(root(senderNode), id).receivers() == 1);
            cluster.queues(senderNode).msgsnd(root(senderNode), id, 7, bytes("wake " + round), 0, LONG);
            assertEquals("wake " + round, text(receiver.get(30, TimeUnit.SECONDS)));
        }
        for (int node = 1; node <= 3; node++) {
            assertEquals(0, cluster.node(node).safetyRechecks(), "node " + node);
        }
    }

    @Test
    void anInterruptedReceiverGetsEintrAndGivesUpItsPlaceInLine() throws Exception {
        cluster = new IpcCluster(3, 6);
        int id = cluster.queues(1).msgget(root(1), 16, Ipc.IPC_CREAT | 0600);
        java.util.concurrent.atomic.AtomicReference<Thread> first = new java.util.concurrent.atomic.AtomicReference<>();
        Future<Errno> interrupted = pool.submit(() -> {
            first.set(Thread.currentThread());
            return errno(() -> cluster.queues(2).msgrcv(root(2), id, 100, 0, 0, LONG));
        });
        await("the first receiver waits", () -> cluster.queues(1).stat(root(1), id).receivers() == 1);
        Future<Message> second = pool.submit(() -> cluster.queues(3).msgrcv(root(3), id, 100, 0, 0, LONG));
        await("the second receiver waits", () -> cluster.queues(1).stat(root(1), id).receivers() == 2);
        first.get().interrupt(); // as Ctrl-C in the console interrupts the command's thread
        assertEquals(Errno.EINTR, interrupted.get(30, TimeUnit.SECONDS));
        await("the interrupted receiver left the line", () -> cluster.queues(1).stat(root(1), id).receivers() == 1);
        cluster.queues(1).msgsnd(root(1), id, 1, bytes("for the one still waiting"), 0, LONG);
        assertEquals("for the one still waiting", text(second.get(30, TimeUnit.SECONDS)));
        assertEquals(0, cluster.queues(1).stat(root(1), id).qnum(), "nothing left for the interrupted one");
    }

    @Test
    void waitingReceiversOnThreeNodesAreServedInTheOrderTheyCame() throws Exception {
        cluster = new IpcCluster(3, 8);
        int id = cluster.queues(1).msgget(root(1), 14, Ipc.IPC_CREAT | 0600);
        for (int round = 0; round < 3; round++) {
            List<Future<Message>> receivers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int node = (round + i) % 3 + 1;
                receivers.add(pool.submit(() -> cluster.queues(node).msgrcv(root(node), id, 100, 0, 0, LONG)));
                int waiting = i + 1;
                await("receiver " + waiting + " waits", () -> cluster.queues(1).stat(root(1), id).receivers() == waiting);
            }
            for (String s : List.of("a", "b", "c")) {
                cluster.queues(2).msgsnd(root(2), id, 1, bytes(s), 0, LONG);
            }
            // a newcomer does not overtake them: it finds nothing left for it
            assertEquals(Errno.ENOMSG, errno(() -> cluster.queues(3).msgrcv(root(3), id, 100, 0, Ipc.IPC_NOWAIT, LONG)));
            assertEquals("a", text(receivers.get(0).get(30, TimeUnit.SECONDS)));
            assertEquals("b", text(receivers.get(1).get(30, TimeUnit.SECONDS)));
            assertEquals("c", text(receivers.get(2).get(30, TimeUnit.SECONDS)));
        }
    }

    @Test
    void removalWakesBlockedReceiversAndSendersWithEidrm() throws Exception {
        cluster = new IpcCluster(3, 6, 600_000);
        int full = cluster.queues(1).msgget(root(1), 15, Ipc.IPC_CREAT | 0600);
        int empty = cluster.queues(1).msgget(root(1), 16, Ipc.IPC_CREAT | 0600);
        cluster.queues(1).set(root(1), full, 0, 0, 0600, 16);
        cluster.queues(1).msgsnd(root(1), full, 1, bytes("x"), 0, LONG);
        List<Future<?>> waiting = new ArrayList<>();
        for (int node = 1; node <= 3; node++) {
            int n = node;
            waiting.add(pool.submit(() -> cluster.queues(n).msgrcv(root(n), empty, 100, 0, 0, LONG)));
            waiting.add(pool.submit(() -> cluster.queues(n).msgsnd(root(n), full, 1, bytes("y"), 0, LONG)));
        }
        await("three receivers and three senders wait", () -> cluster.queues(2).stat(root(2), empty).receivers() == 3
                && cluster.queues(2).stat(root(2), full).senders() == 3);
        cluster.queues(3).remove(root(3), empty);
        cluster.queues(2).remove(root(2), full);
        for (Future<?> f : waiting) {
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> f.get(30, TimeUnit.SECONDS));
            assertEquals(Errno.EIDRM, ((IpcException) e.getCause()).errno(), e.getCause().getMessage());
        }
        assertTrue(cluster.queues(1).list().isEmpty());
    }

    /**
     * Node 3 sends to two queues (one made on node 1, one made on node 3, so
     * homed there) and crashes right after: it was their last writer, and the
     * family's backup keeps every message it sent.
     */
    @Test
    void messagesOfANodeThatCrashedAfterSendingAreNotLost() {
        cluster = new IpcCluster(3, 10);
        int onOne = cluster.queues(1).msgget(root(1), 41, Ipc.IPC_CREAT | 0600);
        int onThree = cluster.queues(3).msgget(root(3), 42, Ipc.IPC_CREAT | 0600);
        for (int i = 1; i <= 5; i++) {
            cluster.queues(3).msgsnd(root(3), onOne, 1, bytes("one-" + i), 0, LONG);
            cluster.queues(3).msgsnd(root(3), onThree, 1, bytes("three-" + i), 0, LONG);
        }
        cluster.crash(3);
        for (int i = 1; i <= 5; i++) {
            assertEquals("one-" + i, text(cluster.queues(2).msgrcv(root(2), onOne, 100, 0, 0, LONG)));
            assertEquals("three-" + i, text(cluster.queues(1).msgrcv(root(1), onThree, 100, 0, 0, LONG)));
        }
        assertEquals(onThree, cluster.queues(2).msgget(root(2), 42, 0));
        assertEquals(2, cluster.queues(1).list().size());
    }

    /**
     * The ipc bundle stopped on node 1, the home of the key buckets and of a
     * queue it made: the other nodes keep using that queue and make new ones
     * (node 1's core serves them without the bundle); started again, node 1
     * finds every message and uses them as before.
     */
    @Test
    void aNodeWhoseBundleStoppedStillServesTheOthersAndLosesNothing() {
        cluster = new IpcCluster(3, 9);
        int id = cluster.queues(1).msgget(root(1), 31, Ipc.IPC_CREAT | 0600);
        for (int i = 1; i <= 3; i++) {
            cluster.queues(1).msgsnd(root(1), id, 1, bytes("kept-" + i), 0, LONG);
        }
        cluster.stopBundle(1);
        assertEquals(id, cluster.queues(2).msgget(root(2), 31, 0));
        cluster.queues(2).msgsnd(root(2), id, 2, bytes("during"), 0, LONG);
        assertEquals("kept-1", text(cluster.queues(3).msgrcv(root(3), id, 100, 1, 0, LONG)));
        int other = cluster.queues(3).msgget(root(3), 32, Ipc.IPC_CREAT | 0600);
        cluster.queues(3).msgsnd(root(3), other, 5, bytes("made meanwhile"), 0, LONG);
        cluster.startBundle(1);
        assertEquals("kept-2", text(cluster.queues(1).msgrcv(root(1), id, 100, 0, 0, LONG)));
        assertEquals("kept-3", text(cluster.queues(1).msgrcv(root(1), id, 100, 0, 0, LONG)));
        assertEquals("during", text(cluster.queues(1).msgrcv(root(1), id, 100, 0, 0, LONG)));
        assertEquals("made meanwhile", text(cluster.queues(1).msgrcv(root(1), cluster.queues(1).msgget(root(1), 32, 0),
                100, 0, 0, LONG)));
        assertEquals(2, cluster.queues(1).list().size());
    }

    /**
     * Three nodes, each with two producers and two consumers on one queue:
     * every message is received exactly once, and each consumer sees each
     * producer's messages of a type in the order they were sent. Typed
     * consumers take only their type.
     */
    @Test
    void producersAndConsumersOnThreeNodesDeliverEveryMessageExactlyOnceInOrder() throws Exception {
        cluster = new IpcCluster(3, 7);
        int id = cluster.queues(1).msgget(root(1), 17, Ipc.IPC_CREAT | 0600);
        int perProducer = 60;
        int producers = 6;
        int total = perProducer * producers;
        AtomicInteger received = new AtomicInteger();
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        List<String> orderErrors = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Callable<Void>> work = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            int node = p % 3 + 1;
            work.add(() -> {
                for (int i = 0; i < perProducer; i++) {
                    long type = i % 3 + 1; // types 1..3
                    cluster.queues(node).msgsnd(root(node), id, type, bytes(producer + ":" + i), 0, LONG);
                }
                return null;
            });
        }
        for (int c = 0; c < 6; c++) {
            int node = c % 3 + 1;
            long msgtyp = c < 3 ? 0 : c - 2; // three take anything, three one type each (1, 2, 3)
            work.add(() -> {
                Map<String, Integer> last = new HashMap<>();
                while (received.get() < total) {
                    Message m;
                    try {
                        m = cluster.queues(node).msgrcv(root(node), id, 100, msgtyp, 0, Duration.ofMillis(300));
                    } catch (IpcException e) {
                        if (e.errno() == Errno.EAGAIN) {
                            continue;
                        }
                        throw e;
                    }
                    String[] parts = text(m).split(":");
                    int seq = Integer.parseInt(parts[1]);
                    if (msgtyp > 0 && m.type() != msgtyp) {
                        orderErrors.add("consumer of type " + msgtyp + " got " + m.type());
                    }
                    String stream = parts[0] + "/" + m.type();
                    Integer before = last.put(stream, seq);
                    if (before != null && before >= seq) {
                        orderErrors.add(stream + ": " + seq + " after " + before);
                    }
                    if (seen.merge(text(m), 1, Integer::sum) > 1) {
                        orderErrors.add(text(m) + " received twice");
                    }
                    received.incrementAndGet();
                }
                return null;
            });
        }
        for (Future<Void> f : pool.invokeAll(work, 120, TimeUnit.SECONDS)) {
            f.get();
        }
        assertEquals(List.of(), orderErrors);
        assertEquals(total, seen.size());
        assertEquals(total, received.get());
        Set<String> expected = new HashSet<>();
        for (int p = 0; p < producers; p++) {
            for (int i = 0; i < perProducer; i++) {
                expected.add(p + ":" + i);
            }
        }
        assertEquals(expected, seen.keySet());
        assertEquals(0, cluster.queues(2).stat(root(2), id).qnum());
    }
}
