package io.kddm.health.impl;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * How much a counter that only grows (from 0 at the node's start) grew over the
 * last {@code window}: the check keeps its readings, and the last one taken at or
 * before the window's start is the baseline. Without one (the check has not been
 * looking for a whole window) the baseline is 0: what happened since the start
 * counts as recent, as nobody can tell when it happened.
 */
final class CounterWindow {
    private record Reading(long nanos, long value) {
    }

    private final long windowNanos;
    private final Deque<Reading> readings = new ArrayDeque<>();

    CounterWindow(long windowNanos) {
        this.windowNanos = windowNanos;
    }

    /** Records {@code value}, read at {@code nanos}, and returns how much it grew over the window before. */
    synchronized long grew(long nanos, long value) {
        long start = nanos - windowNanos;
        while (readings.size() >= 2 && second().nanos <= start) {
            readings.removeFirst();
        }
        Reading first = readings.peekFirst();
        long base = first != null && first.nanos <= start ? first.value : 0;
        readings.addLast(new Reading(nanos, value));
        return Math.max(0, value - base);
    }

    private Reading second() {
        Iterator<Reading> it = readings.iterator();
        it.next();
        return it.next();
    }
}
