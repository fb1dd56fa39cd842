package io.kddm.impl.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Operations on 64-bit register objects as clients saw them: what they invoked,
 * what came back, and when (one clock for every recorder).
 */
public final class History {
    public enum Kind { READ, WRITE, ADD }

    /**
     * @param object   which object
     * @param kind     the operation
     * @param argument WRITE's value, ADD's delta
     * @param result   READ's and ADD's result
     * @param invoke   when it was called
     * @param response when it returned; {@link Long#MAX_VALUE} if its outcome is unknown (it failed)
     */
    public record Op(long object, Kind kind, long argument, long result, long invoke, long response) {
        boolean unknown() {
            return response == Long.MAX_VALUE;
        }
    }

    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();

    private final java.util.concurrent.atomic.AtomicLong added = new java.util.concurrent.atomic.AtomicLong();
    private volatile long holdAt = Long.MAX_VALUE;
    private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);

    public void add(Op op) {
        ops.add(op);
        if (added.incrementAndGet() >= holdAt) {
            try { // bounded: a test that never releases still ends
                released.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * From the {@code n}th completed operation on, whoever adds one waits for
     * {@link #release()}: a fault injected then lands mid-run whatever the
     * scheduling (a thread descheduled for a while let a whole node's run end).
     */
    public void holdAt(long n) {
        holdAt = n;
    }

    public void release() {
        released.countDown();
    }

    /**
     * An operation that failed with a kDDM error. A get or grab fails only before
     * it is granted, and a client changes an object only while it holds a grab,
     * so such an operation did not take effect: it is left out.
     */
    public void failed() {
        failures.incrementAndGet();
    }

    /** An operation whose outcome is unknown (its node died while it ran): it may or may not have happened. */
    public void unknown(long object, Kind kind, long argument, long invoke) {
        if (kind != Kind.READ) {
            ops.add(new Op(object, kind, argument, 0, invoke, Long.MAX_VALUE));
        }
    }

    public long failures() {
        return failures.get();
    }

    /** Operations recorded so far. */
    public int size() {
        return ops.size();
    }

    public Map<Long, List<Op>> byObject() {
        Map<Long, List<Op>> out = new TreeMap<>();
        for (Op op : ops) {
            out.computeIfAbsent(op.object(), k -> new ArrayList<>()).add(op);
        }
        return out;
    }

    /** Reads the files {@code kddm:torture} writes: I/R/F/U lines; an I alone (cut by a crash) or with a U is of unknown outcome. */
    public static History readTorture(Path... files) {
        History h = new History();
        for (Path f : files) {
            Map<Long, String[]> invoked = new java.util.HashMap<>();
            try {
                for (String line : Files.readAllLines(f)) {
                    String[] w = line.trim().split(" ");
                    if (w.length < 2) {
                        continue; // a line cut by a kill
                    }
                    long id = Long.parseLong(w[1]);
                    switch (w[0]) {
                        case "I" -> {
                            if (w.length == 6) {
                                invoked.put(id, w);
                            }
                        }
                        case "R" -> {
                            if (w.length != 4) {
                                continue; // cut by a kill: the operation stays unknown
                            }
                            String[] i = invoked.remove(id);
                            h.add(new Op(Long.parseLong(i[2]), Kind.valueOf(i[3]), Long.parseLong(i[4]),
                                    Long.parseLong(w[2]), Long.parseLong(i[5]), Long.parseLong(w[3])));
                        }
                        case "F" -> {
                            invoked.remove(id);
                            h.failed();
                        }
                        case "U" -> {
                            // its put failed after a backup may have kept it: stays unknown, as if cut
                        }
                        default -> throw new IllegalArgumentException("bad history line in " + f + ": " + line);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (String[] i : invoked.values()) {
                h.unknown(Long.parseLong(i[2]), Kind.valueOf(i[3]), Long.parseLong(i[4]), Long.parseLong(i[5]));
            }
        }
        return h;
    }
}
