package io.kddm.impl.core;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's memory budget: the bytes of the object copies it holds, and when
 * to flush some. Crossing the limit starts one flushing pass, which works down
 * to 90 % of the limit, least recently used first, so that a node at the limit
 * does not flush on every operation.
 * <p>
 * It is a soft limit: objects held, in motion or waited for are never flushed,
 * and an owned object stays when no other node can take it (see
 * {@link Eviction#evict}).
 */
final class MemoryBudget {
    private volatile long limit;
    private final AtomicLong held = new AtomicLong();
    private final AtomicBoolean flushing = new AtomicBoolean();
    /** After a pass that freed too little: no new pass until the node holds more than this. */
    private volatile long retryAbove;

    /** @param limit bytes; 0 for none */
    MemoryBudget(long limit) {
        limit(limit);
    }

    /** A new limit, bytes (0 for none): a pass after a fruitless one is no longer held back. */
    void limit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("memory budget must be >= 0 bytes, not " + bytes);
        }
        limit = bytes;
        retryAbove = 0;
    }

    long limit() {
        return limit;
    }

    long held() {
        return held.get();
    }

    /** Accounts for a copy whose bytes changed from {@code before} to {@code after} (either may be null). */
    void changed(byte[] before, byte[] after) {
        long delta = (after == null ? 0 : after.length) - (before == null ? 0 : before.length);
        if (delta != 0) {
            held.addAndGet(delta);
        }
    }

    /**
     * Whether a flushing pass should start now; if so, the caller must call
     * {@link #passDone}. After a pass that could not free enough (nothing idle,
     * no other node up), the next starts only once the node holds a tenth of the
     * limit more, or has been under the limit: else every write over the limit
     * would scan every object again for nothing.
     */
    boolean startPass() {
        if (limit == 0) {
            return false;
        }
        long h = held.get();
        if (h <= limit) {
            if (retryAbove != 0) {
                retryAbove = 0;
            }
            return false;
        }
        return h > retryAbove && flushing.compareAndSet(false, true);
    }

    /** @param freedEnough whether the pass brought the node down to its target */
    void passDone(boolean freedEnough) {
        retryAbove = freedEnough ? 0 : held.get() + limit / 10;
        flushing.set(false);
    }
}
