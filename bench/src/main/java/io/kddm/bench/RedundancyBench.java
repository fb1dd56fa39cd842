package io.kddm.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import org.HdrHistogram.Histogram;

import com.hazelcast.map.IMap;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.impl.shell.CounterOp;
import io.kddm.linker.memory.NodeBitsDemoFamily;
import io.kddm.linker.memory.RedundantDemoFamily;

/**
 * What a backup costs (issue 14): kDDM grab+put with no backup
 * ({@code demo-nodebits}) and one synchronous backup ({@code demo-r2}, the same
 * homes), next to Hazelcast maps with backup-count 0 and 1, on the same
 * workloads, in one run: a put by the owner alone, one hot object and 1000
 * objects incremented from 3 nodes x 4 threads, a remote get.
 */
public final class RedundancyBench {
    private static final int NODES = 3;
    private static final int THREADS = 4;
    private static final int[] KEYS = {1, 1000};

    private final Figures f = new Figures();
    private final int puts;
    private final int objects;
    private final long warmupMillis;
    private final long windowMillis;

    private RedundancyBench(boolean quick) {
        this.puts = quick ? 2_000 : 10_000;
        this.objects = quick ? 1_000 : 5_000;
        this.warmupMillis = quick ? 200 : 500;
        this.windowMillis = quick ? 1_000 : 3_000;
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args);
        int rounds = a.rounds(3);
        RedundancyBench b = new RedundancyBench(a.quick());
        try (KddmCluster kddm = new KddmCluster(NODES); HazelcastCluster hz0 = new HazelcastCluster(NODES, 0);
                HazelcastCluster hz1 = new HazelcastCluster(NODES, 1)) {
            Echo.serve(kddm.transport(2));
            for (int r = 0; r < rounds; r++) {
                System.err.printf("round %d of %d%n", r + 1, rounds);
                b.kddm(kddm, NodeBitsDemoFamily.NAME, "0");
                b.kddm(kddm, RedundantDemoFamily.NAME, "1");
                b.kddm(kddm, KddmCluster.VISIBLE, "v");
                b.hazelcast(hz0, "0", r);
                b.hazelcast(hz1, "1", r);
                b.ratios();
            }
        }
        String table = b.table(rounds);
        System.out.println(table);
        a.writeSection("redundancy", "What a backup costs: kDDM vs Hazelcast 5, 0 and 1 backup (issue 14)",
                "bench/run redundancy", table);
        System.exit(0); // Hazelcast leaves non-daemon threads behind for a while after shutdown
    }

    private void ratios() {
        f.recordRatio("put +rtt", "put us kddm 1 minus 0", "rtt us");
        for (int keys : KEYS) {
            f.recordRatio("lock x " + keys, "rate kddm 1 " + keys, "rate hz 1 " + keys);
            f.recordRatio("kddm keeps " + keys, "rate kddm 1 " + keys, "rate kddm 0 " + keys);
            f.recordRatio("hz keeps " + keys, "rate hz 1 " + keys, "rate hz 0 " + keys);
        }
    }

    private void kddm(KddmCluster c, String family, String backups) throws Exception {
        long setId = c.node(1).create(family).id();
        KddmSet[] sets = new KddmSet[NODES + 1];
        for (int n = 1; n <= NODES; n++) {
            sets[n] = c.set(n, setId);
        }
        // A put that changed the object, by its owner, nobody else holding it: node 1 homes and owns it.
        long mine = 1L << 24;
        Histogram put = Figures.histogram();
        for (int i = 0; i < puts + puts / 4; i++) {
            long s = System.nanoTime();
            CounterOp.ADD.apply(sets[1], mine, 1);
            if (i >= puts / 4) {
                put.recordValue(System.nanoTime() - s);
            }
        }
        record("put us kddm " + backups, put.getValueAtPercentile(50) / 1000.0);
        if (backups.equals("1")) {
            record("put us kddm 1 minus 0", f.last("put us kddm 1") - f.last("put us kddm 0"));
            Histogram rtt = Figures.histogram();
            for (int i = 0; i < puts; i++) {
                long s = System.nanoTime();
                Echo.call(c.transport(1), 2, new byte[16]);
                rtt.recordValue(System.nanoTime() - s);
            }
            record("rtt us", rtt.getValueAtPercentile(50) / 1000.0);
        }
        // Remote get: node 1 reads objects node 2 owns and homes, each once.
        for (int i = 0; i < objects; i++) {
            CounterOp.ADD.apply(sets[2], (2L << 24) | i, 1);
        }
        Histogram get = Figures.histogram();
        for (int i = 0; i < objects; i++) {
            long s = System.nanoTime();
            try (ObjectHandle h = sets[1].get((2L << 24) | i)) {
                h.value();
            }
            get.recordValue(System.nanoTime() - s);
        }
        record("get us kddm " + backups, get.getValueAtPercentile(50) / 1000.0);
        for (int keys : KEYS) {
            long base = keys == 1 ? 100 : 1_000; // round robin homes (node bits 0)
            record("rate kddm " + backups + " " + keys, rate("kddm " + backups + " backup, " + keys,
                    node -> k -> CounterOp.ADD.apply(sets[node], base + k, 1), keys, () -> {
                        long sum = 0;
                        for (int k = 0; k < keys; k++) {
                            sum += CounterOp.READ.apply(sets[1], base + k, 0);
                        }
                        return sum;
                    }));
        }
        c.node(1).destroy(setId);
    }

    private void hazelcast(HazelcastCluster c, String backups, int round) throws Exception {
        List<IMap<Integer, Long>> maps = new ArrayList<>();
        for (int m = 1; m <= NODES; m++) {
            maps.add(c.map(m, "redundancy-" + round));
        }
        IMap<Integer, Long> one = maps.get(0);
        int mine = c.keysOwnedBy(1, 0, 1).get(0);
        one.set(mine, 0L);
        Histogram put = Figures.histogram();
        for (int i = 0; i < puts + puts / 4; i++) {
            long s = System.nanoTime();
            lockedIncrement(one, mine);
            if (i >= puts / 4) {
                put.recordValue(System.nanoTime() - s);
            }
        }
        record("put us hz " + backups, put.getValueAtPercentile(50) / 1000.0);
        List<Integer> remote = c.keysOwnedBy(2, 1_000_000, objects);
        for (int k : remote) {
            maps.get(1).set(k, 1L);
        }
        Histogram get = Figures.histogram();
        for (int k : remote) {
            long s = System.nanoTime();
            one.get(k);
            get.recordValue(System.nanoTime() - s);
        }
        record("get us hz " + backups, get.getValueAtPercentile(50) / 1000.0);
        for (int keys : KEYS) {
            int base = 2_000_000 + keys;
            for (int k = 0; k < keys; k++) {
                one.set(base + k, 0L);
            }
            record("rate hz " + backups + " " + keys, rate("hz " + backups + " backup, " + keys,
                    node -> k -> lockedIncrement(maps.get(node - 1), base + (int) k), keys, () -> {
                        long s = 0;
                        for (int k = 0; k < keys; k++) {
                            s += one.get(base + k);
                        }
                        return s;
                    }));
        }
        one.destroy();
    }

    private static void lockedIncrement(IMap<Integer, Long> map, int key) {
        map.lock(key);
        try {
            Long v = map.get(key);
            map.set(key, (v == null ? 0 : v) + 1);
        } finally {
            map.unlock(key);
        }
    }

    private double rate(String what, IntFunction<LongConsumer> perNode, int keys, LongSupplier sum) throws Exception {
        return Increments.rate(what, NODES, THREADS, perNode, keys, sum, warmupMillis, windowMillis);
    }

    private void record(String cell, double value) {
        f.record(cell, value);
        if (!cell.startsWith("rate")) {
            System.err.printf(Locale.ROOT, "  %-32s %,10.2f%n", cell, value);
        }
    }

    private String table(int rounds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "3 kDDM nodes and two 3-member Hazelcast clusters (map backup-count 0 "
                + "and 1, synchronous), all in one JVM over 127.0.0.1 TCP; %d rounds, median over rounds, ratios "
                + "within each round; increments from %d nodes x %d threads, %d s per run. Visible: a put returns "
                + "before its backup is kept; other nodes wait for it.%n%n", rounds, NODES, THREADS,
                windowMillis / 1000));
        b.append("| workload | kDDM, 0 backups | kDDM, 1 sync backup | kDDM, 1 visible backup | Hazelcast, 0 | "
                + "Hazelcast, 1 |\n");
        b.append("|---|---:|---:|---:|---:|---:|\n");
        b.append(String.format(Locale.ROOT, "| put by the owner p50, us (kDDM grab+put that changed it; Hazelcast "
                + "lock/get/set/unlock of a key it owns) | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
                f.median("put us kddm 0"), f.median("put us kddm 1"), f.median("put us kddm v"),
                f.median("put us hz 0"), f.median("put us hz 1")));
        b.append(String.format(Locale.ROOT, "| remote get p50, us | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
                f.median("get us kddm 0"), f.median("get us kddm 1"), f.median("get us kddm v"),
                f.median("get us hz 0"), f.median("get us hz 1")));
        for (int keys : KEYS) {
            String on = keys == 1 ? "one hot object" : "1000 objects";
            b.append(String.format(Locale.ROOT, "| increments/s, %s (kDDM grab+put; Hazelcast lock/get/set/unlock) "
                    + "| %,.0f | %,.0f | %,.0f | %,.0f | %,.0f |%n", on, f.median("rate kddm 0 " + keys),
                    f.median("rate kddm 1 " + keys), f.median("rate kddm v " + keys), f.median("rate hz 0 " + keys),
                    f.median("rate hz 1 " + keys)));
        }
        b.append("\n| goal | measured | met |\n|---|---|---|\n");
        double extra = f.median("put +rtt");
        b.append(String.format(Locale.ROOT, "| a put that changed the object costs at most one more round trip | "
                + "+%.1f us = %.2f x the transport round trip (%.1f us) | %s |%n", f.median("put us kddm 1 minus 0"),
                extra, f.median("rtt us"), yes(extra <= 1.0)));
        for (int keys : KEYS) {
            String on = keys == 1 ? "one hot object" : "1000 objects";
            double x = f.median("lock x " + keys);
            b.append(String.format(Locale.ROOT, "| kDDM with 1 backup >= 3 x Hazelcast lock/get/set/unlock with its "
                    + "sync backup, %s | %.2f x (kDDM keeps %.0f %% of its rate with the backup, Hazelcast %.0f %%) | "
                    + "%s |%n", on, x, 100 * f.median("kddm keeps " + keys), 100 * f.median("hz keeps " + keys),
                    yes(x >= 3)));
        }
        return b.toString();
    }

    private static String yes(boolean met) {
        return met ? "yes" : "**no**";
    }
}
