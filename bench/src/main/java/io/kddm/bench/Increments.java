package io.kddm.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/** Counter increments from threads on several nodes, timed in a window and checked exact. */
final class Increments {
    private Increments() {
    }

    /**
     * Runs {@code threadsPerNode} threads on each of {@code nodes} nodes, each incrementing random
     * keys in 0..keys-1, for a fixed time after a warm-up; checks that the counters
     * ({@code sum}) add up to the number of increments done, and returns increments
     * per second in the measured window.
     */
    static double rate(String what, int nodes, int threadsPerNode, IntFunction<LongConsumer> perNode, int keys,
            LongSupplier sum, long warmupMillis, long windowMillis) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int n = 1; n <= nodes; n++) {
            LongConsumer op = perNode.apply(n);
            for (int t = 0; t < threadsPerNode; t++) {
                Thread th = new Thread(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    try {
                        go.await();
                        while (!stop.get()) {
                            op.accept(keys == 1 ? 0 : rnd.nextInt(keys));
                            done.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }, "bench-" + what + "-" + n + "-" + t);
                threads.add(th);
                th.start();
            }
        }
        go.countDown();
        Thread.sleep(warmupMillis);
        long before = done.get();
        long t0 = System.nanoTime();
        Thread.sleep(windowMillis);
        long after = done.get();
        long elapsed = System.nanoTime() - t0;
        stop.set(true);
        for (Thread th : threads) {
            th.join(TimeUnit.SECONDS.toMillis(60));
            if (th.isAlive()) {
                throw new IllegalStateException(th.getName() + " did not stop within 60 s");
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(what + " failed", failures.get(0));
        }
        long total = done.get();
        long counted = sum.getAsLong();
        if (counted != total) {
            throw new IllegalStateException(what + ": counters add up to " + counted + " after " + total
                    + " increments");
        }
        double rate = (after - before) / (elapsed / 1e9);
        System.err.printf(Locale.ROOT, "  %-24s %,10.0f increments/s (%,d in all, counters exact)%n", what, rate,
                total);
        return rate;
    }

}
