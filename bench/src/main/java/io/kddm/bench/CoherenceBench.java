package io.kddm.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import org.HdrHistogram.Histogram;

import com.hazelcast.instance.BuildInfoProvider;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.impl.shell.CounterOp;
import io.kddm.linker.memory.DemoFamily;
import io.kddm.linker.memory.NodeBitsDemoFamily;

/**
 * kDDM next to Hazelcast 5 (community) on the workloads of issue 3, in one run:
 * three kDDM nodes and three Hazelcast members, all in this JVM and talking
 * over 127.0.0.1 TCP, both clusters up for the whole run. The order of the two
 * systems alternates per round; ratios are taken within a round, and every
 * cell is the median over rounds.
 */
public final class CoherenceBench {
    private static final int NODES = 3;
    private static final int THREADS_PER_NODE = 4;
    private static final int[] KEYS = {1, 1000};

    private final Figures f = new Figures();
    private final int loops;
    private final int objects;
    private final int grabs;
    private final long warmupMillis;
    private final long windowMillis;

    private CoherenceBench(boolean quick) {
        this.loops = quick ? 200_000 : 2_000_000;
        this.objects = quick ? 2_000 : 10_000;
        this.grabs = quick ? 1_000 : 5_000;
        this.warmupMillis = quick ? 200 : 500;
        this.windowMillis = quick ? 1_000 : 3_000;
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args);
        int rounds = a.rounds(3);
        CoherenceBench b = new CoherenceBench(a.quick());
        try (KddmCluster kddm = new KddmCluster(NODES); HazelcastCluster hz = new HazelcastCluster(NODES)) {
            Echo.serve(kddm.transport(2));
            for (int r = 0; r < rounds; r++) {
                System.err.printf("round %d of %d%n", r + 1, rounds);
                if (r % 2 == 0) {
                    b.kddm(kddm);
                    b.hazelcast(hz, r);
                } else {
                    b.hazelcast(hz, r);
                    b.kddm(kddm);
                }
                b.ratios();
            }
        }
        String table = b.table(rounds);
        System.out.println(table);
        a.writeSection("coherence", "kDDM coherence vs Hazelcast 5 (issue 3)", "bench/run coherence", table);
        System.exit(0); // Hazelcast leaves non-daemon threads behind for a while after shutdown
    }

    /** This round's ratios; latency: Hazelcast's time over kDDM's, throughput: kDDM's over Hazelcast's. */
    private void ratios() {
        f.recordRatio("local x", "local ns hz", "local ns kddm");
        f.recordRatio("remote x", "remote us hz", "remote us kddm 2");
        f.recordRatio("remote / rtt", "remote us kddm 2", "rtt us");
        for (int keys : KEYS) {
            f.recordRatio("lock x " + keys, "rate kddm " + keys, "rate hz lock " + keys);
            f.recordRatio("eok x " + keys, "rate kddm " + keys, "rate hz executeOnKey " + keys);
        }
    }

    // ---- kDDM -----------------------------------------------------------------

    private void kddm(KddmCluster c) throws Exception {
        long nodeBits = c.node(1).create(NodeBitsDemoFamily.NAME).id();
        long roundRobin = c.node(1).create(DemoFamily.NAME).id();
        KddmSet[] nb = new KddmSet[NODES + 1];
        KddmSet[] rr = new KddmSet[NODES + 1];
        for (int n = 1; n <= NODES; n++) {
            nb[n] = c.set(n, nodeBits);
            rr[n] = c.set(n, roundRobin);
        }

        // Local cached get+put, reading the value (as IMap.get returns one): node 1 owns the object.
        long mine = 1L << 24;
        increment(nb[1], mine);
        for (int i = 0; i < loops; i++) { // warm-up
            read(nb[1], mine);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < loops; i++) {
            read(nb[1], mine);
        }
        record("local ns kddm", (System.nanoTime() - t0) / (double) loops);
        t0 = System.nanoTime();
        for (int i = 0; i < loops; i++) {
            try (ObjectHandle h = nb[1].grab(mine)) {
                h.value();
            }
        }
        record("local grab ns kddm", (System.nanoTime() - t0) / (double) loops);

        // Remote get: node 1 reads objects that node 2 owns, each once (so each get is remote);
        // homed on node 2 (two hops), then on node 3 (three: node 1 -> 3 -> 2 -> 1).
        for (long home : new long[] {2, 3}) {
            int warmup = objects / 4; // objects of their own: a second get would be local
            for (int i = 0; i < objects + warmup; i++) {
                increment(nb[2], (home << 24) | i);
            }
            for (int i = objects; i < objects + warmup; i++) {
                read(nb[1], (home << 24) | i);
            }
            Histogram h = Figures.histogram();
            for (int i = 0; i < objects; i++) {
                long s = System.nanoTime();
                read(nb[1], (home << 24) | i);
                h.recordValue(System.nanoTime() - s);
            }
            record("remote us kddm " + home, h.getValueAtPercentile(50) / 1000.0);
        }

        // Transport round trip, 1 -> 2, blocking caller (as a get's caller blocks).
        Histogram rtt = Figures.histogram();
        byte[] payload = new byte[16];
        for (int i = 0; i < objects + objects / 4; i++) {
            long s = System.nanoTime();
            Echo.call(c.transport(1), 2, payload);
            if (i >= objects / 4) {
                rtt.recordValue(System.nanoTime() - s);
            }
        }
        record("rtt us", rtt.getValueAtPercentile(50) / 1000.0);

        // Grab by the owner that must invalidate the read copies of nodes 2 and 3.
        long shared = (1L << 24) | 0xFF_FFFFL;
        Histogram g = Figures.histogram();
        for (int i = 0; i < grabs; i++) {
            read(nb[2], shared);
            read(nb[3], shared);
            long s = System.nanoTime();
            increment(nb[1], shared);
            g.recordValue(System.nanoTime() - s);
        }
        record("grab us kddm", g.getValueAtPercentile(50) / 1000.0);

        for (int keys : KEYS) {
            long base = keys == 1 ? 0 : 1_000_000; // each workload on objects of its own
            record("rate kddm " + keys, throughput("kddm " + keys, node -> k -> increment(rr[node], base + k), keys,
                    () -> {
                        long sum = 0;
                        for (int k = 0; k < keys; k++) {
                            sum += read(rr[1], base + k);
                        }
                        return sum;
                    }));
        }
        c.node(1).destroy(nodeBits);
        c.node(1).destroy(roundRobin);
    }

    private static long read(KddmSet set, long objectId) {
        return CounterOp.READ.apply(set, objectId, 0);
    }

    private static void increment(KddmSet set, long objectId) {
        CounterOp.ADD.apply(set, objectId, 1);
    }

    // ---- Hazelcast ------------------------------------------------------------

    private void hazelcast(HazelcastCluster c, int round) throws Exception {
        List<IMap<Integer, Long>> maps = new ArrayList<>();
        for (int m = 1; m <= NODES; m++) {
            maps.add(c.map(m, "bench-" + round));
        }
        IMap<Integer, Long> one = maps.get(0);

        int mine = c.keysOwnedBy(1, 0, 1).get(0);
        one.set(mine, 0L);
        int hzLoops = loops / 10; // about ten times slower per call: the same time spent
        for (int i = 0; i < hzLoops; i++) {
            one.get(mine);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < hzLoops; i++) {
            one.get(mine);
        }
        record("local ns hz", (System.nanoTime() - t0) / (double) hzLoops);

        List<Integer> remote = c.keysOwnedBy(2, 1_000_000, objects);
        for (int k : remote) {
            maps.get(1).set(k, 1L);
        }
        for (int k : remote.subList(0, remote.size() / 4)) { // warm-up (no near cache: still remote after)
            one.get(k);
        }
        Histogram h = Figures.histogram();
        for (int k : remote) {
            long s = System.nanoTime();
            one.get(k);
            h.recordValue(System.nanoTime() - s);
        }
        record("remote us hz", h.getValueAtPercentile(50) / 1000.0);

        for (int keys : KEYS) {
            int base = 2_000_000 + keys;
            LongSupplier sum = () -> {
                long s = 0;
                for (int k = 0; k < keys; k++) {
                    s += one.get(base + k);
                }
                return s;
            };
            for (int k = 0; k < keys; k++) {
                one.set(base + k, 0L);
            }
            record("rate hz lock " + keys, throughput("hz lock " + keys,
                    node -> k -> lockedIncrement(maps.get(node - 1), base + (int) k), keys, sum));
            for (int k = 0; k < keys; k++) {
                one.set(base + k, 0L);
            }
            record("rate hz executeOnKey " + keys, throughput("hz executeOnKey " + keys,
                    node -> k -> maps.get(node - 1).executeOnKey(base + (int) k, new Increment()), keys, sum));
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

    /** The one-operation increment, run on the key's owner. */
    static final class Increment implements EntryProcessor<Integer, Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long process(Map.Entry<Integer, Long> entry) {
            long next = (entry.getValue() == null ? 0 : entry.getValue()) + 1;
            entry.setValue(next);
            return next;
        }
    }

    // ---- shared machinery ---------------------------------------------------------

    private double throughput(String what, IntFunction<LongConsumer> perNode, int keys, LongSupplier sum)
            throws Exception {
        return Increments.rate(what, NODES, THREADS_PER_NODE, perNode, keys, sum, warmupMillis, windowMillis);
    }

    private void record(String cell, double value) {
        f.record(cell, value);
        if (!cell.startsWith("rate")) {
            System.err.printf(Locale.ROOT, "  %-32s %,10.2f%n", cell, value);
        }
    }

    private String table(int rounds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "3 kDDM nodes and 3 Hazelcast %s members (map backups: %d, as kDDM "
                + "keeps one copy), all in one JVM over 127.0.0.1 TCP; %d rounds, median over rounds, ratios taken "
                + "within each round; throughput from %d nodes x %d threads, %d s per run.%n%n",
                BuildInfoProvider.getBuildInfo().getVersion(), HazelcastCluster.BACKUPS, rounds, NODES,
                THREADS_PER_NODE, windowMillis / 1000));
        b.append("| workload | kDDM | Hazelcast | ratio, > 1 favours kDDM | goal | met |\n");
        b.append("|---|---:|---:|---:|---|---|\n");
        double remoteToRtt = f.median("remote / rtt");
        b.append(String.format(Locale.ROOT, "| local cached get+put, ns/op (Hazelcast: IMap.get of a key it owns) "
                + "| %.0f | %.0f | %.1f x | kDDM <= 1000 ns | %s |%n", f.median("local ns kddm"),
                f.median("local ns hz"), f.median("local x"), yes(f.median("local ns kddm") <= 1000)));
        b.append(String.format(Locale.ROOT, "| local cached grab+put, ns/op | %.0f | | | | |%n",
                f.median("local grab ns kddm")));
        b.append(String.format(Locale.ROOT, "| remote get p50, us, owner = home (Hazelcast: IMap.get, remote owner) "
                + "| %.1f | %.1f | %.2f x | kDDM <= 2 x transport round trip: %.2f x | %s |%n",
                f.median("remote us kddm 2"), f.median("remote us hz"), f.median("remote x"), remoteToRtt,
                yes(remoteToRtt <= 2)));
        b.append(String.format(Locale.ROOT, "| remote get p50, us, owner != home (three hops) | %.1f | | | | |%n",
                f.median("remote us kddm 3")));
        b.append(String.format(Locale.ROOT, "| transport round trip p50, us (blocking caller, 16 B) | %.1f | | | | |%n",
                f.median("rtt us")));
        b.append(String.format(Locale.ROOT, "| grab invalidating 2 readers p50, us | %.1f | - (no equivalent: "
                + "Hazelcast keeps no copies to invalidate) | | | |%n", f.median("grab us kddm")));
        for (int keys : KEYS) {
            String on = keys == 1 ? "one hot object" : "1000 objects";
            double goal = keys == 1 ? 5 : 2;
            double lock = f.median("lock x " + keys);
            b.append(String.format(Locale.ROOT, "| increments/s, %s: grab+put vs lock/get/set/unlock | %,.0f | %,.0f "
                    + "| %.2f x | >= %.0f x lock/get/set/unlock | %s |%n", on, f.median("rate kddm " + keys),
                    f.median("rate hz lock " + keys), lock, goal, yes(lock >= goal)));
            b.append(String.format(Locale.ROOT, "| increments/s, %s: grab+put vs executeOnKey (one operation, "
                    + "reference) | %,.0f | %,.0f | %.2f x | | |%n", on, f.median("rate kddm " + keys),
                    f.median("rate hz executeOnKey " + keys), f.median("eok x " + keys)));
        }
        return b.toString();
    }

    private static String yes(boolean met) {
        return met ? "yes" : "**no**";
    }
}
