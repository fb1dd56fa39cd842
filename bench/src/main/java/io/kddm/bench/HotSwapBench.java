package io.kddm.bench;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.HdrHistogram.Histogram;
import org.osgi.framework.Bundle;

import io.kddm.api.linker.SetFamily;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmSet;

/**
 * How long kDDM operations stall while a linker bundle is hot-updated: one
 * node in an embedded Felix framework running the runtime's real bundles;
 * workers grab and get objects of a set of the bundle's family while the
 * bundle is updated ({@code Bundle.update}, to a rewritten version) a few
 * times, a second apart. Operations that overlapped an update window (from
 * the update call until the bundle's services are registered again) are told
 * apart from the others of the same run.
 */
public final class HotSwapBench {
    /** A linker bundle, the family of the set its workload uses. */
    private record Target(String bundle, String family) {
    }

    private static final List<Target> TARGETS = List.of(new Target("io.kddm.linker.memory", "demo"),
            new Target("io.kddm.linker.file", "file"));

    /** What one target's run measured. */
    private record Result(Target target, int updates, StallWorkload.Latencies grabs, StallWorkload.Latencies gets,
            Histogram updateCall, Histogram window, long linkerWaits, long counterError) {
    }

    private final int updates;
    private final long gapMillis;
    private String frameworkVersion;

    private HotSwapBench(boolean quick) {
        this.updates = quick ? 2 : 10;
        this.gapMillis = quick ? 500 : 1000;
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args);
        HotSwapBench b = new HotSwapBench(a.quick());
        List<Result> results = new ArrayList<>();
        try (Scratch scratch = new Scratch("hotswap");
                FelixNode node = new FelixNode(BenchArgs.buildDir().resolve("bundles"), scratch.dir, 1)) {
            b.frameworkVersion = node.frameworkVersion();
            for (Target t : TARGETS) {
                results.add(b.run(node, t));
            }
        }
        String table = b.table(results);
        System.out.println(table);
        a.writeSection("hotswap", "Operations during a hot update of a linker bundle (issue 4)", "bench/run hotswap",
                table);
    }

    private Result run(FelixNode node, Target t) throws Exception {
        String familyFilter = "(kddm.family=" + t.family + ")";
        Figures.await("family " + t.family, Duration.ofSeconds(30),
                () -> node.hasService(SetFamily.class.getName(), familyFilter));
        Kddm kddm = node.kddm();
        KddmSet set = kddm.create(t.family);
        StallWorkload w = new StallWorkload(set);
        Thread.sleep(gapMillis); // warm-up, not recorded
        w.record();
        Thread.sleep(gapMillis);
        Bundle bundle = node.bundle(t.bundle);
        String version = bundle.getVersion().toString();
        int services = bundle.getRegisteredServices().length;
        long waitsBefore = linkerWaits(node);
        Histogram call = Figures.histogram();
        Histogram window = Figures.histogram();
        for (int u = 1; u <= updates; u++) {
            byte[] jar = FelixNode.rebuilt(bundle, version + "_update" + u); // made before the window opens
            w.openWindow();
            long t0 = System.nanoTime();
            bundle.update(new ByteArrayInputStream(jar));
            long t1 = System.nanoTime();
            long deadline = t1 + TimeUnit.SECONDS.toNanos(30);
            while (registered(bundle) < services) { // polled tightly: the window's end is a figure
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(t.bundle + "'s services did not come back within 30 s");
                }
                LockSupport.parkNanos(50_000);
            }
            long t2 = System.nanoTime();
            w.closeWindow();
            call.recordValue(t1 - t0);
            window.recordValue(t2 - t0);
            System.err.printf(Locale.ROOT, "%s update %d: call %.1f ms, services back after %.1f ms%n", t.bundle, u,
                    (t1 - t0) / 1e6, (t2 - t0) / 1e6);
            Thread.sleep(gapMillis);
        }
        long counterError = w.stop();
        long waits = linkerWaits(node) - waitsBefore;
        kddm.destroy(set.id());
        return new Result(t, updates, w.latencies(true), w.latencies(false), call, window, waits, counterError);
    }

    private static int registered(Bundle bundle) {
        var refs = bundle.getRegisteredServices();
        return refs == null ? 0 : refs.length;
    }

    /** kDDM's count of operations that waited for a family or IO linker being updated (kddm:stats). */
    private static long linkerWaits(FelixNode node) throws Exception {
        String stats = node.command("kddm:stats");
        Matcher m = Pattern.compile("waits for an updated linker\\s+(\\d+)").matcher(stats);
        if (!m.find()) {
            throw new IllegalStateException("kddm:stats has no linker waits row:\n" + stats);
        }
        return Long.parseLong(m.group(1));
    }

    private String table(List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "One node: Apache Felix %s embedded in the benchmark's JVM, running the "
                + "runtime's bundles (SCR, Config Admin, File Install, Gogo, MINA, the kDDM core and both linker "
                + "bundles), configured through File Install; the benchmark gets the `Kddm` service (the API "
                + "packages are exported by the system bundle). For each linker bundle: a set of its family, %d "
                + "objects; %d threads grab+put (incrementing an 8-byte counter) and %d get+put, on random objects, "
                + "pausing %d us between operations; after %.0f s of warm-up and as long of steady state, "
                + "`Bundle.update()` of the linker bundle to a jar whose manifest version is rewritten (as a second "
                + "build), %d times, %.0f s apart. An operation is *during an update* if it overlapped a window "
                + "from the `update` call until the bundle's services are registered again; all other recorded "
                + "operations are *steady*. Operations are local (one node): what is measured is the gap the "
                + "update leaves, during which get and grab wait for the family or IO linker (`linker.grace.ms`, "
                + "default 5 s): an operation that finds it gone waits until the new bundle registers it, so its "
                + "wait is bounded by the update; most operations that overlap a window ran before the old "
                + "services went or after the new ones came. With about a hundred operations during updates, their "
                + "p99 is close to their maximum. Felix registers the new services before `update()` returns, so "
                + "the window is the call's duration.%n%n", frameworkVersion, StallWorkload.OBJECTS,
                StallWorkload.THREADS_PER_KIND, StallWorkload.THREADS_PER_KIND, StallWorkload.PAUSE_NANOS / 1000,
                gapMillis / 1000.0, updates, gapMillis / 1000.0));
        b.append("| linker bundle updated | operation | when | operations | p50 (us) | p99 (us) | max (ms) "
                + "| p99 ratio to steady |\n");
        b.append("|---|---|---|---:|---:|---:|---:|---:|\n");
        String longest = "";
        long longestNanos = -1;
        for (Result r : results) {
            String name = r.target.bundle + " (`" + r.target.family + "`)";
            row(b, name, "grab+put", r.grabs);
            row(b, "", "get+put", r.gets);
            for (boolean grab : new boolean[] {true, false}) {
                long max = (grab ? r.grabs : r.gets).during().getMaxValue();
                if (max > longestNanos) {
                    longestNanos = max;
                    longest = (grab ? "grab+put" : "get+put") + " during an update of " + r.target.bundle;
                }
            }
        }
        b.append(String.format(Locale.ROOT, "%nLongest stall: %.1f ms, a %s.%n", longestNanos / 1e6, longest));
        b.append("\n| linker bundle updated | updates | `update()` call p50 / max (ms) | window, until its services "
                + "are back, p50 / max (ms) | operations that waited for the new linker (kddm:stats) "
                + "| failed operations | counters add up |\n");
        b.append("|---|---:|---:|---:|---:|---|---|\n");
        for (Result r : results) {
            Map<String, Long> failed = new TreeMap<>(r.grabs.failures());
            r.gets.failures().forEach((k, v) -> failed.merge(k, v, Long::sum));
            b.append(String.format(Locale.ROOT, "| %s | %d | %.1f / %.1f | %.1f / %.1f | %d | %s | %s |%n",
                    r.target.bundle, r.updates, ms(r.updateCall, 50), r.updateCall.getMaxValue() / 1e6,
                    ms(r.window, 50), r.window.getMaxValue() / 1e6, r.linkerWaits,
                    failed.isEmpty() ? "none" : failed.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                            .collect(Collectors.joining(", ")),
                    r.counterError == 0 ? "yes" : "**no**, off by " + r.counterError));
        }
        return b.toString();
    }

    private static void row(StringBuilder b, String bundle, String op, StallWorkload.Latencies l) {
        double steadyP99 = l.steady().getValueAtPercentile(99);
        for (boolean during : new boolean[] {false, true}) {
            Histogram h = during ? l.during() : l.steady();
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %,d | %.1f | %.1f | %.2f | %s |%n",
                    during ? "" : bundle, during ? "" : op, during ? "during an update" : "steady",
                    h.getTotalCount(), h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                    h.getMaxValue() / 1e6,
                    !during ? "(reference)" : h.getTotalCount() == 0 ? "-"
                            : ratio(h.getValueAtPercentile(99) / steadyP99)));
        }
    }

    private static String ratio(double x) {
        return String.format(Locale.ROOT, x >= 100 ? "%.0f x" : "%.1f x", x);
    }

    private static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1e6;
    }
}
