package io.kddm.impl.shell;

import java.time.Duration;
import java.util.Locale;

/** Short human forms of durations for shell output. */
final class Durations {
    private Durations() {
    }

    static String of(Duration d) {
        long nanos = d.toNanos();
        if (nanos < 1_000_000) {
            return String.format(Locale.ROOT, "%d us", nanos / 1000);
        }
        if (nanos < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
