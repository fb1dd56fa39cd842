package io.kddm.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;

import io.kddm.api.set.KddmSet;
import io.kddm.impl.shell.CounterOp;

/**
 * Worker threads on random objects of one set, half of them incrementing an
 * 8-byte counter (grab/put), half reading (get/put), each recording every
 * operation's latency as <em>steady</em> or <em>during an update</em>: the
 * latter if the operation overlapped a window that the updating thread opened
 * ({@link #openWindow}) and closed. Workers pause between operations, as a
 * service's load rather than a saturating loop, so that on a small machine
 * the update itself gets a core and the steady figures are not mostly the
 * scheduler's time slices.
 */
final class StallWorkload {
    static final int OBJECTS = 1000;
    static final int THREADS_PER_KIND = 2;
    static final long PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final KddmSet set;
    private final List<Worker> workers = new ArrayList<>();
    /** Odd while a window is open; bumped at each opening and closing, by the updating thread only. */
    private volatile long phase;
    private volatile boolean recording;
    private volatile boolean stop;

    /** Latencies of one kind of operation over every worker of that kind, and failures by exception class. */
    record Latencies(Histogram steady, Histogram during, Map<String, Long> failures) {
    }

    /** Sets every object to 0 and starts the workers; nothing is recorded until {@link #record}. */
    StallWorkload(KddmSet set) {
        this.set = set;
        for (int i = 0; i < OBJECTS; i++) {
            CounterOp.WRITE.apply(set, i, 0);
        }
        for (int t = 0; t < 2 * THREADS_PER_KIND; t++) {
            Worker w = new Worker(t % 2 == 0, "stall-" + set.family() + "-" + t);
            workers.add(w);
            w.start();
        }
    }

    void record() {
        recording = true;
    }

    void openWindow() {
        phase++;
    }

    void closeWindow() {
        phase++;
    }

    /**
     * Stops the workers and checks that the counters add up to the increments
     * done (a lost or doubled write would show).
     *
     * @return the sum of the counters minus the increments done: 0 if nothing was lost
     */
    long stop() throws InterruptedException {
        stop = true;
        for (Worker w : workers) {
            w.join(TimeUnit.SECONDS.toMillis(60));
            if (w.isAlive()) {
                throw new IllegalStateException(w.getName() + " did not stop within 60 s");
            }
        }
        long sum = 0;
        for (int i = 0; i < OBJECTS; i++) {
            sum += CounterOp.READ.apply(set, i, 0);
        }
        return sum - workers.stream().mapToLong(w -> w.increments).sum();
    }

    /** The latencies of the grab/put workers ({@code grab}) or of the get/put ones. */
    Latencies latencies(boolean grab) {
        Latencies f = new Latencies(Figures.histogram(), Figures.histogram(), new TreeMap<>());
        for (Worker w : workers) {
            if (w.grab == grab) {
                f.steady.add(w.steady);
                f.during.add(w.during);
                w.failures.forEach((k, v) -> f.failures.merge(k, v, Long::sum));
            }
        }
        return f;
    }

    private final class Worker extends Thread {
        final boolean grab;
        final Histogram steady = Figures.histogram();
        final Histogram during = Figures.histogram();
        final Map<String, Long> failures = new TreeMap<>();
        /** Every increment done, recorded or not: for the check of the counters. */
        long increments;

        Worker(boolean grab, String name) {
            super(name);
            this.grab = grab;
            setDaemon(true);
        }

        @Override
        public void run() {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (!stop) {
                int object = random.nextInt(OBJECTS);
                long before = phase;
                long t0 = System.nanoTime();
                try {
                    operation(object);
                } catch (RuntimeException e) {
                    if (recording) {
                        failures.merge(e.getClass().getSimpleName(), 1L, Long::sum);
                    }
                    continue;
                }
                long nanos = System.nanoTime() - t0;
                long after = phase;
                if (recording) {
                    // Overlapped a window: one was open when it began, or one opened or closed meanwhile.
                    ((before & 1) != 0 || after != before ? during : steady).recordValue(nanos);
                }
                LockSupport.parkNanos(PAUSE_NANOS);
            }
        }

        private void operation(int object) {
            if (grab) {
                CounterOp.ADD.apply(set, object, 1);
                increments++;
            } else {
                CounterOp.READ.apply(set, object, 0);
            }
        }
    }
}
