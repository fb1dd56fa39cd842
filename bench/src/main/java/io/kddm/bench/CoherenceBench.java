package io.kddm.bench;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import org.HdrHistogram.Histogram;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.transport.MessageTypes;
import io.kddm.linker.memory.DemoFamily;
import io.kddm.linker.memory.NodeBitsDemoFamily;

/**
 * kDDM next to Hazelcast 5 (community) on the workloads of issue 3, in one run:
 * three kDDM nodes and three Hazelcast members, all in this JVM and talking
 * over 127.0.0.1 TCP, both clusters up for the whole run. Each cell is the
 * median over rounds; the order of the two systems alternates per round.
 */
public final class CoherenceBench {
    private static final int NODES = 3;
    private static final int THREADS_PER_NODE = 4;
    private static final int ECHO = MessageTypes.SERVICES_FIRST;

    /** One figure per round for one cell of the table. */
    private final Map<String, List<Double>> cells = new java.util.LinkedHashMap<>();
    private final boolean quick;
    private int round;

    private CoherenceBench(boolean quick) {
        this.quick = quick;
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args);
        int rounds = a.rounds(3);
        CoherenceBench b = new CoherenceBench(a.quick());
        try (KddmCluster kddm = new KddmCluster(NODES); HazelcastCluster hz = new HazelcastCluster(NODES)) {
            kddm.transports.get(1).addHandler(ECHO, m -> m.reply(m.payload()));
            for (int r = 0; r < rounds; r++) {
                b.round = r;
                System.err.printf("round %d of %d%n", r + 1, rounds);
                if (r % 2 == 0) {
                    b.kddm(kddm);
                    b.hazelcast(hz);
                } else {
                    b.hazelcast(hz);
                    b.kddm(kddm);
                }
            }
        }
        String table = b.table(rounds);
        System.out.println(table);
        a.writeSection("coherence", "kDDM coherence vs Hazelcast 5 (issue 3)", "bench/run coherence", table);
        System.exit(0); // Hazelcast leaves non-daemon threads behind for a while after shutdown
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

        // Local cached get+put: node 1 owns the object (home 1).
        long mine = 1L << 24;
        increment(nb[1], mine);
        int loops = quick ? 200_000 : 2_000_000;
        for (int i = 0; i < loops; i++) { // warm-up
            nb[1].get(mine).close();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < loops; i++) {
            nb[1].get(mine).close();
        }
        record("local get+put ns kddm", (System.nanoTime() - t0) / (double) loops);
        t0 = System.nanoTime();
        for (int i = 0; i < loops; i++) {
            try (ObjectHandle h = nb[1].grab(mine)) {
                h.value();
            }
        }
        record("local grab+put ns kddm", (System.nanoTime() - t0) / (double) loops);

        // Remote get: node 1 reads objects that node 2 owns, each once (the first get is the remote one).
        int objects = quick ? 2_000 : 10_000;
        for (long home : new long[] {2, 3}) {
            for (int i = 0; i < objects; i++) {
                increment(nb[2], (home << 24) | (round * objects + i));
            }
            Histogram h = histogram();
            for (int i = 0; i < objects; i++) {
                long id = (home << 24) | (round * objects + i);
                long s = System.nanoTime();
                nb[1].get(id).close();
                h.recordValue(System.nanoTime() - s);
            }
            record("remote get us kddm home " + home, h.getValueAtPercentile(50) / 1000.0);
        }

        // Transport round trip, blocking caller (as get's caller blocks), 1 -> 2.
        Histogram rtt = histogram();
        byte[] payload = new byte[16];
        for (int i = 0; i < objects + objects / 4; i++) {
            long s = System.nanoTime();
            c.transports.get(0).request(2, ECHO, payload, Duration.ofSeconds(10)).get();
            if (i >= objects / 4) {
                rtt.recordValue(System.nanoTime() - s);
            }
        }
        record("transport rtt us", rtt.getValueAtPercentile(50) / 1000.0);

        // Grab by the owner that must invalidate the read copies of nodes 2 and 3.
        long shared = (1L << 24) | 0xFF_FFFFL;
        Histogram g = histogram();
        int grabs = quick ? 1_000 : 5_000;
        for (int i = 0; i < grabs; i++) {
            nb[2].get(shared).close();
            nb[3].get(shared).close();
            long s = System.nanoTime();
            increment(nb[1], shared);
            g.recordValue(System.nanoTime() - s);
        }
        record("grab invalidating 2 us kddm", g.getValueAtPercentile(50) / 1000.0);

        // Increments from 3 nodes x 4 threads, on one hot object and on 1000.
        for (int keys : new int[] {1, 1000}) {
            long base = keys == 1 ? 7 : 1000L * (round + 1);
            double rate = throughput("kddm " + keys, node -> {
                KddmSet s = rr[node];
                return k -> increment(s, base + k);
            }, keys, total -> {
                long sum = 0;
                for (int k = 0; k < keys; k++) {
                    try (ObjectHandle h = rr[1].get(base + k)) {
                        sum += counter(h.value());
                    }
                }
                return sum;
            });
            record("increments/s kddm " + keys, rate);
        }
        c.node(1).destroy(nodeBits);
        c.node(1).destroy(roundRobin);
    }

    private static long increment(KddmSet set, long objectId) {
        try (ObjectHandle h = set.grab(objectId)) {
            long v = counter(h.value()) + 1;
            h.value(ByteBuffer.allocate(8).putLong(v).array());
            return v;
        }
    }

    private static long counter(byte[] b) {
        return b.length < 8 ? 0 : ByteBuffer.wrap(b).getLong();
    }

    // ---- Hazelcast ------------------------------------------------------------

    private void hazelcast(HazelcastCluster c) throws Exception {
        String name = "bench-" + round;
        List<IMap<Integer, Long>> maps = new ArrayList<>();
        for (int m = 1; m <= NODES; m++) {
            maps.add(c.map(m, name));
        }
        IMap<Integer, Long> one = maps.get(0);

        int mine = c.keysOwnedBy(1, 0, 1).get(0);
        one.set(mine, 0L);
        int loops = quick ? 20_000 : 200_000;
        for (int i = 0; i < loops; i++) {
            one.get(mine);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < loops; i++) {
            one.get(mine);
        }
        record("local get+put ns hz", (System.nanoTime() - t0) / (double) loops);

        int objects = quick ? 2_000 : 10_000;
        List<Integer> remote = c.keysOwnedBy(2, 1_000_000, objects);
        for (int k : remote) {
            maps.get(1).set(k, 1L);
        }
        Histogram h = histogram();
        for (int k : remote) {
            long s = System.nanoTime();
            one.get(k);
            h.recordValue(System.nanoTime() - s);
        }
        record("remote get us hz", h.getValueAtPercentile(50) / 1000.0);

        Histogram g = histogram();
        int grabs = quick ? 1_000 : 5_000;
        for (int i = 0; i < grabs; i++) {
            maps.get(1).get(mine);
            maps.get(2).get(mine);
            long s = System.nanoTime();
            lockedIncrement(one, mine);
            g.recordValue(System.nanoTime() - s);
        }
        record("grab invalidating 2 us hz", g.getValueAtPercentile(50) / 1000.0);

        for (int keys : new int[] {1, 1000}) {
            int base = 2_000_000 + keys;
            for (int k = 0; k < keys; k++) {
                one.set(base + k, 0L);
            }
            IntFunction<Long> sum = unused -> {
                long s = 0;
                for (int k = 0; k < keys; k++) {
                    s += one.get(base + k);
                }
                return s;
            };
            record("increments/s hz lock " + keys, throughput("hz lock " + keys, node -> {
                IMap<Integer, Long> map = maps.get(node - 1);
                return k -> lockedIncrement(map, base + (int) k);
            }, keys, total -> sum.apply(0)));
            for (int k = 0; k < keys; k++) {
                one.set(base + k, 0L);
            }
            record("increments/s hz executeOnKey " + keys, throughput("hz executeOnKey " + keys, node -> {
                IMap<Integer, Long> map = maps.get(node - 1);
                return k -> map.executeOnKey(base + (int) k, new Increment());
            }, keys, total -> sum.apply(0)));
        }
        one.destroy();
    }

    private static long lockedIncrement(IMap<Integer, Long> map, int key) {
        map.lock(key);
        try {
            Long v = map.get(key);
            long next = (v == null ? 0 : v) + 1;
            map.set(key, next);
            return next;
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

    private interface Op {
        Object apply(long key);
    }

    private interface Sum {
        long of(long total);
    }

    /**
     * Runs {@code THREADS_PER_NODE} threads on each node, each applying its op to
     * random keys in 0..keys-1, for a fixed time after a warm-up; checks that the
     * counters add up to the number of increments done, and returns increments per
     * second in the measured window.
     */
    private double throughput(String what, IntFunction<Op> perNode, int keys, Sum sum) throws Exception {
        long warmup = TimeUnit.MILLISECONDS.toNanos(quick ? 200 : 500);
        long window = TimeUnit.MILLISECONDS.toNanos(quick ? 1_000 : 3_000);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int n = 1; n <= NODES; n++) {
            Op op = perNode.apply(n);
            for (int t = 0; t < THREADS_PER_NODE; t++) {
                Thread th = new Thread(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    try {
                        go.await();
                        while (!stop.get()) {
                            op.apply(keys == 1 ? 0 : rnd.nextInt(keys));
                            done.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }, "bench-" + what + "-" + n + "-" + t);
                threads.add(th);
                th.start();
            }
        }
        go.countDown();
        TimeUnit.NANOSECONDS.sleep(warmup);
        long before = done.get();
        long t0 = System.nanoTime();
        TimeUnit.NANOSECONDS.sleep(window);
        long after = done.get();
        long elapsed = System.nanoTime() - t0;
        stop.set(true);
        for (Thread th : threads) {
            th.join(TimeUnit.SECONDS.toMillis(60));
            if (th.isAlive()) {
                throw new IllegalStateException(th.getName() + " did not stop within 60 s");
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(what + " failed", failures.get(0));
        }
        long total = done.get();
        long counted = sum.of(total);
        if (counted != total) {
            throw new IllegalStateException(what + ": counters add up to " + counted + " after " + total
                    + " increments");
        }
        double rate = (after - before) / (elapsed / 1e9);
        System.err.printf(Locale.ROOT, "  %-24s %,10.0f increments/s (%,d in all, counters exact)%n", what, rate,
                total);
        return rate;
    }

    private static Histogram histogram() {
        return new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
    }

    private void record(String cell, double value) {
        cells.computeIfAbsent(cell, k -> new ArrayList<>()).add(value);
        if (!cell.startsWith("increments")) {
            System.err.printf(Locale.ROOT, "  %-32s %,10.2f%n", cell, value);
        }
    }

    private double median(String cell) {
        List<Double> v = cells.get(cell);
        if (v == null || v.isEmpty()) {
            throw new IllegalStateException("no figure for " + cell);
        }
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private String table(int rounds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "3 kDDM nodes and 3 Hazelcast %s members, all in one JVM over 127.0.0.1 "
                + "TCP; %d rounds, median over rounds; throughput from %d nodes x %d threads, %s s per run.%n%n",
                com.hazelcast.instance.BuildInfoProvider.getBuildInfo().getVersion(), rounds, NODES, THREADS_PER_NODE,
                quick ? "1" : "3"));
        b.append("| workload | kDDM | Hazelcast | ratio, > 1 favours kDDM (latency: Hazelcast / kDDM; throughput: kDDM / Hazelcast) | goal | met |\n");
        b.append("|---|---:|---:|---:|---|---|\n");
        double local = median("local get+put ns kddm");
        double rtt = median("transport rtt us");
        double remote = median("remote get us kddm home 2");
        row(b, "local cached get+put, ns/op (Hazelcast: IMap.get of a key it owns)", local,
                median("local get+put ns hz"), "<= 1000 ns", local <= 1000);
        b.append(String.format(Locale.ROOT, "| local cached grab+put, ns/op | %.0f | | | | |%n",
                median("local grab+put ns kddm")));
        row(b, "remote get p50, us: owner = home (Hazelcast: IMap.get, remote owner)", remote,
                median("remote get us hz"), String.format(Locale.ROOT, "<= 2 x transport RTT (%.1f us)", 2 * rtt),
                remote <= 2 * rtt);
        b.append(String.format(Locale.ROOT, "| remote get p50, us: owner != home (three hops) | %.1f | | | | |%n",
                median("remote get us kddm home 3")));
        b.append(String.format(Locale.ROOT, "| transport round trip p50, us (blocking caller, 16 B) | %.1f | | | | |%n",
                rtt));
        row(b, "grab invalidating 2 readers p50, us (Hazelcast: lock/get/set/unlock after 2 gets)",
                median("grab invalidating 2 us kddm"), median("grab invalidating 2 us hz"), "", null);
        for (int keys : new int[] {1, 1000}) {
            double k = median("increments/s kddm " + keys);
            double lock = median("increments/s hz lock " + keys);
            double eok = median("increments/s hz executeOnKey " + keys);
            double goal = keys == 1 ? 5 : 2;
            String on = keys == 1 ? "one hot object" : "1000 objects";
            b.append(String.format(Locale.ROOT, "| increments/s, %s: grab+put vs lock/get/set/unlock | %,.0f | %,.0f | "
                    + "%.2f x | >= %.0f x | %s |%n", on, k, lock, k / lock, goal, k / lock >= goal ? "yes" : "**no**"));
            b.append(String.format(Locale.ROOT, "| increments/s, %s: grab+put vs executeOnKey (reference) | %,.0f | "
                    + "%,.0f | %.2f x | | |%n", on, k, eok, k / eok));
        }
        return b.toString();
    }

    /** A latency row: lower is better, so the ratio is Hazelcast's over kDDM's (how many times faster). */
    private static void row(StringBuilder b, String what, double kddm, double hz, String goal, Boolean met) {
        b.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2f x | %s | %s |%n", what, kddm, hz,
                hz / kddm, goal, met == null ? "" : met ? "yes" : "**no**"));
    }
}
