package io.kddm.impl.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.impl.core.History.Kind;
import io.kddm.impl.shell.CounterOp;

/**
 * Random get/grab on a few hot objects from several threads, recorded in a
 * {@link History}: reads (get), writes of unique values and increments (grab).
 */
public final class Workload {
    /** How the run went. */
    public record Outcome(long completed, long failed, List<Throwable> unexpected, List<String> firstFailures) {
        /** The unexpected failures with their stack traces: a rare one must say where it came from. */
        public String traces() {
            java.io.StringWriter w = new java.io.StringWriter();
            for (Throwable t : unexpected) {
                t.printStackTrace(new java.io.PrintWriter(w, true));
            }
            return w.toString();
        }
    }

    private Workload() {
    }


    /**
     * Runs {@code threads} threads on {@code set}, each doing {@code ops} random operations.
     *
     * @param objects  the object ids to pick from
     * @param node     a tag for unique written values
     * @param clock    the clock of the history (nanoTime in one JVM, wall-clock nanos across JVMs)
     * @param crashed  true once the node is taken to be crashed: threads stop, and an operation
     *                 that completes from then on is recorded as of unknown outcome
     */
    public static Outcome run(KddmSet set, int node, int threads, int ops, long[] objects, long seed, History history,
            LongSupplier clock, BooleanSupplier crashed) throws InterruptedException {
        AtomicLong completed = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        List<Throwable> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> firstFailures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread th = new Thread(() -> {
                Random r = new Random(seed * 31 + node * 1000 + thread);
                for (int i = 0; i < ops && !crashed.getAsBoolean(); i++) {
                    long object = objects[r.nextInt(objects.length)];
                    int pick = r.nextInt(10);
                    Kind kind = pick < 4 ? Kind.READ : pick < 7 ? Kind.WRITE : Kind.ADD;
                    long argument = kind == Kind.WRITE ? (node * 1_000_000_000L + thread * 1_000_000L + i)
                            : kind == Kind.ADD ? 1 : 0;
                    long invoke = clock.getAsLong();
                    try {
                        long result = CounterOp.valueOf(kind.name()).apply(set, object, argument);
                        if (crashed.getAsBoolean()) {
                            history.unknown(object, kind, argument, invoke);
                        } else {
                            history.add(new History.Op(object, kind, argument, result, invoke, clock.getAsLong()));
                            completed.incrementAndGet();
                        }
                    } catch (KddmException e) {
                        if (crashed.getAsBoolean() || e instanceof io.kddm.api.set.OutcomeUnknownException) {
                            // Cut off by the crash, or a put that failed after a backup may have kept it:
                            // the write may have taken effect, so its outcome is unknown, not failed.
                            history.unknown(object, kind, argument, invoke);
                            continue;
                        }
                        history.failed();
                        if (failed.incrementAndGet() <= 5) {
                            firstFailures.add(kind + " of object " + object + " on node " + node + ": " + e);
                        }
                    } catch (RuntimeException | Error e) {
                        unexpected.add(e);
                        return;
                    }
                }
            }, "workload-" + node + "-" + t);
            th.setDaemon(true); // a caller that gave up waiting (bounded) leaves no thread keeping the JVM
            all.add(th);
            th.start();
        }
        for (Thread th : all) {
            th.join();
        }
        return new Outcome(completed.get(), failed.get(), unexpected, List.copyOf(firstFailures));
    }
}
