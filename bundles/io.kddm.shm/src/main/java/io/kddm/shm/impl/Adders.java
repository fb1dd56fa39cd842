package io.kddm.shm.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.kddm.shm.Segment;

/**
 * {@code shm:add}'s workload: threads adding to one word by getAndAdd or by
 * compareAndSet loops, and optionally a reader that checks the word never goes
 * back. Every operation can be written to a history file in the format of
 * {@code kddm:torture} ({@code I id object KIND argument time} then
 * {@code R id result time}; times in nanoseconds of the wall clock, one clock
 * for every node of a machine), so that the core's linearizability checker
 * can check the word: a getAndAdd and a successful compareAndSet(v, v + d) are
 * ADDs whose result is the new value, a read and a failed compareAndSet are
 * READs of the value found.
 */
final class Adders {
    private static final AtomicLong OPS = new AtomicLong();

    private final Segment segment;
    private final long offset;
    private final long delta;
    private final long times;
    private final Writer history;
    /** Operation ids of different processes apart: this JVM's pid in the high bits. */
    private final long idBase = ProcessHandle.current().pid() << 32;

    Adders(Segment segment, long offset, long delta, long times, Writer history) {
        this.segment = segment;
        this.offset = offset;
        this.delta = delta;
        this.times = times;
        this.history = history;
    }

    String run(int threads, String op, boolean watch) throws InterruptedException {
        segment.getLong(offset); // EINVAL (alignment, range) before any thread starts
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        AtomicLong last = new AtomicLong(Long.MIN_VALUE);
        AtomicLong made = new AtomicLong();
        AtomicLong casRetries = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> adders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            boolean cas = op.equals("cas") || op.equals("mixed") && t % 2 == 1;
            adders.add(start("shm-add-" + t, failure, () -> {
                for (long i = 0; i < times && failure.get() == null; i++) {
                    last.accumulateAndGet(cas ? casAdd(casRetries) : add(), Math::max);
                    made.incrementAndGet();
                }
            }));
        }
        long[] reads = new long[1];
        String[] seen = new String[1];
        Thread watcher = !watch ? null : start("shm-watch", failure, () -> {
            long before = Long.MIN_VALUE;
            long madeThen = -threads;
            while (!done.get() && failure.get() == null) {
                // One read per round of additions here: all along the run, and a history the checker can take.
                if (made.get() - madeThen < threads) {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                    continue;
                }
                madeThen = made.get();
                long v = read();
                reads[0]++;
                if (v < before) {
                    throw new IllegalStateException("the word at " + offset + " went back from " + before + " to "
                            + v + " (read " + reads[0] + ")");
                }
                before = v;
            }
            seen[0] = String.valueOf(before);
        });
        for (Thread t : adders) {
            t.join();
        }
        done.set(true);
        if (watcher != null) {
            watcher.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return "added " + delta + " " + threads + " x " + times + " times by " + op + ": final " + last.get()
                + (op.equals("add") ? "" : ", " + casRetries.get() + " compareAndSet retries")
                + (watch ? "; watched " + reads[0] + " reads, never went back (last " + seen[0] + ")" : "");
    }

    private static Thread start(String name, AtomicReference<RuntimeException> failure, Runnable work) {
        Thread t = new Thread(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }, name);
        t.start();
        return t;
    }

    /** One getAndAdd; the value it made. */
    private long add() {
        long at = now();
        long made = segment.getAndAdd(offset, delta) + delta;
        record("ADD", delta, made, at);
        return made;
    }

    /** compareAndSet until one succeeds; the value it made. */
    private long casAdd(AtomicLong retries) {
        long expected = read();
        while (true) {
            long at = now();
            long found = segment.compareAndExchange(offset, expected, expected + delta);
            if (found == expected) {
                record("ADD", delta, expected + delta, at);
                return expected + delta;
            }
            record("READ", 0, found, at); // a failed compareAndSet only read the word
            retries.incrementAndGet();
            expected = found;
        }
    }

    private long read() {
        long at = now();
        long v = segment.getLong(offset);
        record("READ", 0, v, at);
        return v;
    }

    // ---- history ------------------------------------------------------------------

    private static long now() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /**
     * One completed operation, written once it returned (with the time it was
     * invoked): an operation cut by a crash is missing rather than unknown, so
     * histories are for runs without one.
     */
    private void record(String kind, long argument, long result, long invoked) {
        if (history != null) {
            long id = idBase | OPS.incrementAndGet();
            line("I " + id + " " + offset + " " + kind + " " + argument + " " + invoked + "\nR " + id + " " + result
                    + " " + now());
        }
    }

    private void line(String text) {
        synchronized (history) {
            try {
                history.write(text);
                history.write('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

}
