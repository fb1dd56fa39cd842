package io.kddm.shm.impl;

import static io.kddm.shm.SharedMemory.IPC_CREAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.kddm.impl.core.History;
import io.kddm.impl.core.Linearizability;
import io.kddm.shm.Caller;
import io.kddm.shm.Segment;

/**
 * Three nodes x four threads on one page: a counter word incremented by
 * getAndAdd (even threads) and compareAndSet loops (odd threads), and a second
 * word of the same page overwritten with values whose two 32-bit halves are
 * equal; a reader on each node reads both all along. The counter ends exact,
 * no reader sees it go back or sees a torn word, and every operation of both
 * words is checked linearizable by the core's checker (a successful
 * compareAndSet(v, v+1) is an ADD, a failed one a READ of what it found).
 */
class ContentionTest {
    private static final int NODES = 3;
    private static final int THREADS = 4;
    private static final int OPS = 120;
    private static final long COUNTER = 0;
    private static final long PATTERN = 8;

    private static long now() {
        return System.nanoTime();
    }

    @Test
    void countersFromThreeNodesAndFourThreadsEndExactAndAreLinearizable() throws Exception {
        try (ShmCluster cluster = new ShmCluster(11, Duration.ofNanos(100_000), NODES)) {
            int id = cluster.node(1).shmget(0x5eed, 4096, IPC_CREAT | 0600, Caller.ROOT);
            History history = new History();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger writersLeft = new AtomicInteger(NODES * THREADS);
            AtomicInteger casRetries = new AtomicInteger();
            CyclicBarrier go = new CyclicBarrier(NODES * THREADS + NODES);
            List<Thread> threads = new ArrayList<>();
            List<Segment> attached = new ArrayList<>();
            for (int node = 1; node <= NODES; node++) {
                Segment s = cluster.node(node).attach(id, 0, Caller.ROOT);
                attached.add(s);
                for (int t = 0; t < THREADS; t++) {
                    boolean cas = t % 2 == 1;
                    long stamp = node * 100 + t;
                    threads.add(thread(failures, go, () -> {
                        try {
                            for (int i = 0; i < OPS; i++) {
                                if (cas) {
                                    casIncrement(s, history, casRetries);
                                } else {
                                    long at = now();
                                    long before = s.getAndAdd(COUNTER, 1);
                                    history.add(new History.Op(COUNTER, History.Kind.ADD, 1, before + 1, at, now()));
                                }
                                if (i % 4 == 0) {
                                    long half = stamp * 1000 + i;
                                    long word = (half << 32) | half;
                                    long at = now();
                                    s.setLong(PATTERN, word);
                                    history.add(new History.Op(PATTERN, History.Kind.WRITE, word, 0, at, now()));
                                }
                            }
                        } finally {
                            writersLeft.decrementAndGet();
                        }
                    }));
                }
                threads.add(thread(failures, go, () -> {
                    long last = Long.MIN_VALUE;
                    int reads = 0;
                    while (writersLeft.get() > 0 && reads < 300) {
                        long at = now();
                        long v = s.getLong(COUNTER);
                        history.add(new History.Op(COUNTER, History.Kind.READ, 0, v, at, now()));
                        assertTrue(v >= last, "the counter went back from " + last + " to " + v);
                        last = v;
                        at = now();
                        long p = s.getLong(PATTERN);
                        history.add(new History.Op(PATTERN, History.Kind.READ, 0, p, at, now()));
                        assertEquals(p >>> 32, p & 0xFFFF_FFFFL, "torn word " + Long.toHexString(p));
                        reads++;
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(TimeUnit.MINUTES.toMillis(2));
                assertTrue(!t.isAlive(), "a worker is still running after 2 minutes");
            }
            assertTrue(failures.isEmpty(), failures.toString());
            long expected = (long) NODES * THREADS * OPS;
            for (int node = 1; node <= NODES; node++) {
                assertEquals(expected, attached.get(node - 1).getLong(COUNTER), "node " + node + " reads it exact");
            }
            int checked = Linearizability.checkAll(history);
            assertEquals(history.size(), checked);
            System.out.println("shm contention: " + expected + " increments (" + casRetries.get()
                    + " compareAndSet retries), " + checked + " operations checked linearizable");
            attached.forEach(Segment::close);
            assertEquals(0, cluster.node(2).stat(id, Caller.ROOT).attached());
        }
    }

    private static void casIncrement(Segment s, History history, AtomicInteger retries) {
        long at = now();
        long expected = s.getLong(COUNTER);
        history.add(new History.Op(COUNTER, History.Kind.READ, 0, expected, at, now()));
        while (true) {
            at = now();
            long found = s.compareAndExchange(COUNTER, expected, expected + 1);
            if (found == expected) {
                history.add(new History.Op(COUNTER, History.Kind.ADD, 1, expected + 1, at, now()));
                return;
            }
            history.add(new History.Op(COUNTER, History.Kind.READ, 0, found, at, now()));
            retries.incrementAndGet();
            expected = found;
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private static Thread thread(ConcurrentLinkedQueue<Throwable> failures, CyclicBarrier go, Work work) {
        return new Thread(() -> {
            try {
                go.await(30, TimeUnit.SECONDS);
                work.run();
            } catch (Throwable e) {
                failures.add(e);
            }
        });
    }
}
