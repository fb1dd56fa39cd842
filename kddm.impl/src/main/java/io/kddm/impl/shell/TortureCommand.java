package io.kddm.impl.shell;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.membership.Membership;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.OperationTimeoutException;
import io.kddm.api.set.OutcomeUnknownException;
import io.kddm.api.set.SetIds;

/**
 * {@code kddm:torture}: a self-test for a running cluster. Several threads do
 * random get (read) and grab (write a unique value, or add 1) on a few objects of
 * a well-known set, and every operation is written to a history file as it
 * happens, for a linearizability checker:
 * <pre>
 *   I id object READ|WRITE|ADD argument time   before the call
 *   R id result time                           after it returned
 *   F id reason                                it failed with a kDDM error (it did not take effect)
 *   U id reason                                its put failed after a backup may have kept it (unknown)
 * </pre>
 * Times are wall-clock nanoseconds, comparable between JVMs on one machine. An
 * operation with an I line and nothing else was cut by a crash: its outcome is
 * unknown. Participants meet at a start and an end barrier (counters in the same
 * set), so that no node leaves while others still use the objects it is home of.
 */
@Component(service = TortureCommand.class, property = {"osgi.command.scope=kddm",
    "osgi.command.function=torture"})
public final class TortureCommand {
    private static final long WAIT_NANOS = 60_000_000_000L;
    private final Kddm kddm;
    private final Membership membership;

    @Activate
    public TortureCommand(@Reference Kddm kddm, @Reference Membership membership) {
        this.kddm = kddm;
        this.membership = membership;
    }

    @Descriptor("random get/grab on objects of a well-known set from several threads; writes the history to a file")
    public String torture(
            @Descriptor("well-known set number (node bits 0)") @Parameter(names = "--set", absentValue = "7") long set,
            @Descriptor("family of the set (homes must be NODE_BITS or LINKER)")
            @Parameter(names = "--family", absentValue = "demo-nodebits") String family,
            @Descriptor("object ids, comma separated") @Parameter(names = "--objects",
                    absentValue = "16777216,33554432,50331648") String objects,
            @Descriptor("threads") @Parameter(names = "--threads", absentValue = "4") int threads,
            @Descriptor("operations per thread") @Parameter(names = "--ops", absentValue = "500") int ops,
            @Descriptor("random seed") @Parameter(names = "--seed", absentValue = "1") long seed,
            @Descriptor("nodes taking part (for the barriers)") @Parameter(names = "--participants",
                    absentValue = "1") int participants,
            @Descriptor("object id of the first of three barrier counters") @Parameter(names = "--barrier",
                    absentValue = "33554429") long barrier,
            @Descriptor("only increments (a counter test): the end result is exact")
            @Parameter(names = "--only-add", presentValue = "true", absentValue = "false") boolean onlyAdd,
            @Descriptor("ms a thread waits after an operation failed, as a client backs off (0: none)")
            @Parameter(names = "--backoff", absentValue = "0") long backoff,
            @Descriptor("history file") String file) throws Exception {
        if (threads < 1 || ops < 1 || participants < 1 || backoff < 0) {
            throw new IllegalArgumentException("--threads, --ops and --participants must be at least 1, --backoff >= 0");
        }
        List<Long> ids = objectIds(objects);
        KddmSet s = kddm.wellKnown(SetIds.of(0, set), family);
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong unknown = new AtomicLong();
        AtomicLong opIds = new AtomicLong();
        int node = kddm.localNode();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        String sum;
        // Everything that can fail on this node alone (the arguments, the file) is checked before
        // the first barrier; once there, this node arrives at the others whatever happens, so
        // that they never wait the full minute for it.
        try (Writer out = Files.newBufferedWriter(Path.of(file), StandardCharsets.UTF_8)) {
            arrive(s, barrier, participants, false);
            try {
                // The checker takes every object to start at 0, and the barriers too.
                if (CounterOp.READ.apply(s, barrier + 2, 0) != 0) {
                    throw new IllegalArgumentException("well-known set " + set
                            + " was already used by a torture run: pass another --set");
                }
                List<Thread> all = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    Thread th = new Thread(() -> {
                        try {
                            work(s, node, thread, ops, ids, seed, onlyAdd, backoff, out, opIds, done, failed, unknown);
                        } catch (RuntimeException | Error e) {
                            unexpected.add(e);
                        }
                    }, "torture-" + t);
                    all.add(th);
                    th.start();
                }
                for (Thread th : all) {
                    th.join();
                }
            } finally {
                arrive(s, barrier + 1, participants, true);
            }
            try {
                sum = "sum " + sum(s, ids);
            } catch (KddmException e) {
                sum = "sum unknown (" + e.getMessage() + ")";
            } finally {
                // Nobody leaves (taking its homes along) before everyone has read the sum.
                arrive(s, barrier + 2, participants, true);
            }
        }
        if (!unexpected.isEmpty()) {
            // Not a kDDM error: the run is broken, not just unlucky. Its history is incomplete.
            IllegalStateException e = new IllegalStateException("torture: " + unexpected.size()
                    + " threads died of an unexpected error", unexpected.get(0));
            unexpected.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
        return "torture: " + done.get() + " operations completed, " + failed.get() + " failed with a kDDM error, "
                + unknown.get() + " of unknown outcome; " + sum;
    }

    private static List<Long> objectIds(String objects) {
        List<Long> ids = new ArrayList<>();
        for (String o : objects.split(",")) {
            long id;
            try {
                id = Long.decode(o.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--objects: '" + o.trim() + "' is not an object id");
            }
            if (id < 0 || id > KddmSet.MAX_OBJECT_ID) {
                throw new IllegalArgumentException("--objects: " + id + " is not in 0.." + KddmSet.MAX_OBJECT_ID);
            }
            ids.add(id);
        }
        return ids;
    }

    private static long sum(KddmSet s, List<Long> ids) {
        long total = 0;
        for (long id : ids) {
            total += CounterOp.READ.apply(s, id, 0);
        }
        return total;
    }

    private static long now() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private static void write(Writer out, String line) {
        synchronized (out) {
            try {
                out.write(line);
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static void work(KddmSet s, int node, int thread, int ops, List<Long> ids, long seed, boolean onlyAdd,
            long backoff, Writer out, AtomicLong opIds, AtomicLong done, AtomicLong failed, AtomicLong unknown) {
        Random r = new Random(seed * 7919 + node * 1000L + thread);
        for (int i = 0; i < ops; i++) {
            long object = ids.get(r.nextInt(ids.size()));
            int pick = r.nextInt(10);
            CounterOp kind = onlyAdd ? CounterOp.ADD
                    : pick < 4 ? CounterOp.READ : pick < 7 ? CounterOp.WRITE : CounterOp.ADD;
            long argument = kind == CounterOp.WRITE ? node * 1_000_000_000L + thread * 1_000_000L + i
                    : kind == CounterOp.ADD ? 1 : 0;
            long id = ((long) node << 40) | opIds.incrementAndGet();
            write(out, "I " + id + " " + object + " " + kind + " " + argument + " " + now());
            try {
                long result = kind.apply(s, object, argument);
                write(out, "R " + id + " " + result + " " + now());
                done.incrementAndGet();
            } catch (KddmException e) {
                boolean maybe = e instanceof OutcomeUnknownException;
                write(out, (maybe ? "U " : "F ") + id + " " + e.getClass().getSimpleName());
                (maybe ? unknown : failed).incrementAndGet();
                if (backoff > 0) {
                    try {
                        Thread.sleep(backoff);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    /**
     * Adds one to a counter, then waits until every participant has, or (when
     * {@code deadMayMiss}: at the end) every participant still up.
     *
     * @throws OperationTimeoutException if they have not within a minute
     */
    private void arrive(KddmSet s, long counter, int participants, boolean deadMayMiss)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (true) {
            try {
                CounterOp.ADD.apply(s, counter, 1);
                break;
            } catch (KddmException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50); // the counter's home may not be up yet
            }
        }
        long arrived = 0;
        long needed = participants;
        while (System.nanoTime() < deadline) {
            long up = membership.nodes().stream().filter(n -> n.state().isUp()).count();
            needed = deadMayMiss ? Math.min(participants, up) : participants;
            try {
                arrived = CounterOp.READ.apply(s, counter, 0);
                if (arrived >= needed) {
                    return;
                }
            } catch (KddmException e) {
                if (deadMayMiss) {
                    return; // the barrier's home is gone: nobody else can be waited for
                }
            }
            Thread.sleep(20);
        }
        throw new OperationTimeoutException("barrier " + counter + ": " + arrived + " of " + needed
                + " participants arrived within " + WAIT_NANOS / 1_000_000_000L + " s");
    }
}
