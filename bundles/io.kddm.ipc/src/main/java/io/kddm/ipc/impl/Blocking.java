package io.kddm.ipc.impl;

import java.time.Duration;
import java.util.Optional;

import io.kddm.ipc.Errno;
import io.kddm.ipc.IpcException;

/**
 * The wait of a blocking call, event-driven: each round reads the object's
 * generation here ({@link Waits}), makes one attempt (which looks under a get,
 * leaving a read copy here, and registers the caller in the object's line if
 * it must wait), and sleeps until the generation moves, that is until another
 * node grabs the object (the core invalidates the copy here) or a grab of it
 * is released here. The sleep also ends after {@link #SAFETY_MS} for one more
 * look: a safety net for a copy dropped without the linker being told, not the
 * mechanism (tests count these re-checks). At the deadline a last attempt is
 * made under a grab, which either succeeds or takes the caller out of the line.
 */
final class Blocking {
    /** The longest sleep without a wake-up before one more look, by default. */
    static final long SAFETY_MS = 2_000;

    /** One attempt; {@code last}: the deadline passed, succeed now or leave the line. */
    interface Attempt<T> {
        Optional<T> run(boolean last);
    }

    private final Waits waits;
    private final long safetyMs;
    /** Sleeps that ended by the safety net rather than a wake-up (for tests and ipcs). */
    final java.util.concurrent.atomic.LongAdder safetyRechecks = new java.util.concurrent.atomic.LongAdder();

    Blocking(Waits waits, long safetyMs) {
        this.waits = waits;
        this.safetyMs = safetyMs;
    }

    /**
     * Runs {@code attempt} until it succeeds, fails, or the timeout passes.
     * {@code leave} takes the caller out of the object's line if it is in it: run
     * when an attempt fails (a permission changed, a kDDM error), so that a
     * caller gone does not hold the line until its deadline.
     */
    <T> T await(long set, long object, Duration timeout, Attempt<T> attempt, Runnable leave, String what) {
        try {
            return loop(set, object, timeout, attempt, what);
        } catch (RuntimeException failed) {
            try {
                leave.run();
            } catch (RuntimeException alsoFailed) {
                failed.addSuppressed(alsoFailed); // its place lapses at its deadline, or when its node goes
            }
            throw failed;
        }
    }

    private <T> T loop(long set, long object, Duration timeout, Attempt<T> attempt, String what) {
        long start = System.nanoTime();
        long limit = timeout.isNegative() ? 0 : saturated(timeout);
        while (true) {
            long generation = waits.generation(set, object);
            Optional<T> done = attempt.run(false);
            if (done.isPresent()) {
                return done.get();
            }
            long left = limit - (System.nanoTime() - start);
            if (left <= 0) {
                return attempt.run(true).orElseThrow(() -> new IpcException(Errno.EAGAIN, what + ": still waiting after "
                        + timeout.toMillis() + " ms"));
            }
            try {
                long millis = Math.max(1, Math.min(safetyMs, (left + 999_999) / 1_000_000));
                if (!waits.await(set, object, generation, millis) && millis == safetyMs) {
                    safetyRechecks.increment();
                }
            } catch (InterruptedException e) {
                // The last attempt leaves the line; it grabs, which an interrupted thread could not: the
                // interrupt is kept for after it.
                Optional<T> last;
                try {
                    last = attempt.run(true);
                } finally {
                    Thread.currentThread().interrupt();
                }
                if (last.isPresent()) {
                    return last.get();
                }
                throw new IpcException(Errno.EINTR, what + ": interrupted while waiting (its place in line is given up)");
            }
        }
    }

    static long saturated(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** The wall-clock deadline of a wait of {@code timeout} from now, ms. */
    static long deadline(Duration timeout) {
        long ms;
        try {
            ms = timeout.toMillis();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE / 2;
        }
        return ms > Long.MAX_VALUE / 4 ? Long.MAX_VALUE / 2 : System.currentTimeMillis() + ms;
    }
}
