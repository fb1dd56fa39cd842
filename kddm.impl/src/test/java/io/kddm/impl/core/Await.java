package io.kddm.impl.core;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waits for the tests: a condition that does not come within 10 s fails the test, never hangs it. */
public final class Await {
    private static final long LIMIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private Await() {
    }

    public static void until(String what, BooleanSupplier condition) throws InterruptedException {
        until(() -> what, condition);
    }

    /** @param what the failure's message, made when it fails (so it shows the state then) */
    public static void until(Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + LIMIT_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what.get());
            }
            Thread.sleep(5);
        }
    }
}
