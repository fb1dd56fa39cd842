package io.kddm.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.HdrHistogram.Histogram;

/**
 * The figures of a benchmark run: one value per round for each named cell, and
 * their medians. A ratio between two systems is taken within each round (both
 * measured side by side) and its median reported, never a ratio of medians from
 * different rounds.
 */
final class Figures {
    private final Map<String, List<Double>> cells = new LinkedHashMap<>();

    void record(String cell, double value) {
        cells.computeIfAbsent(cell, k -> new ArrayList<>()).add(value);
    }

    /** Records, per round, {@code numerator / denominator} of this round's last figures. */
    void recordRatio(String cell, String numerator, String denominator) {
        record(cell, last(numerator) / last(denominator));
    }

    double last(String cell) {
        List<Double> v = values(cell);
        return v.get(v.size() - 1);
    }

    private List<Double> values(String cell) {
        List<Double> v = cells.get(cell);
        if (v == null || v.isEmpty()) {
            throw new IllegalStateException("no figure for " + cell);
        }
        return v;
    }

    double median(String cell) {
        return median(values(cell));
    }

    static double median(List<Double> values) {
        double[] s = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static Histogram histogram() {
        return new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
    }

    /** Polls {@code condition} until it holds, or fails after {@code limit}. */
    static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not within " + limit + ": " + what);
            }
            Thread.sleep(10);
        }
    }
}
