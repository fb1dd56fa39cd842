package io.kddm.ipc.impl;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The wake-ups of this node's waiters: a generation per object, bumped by the
 * IO linker whenever the object may have changed under this node's feet (its
 * local copy invalidated because another node grabs it, a grab released here,
 * the object removed). A waiter reads the generation <em>before</em> it looks
 * at the object (under a get, which leaves a read copy here, so that the next
 * writer anywhere must invalidate it), and sleeps until the generation moves:
 * no change between its look and its sleep can be missed.
 */
final class Waits {
    private record Key(long set, long object) {
    }

    private static final class Generation {
        long value;
    }

    private final Map<Key, Generation> generations = new ConcurrentHashMap<>();

    private Generation of(long set, long object) {
        return generations.computeIfAbsent(new Key(set, object), k -> new Generation());
    }

    /** The object's generation here now. */
    long generation(long set, long object) {
        Generation g = of(set, object);
        synchronized (g) {
            return g.value;
        }
    }

    /**
     * The object may have changed: every local waiter on it wakes up. An object
     * nobody here ever waited on has no generation and gets none (a waiter makes
     * it when it reads it, before it looks at the object, so it misses nothing).
     */
    void changed(long set, long object) {
        Generation g = generations.get(new Key(set, object));
        if (g == null) {
            return;
        }
        synchronized (g) {
            g.value++;
            g.notifyAll();
        }
    }

    /** Sleeps until the generation is no longer {@code seen}, or {@code millis} passed; true if it moved. */
    boolean await(long set, long object, long seen, long millis) throws InterruptedException {
        Generation g = of(set, object);
        long deadline = System.nanoTime() + millis * 1_000_000L;
        synchronized (g) {
            while (g.value == seen) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return false;
                }
                g.wait(left);
            }
            return true;
        }
    }

    /** Forgets an object (removed for good). */
    void forget(long set, long object) {
        changed(set, object);
        generations.remove(new Key(set, object));
    }
}
