package io.kddm.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

import org.HdrHistogram.Histogram;

import com.hazelcast.collection.IQueue;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.BuildInfoProvider;
import com.hazelcast.map.IMap;

import io.kddm.ipc.Caller;
import io.kddm.ipc.Ipc;
import io.kddm.ipc.Message;
import io.kddm.ipc.MessageQueues;
import io.kddm.ipc.SemClient;
import io.kddm.ipc.SemOp;
import io.kddm.ipc.Semaphores;
import io.kddm.ipc.impl.LocalIpc;
import io.kddm.shm.Segment;
import io.kddm.shm.SharedMemory;
import io.kddm.shm.impl.BenchShm;

/**
 * Shared memory and System V IPC (issue 15) next to Hazelcast 5 (community),
 * in one run: three kDDM nodes with the shm and ipc services (real MINA
 * transport on 127.0.0.1) and three Hazelcast members, all in this JVM. Per
 * round, alternating which system goes first: message ping-pong between nodes
 * 1 and 2, a semaphore handed between nodes 1 and 2, a remote read fault of a
 * page and a write that invalidates two readers, and the transport round trip.
 * Every cell is the median over rounds; ratios are taken within a round.
 */
public final class IpcBench {
    private static final int NODES = 3;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int PAGE = SharedMemory.PAGE_SIZE;
    /** Pages the shm measurements cycle over, so that their homes (round robin) are all of the nodes. */
    private static final int PAGES = 48;
    /** CP data structures (ISemaphore, IAtomicLong) of this Hazelcast, or why not; set once at start. */
    private static String cpUnavailable;

    private final Figures f = new Figures();
    private final int pingPongs;
    private final int handOffs;
    private final int faults;
    private final int rtts;

    private IpcBench(boolean quick) {
        // About 15 s a round on the 2-core machine; three rounds and the two clusters' start within 2 minutes.
        this.pingPongs = quick ? 300 : 1_000;
        this.handOffs = quick ? 300 : 2_000;
        this.faults = quick ? 300 : 1_500;
        this.rtts = quick ? 1_000 : 4_000;
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args);
        int rounds = a.rounds(3);
        IpcBench b = new IpcBench(a.quick());
        List<LocalIpc> ipc = new ArrayList<>();
        // Every Hazelcast structure here with one synchronous backup, as the ipc and shm.page families keep one.
        try (KddmCluster kddm = new KddmCluster(NODES); HazelcastCluster hz = new HazelcastCluster(NODES, 1)) {
            Echo.serve(kddm.transport(2));
            SharedMemory[] shm = new SharedMemory[NODES + 1];
            for (int n = 1; n <= NODES; n++) {
                LocalIpc l = new LocalIpc(kddm.node(n), kddm.membership(n));
                kddm.node(n).addFamily(l.family());
                kddm.node(n).addIoLinker(l.ioLinker());
                ipc.add(l);
                shm[n] = BenchShm.deploy(kddm.node(n), kddm.membership(n));
            }
            cpUnavailable = cpProbe(hz.members.get(0));
            System.err.println("Hazelcast CP subsystem: " + (cpUnavailable == null ? "available" : cpUnavailable));
            for (int r = 0; r < rounds; r++) {
                System.err.printf("round %d of %d%n", r + 1, rounds);
                if (r % 2 == 0) {
                    b.kddm(kddm, ipc, shm, r);
                    b.hazelcast(hz, r);
                } else {
                    b.hazelcast(hz, r);
                    b.kddm(kddm, ipc, shm, r);
                }
                b.ratios();
            }
        }
        long rechecks = ipc.stream().mapToLong(LocalIpc::safetyRechecks).sum();
        String table = b.table(rounds, rechecks);
        System.out.println(table);
        a.writeSection("ipc", "Shared memory and IPC (issue 15)", "bench/run ipc", table);
        System.exit(0); // Hazelcast leaves non-daemon threads behind for a while after shutdown
    }

    /** Null if this Hazelcast offers CP structures without a license, else what it said. */
    private static String cpProbe(HazelcastInstance m) {
        try {
            m.getCPSubsystem().getSemaphore("kddm-bench-probe").init(1);
            return null;
        } catch (UnsupportedOperationException e) {
            return e.getMessage();
        }
    }

    /** This round's ratios: Hazelcast's time over kDDM's (> 1 favours kDDM), and kDDM's over the round trip. */
    private void ratios() {
        for (String w : new String[] {"pingpong", "handoff", "read", "write"}) {
            f.recordRatio(w + " x", w + " hz p50", w + " kddm p50");
        }
        f.recordRatio("pingpong / rtt", "pingpong kddm p50", "rtt p50");
        f.recordRatio("handoff / rtt", "handoff kddm p50", "rtt p50");
        f.recordRatio("read / rtt", "read kddm p50", "rtt4k p50");
        f.recordRatio("write / rtt", "write kddm p50", "rtt p50");
    }

    // ---- kDDM -----------------------------------------------------------------

    private void kddm(KddmCluster c, List<LocalIpc> ipc, SharedMemory[] shm, int round) throws Exception {
        transport(c);

        // Ping-pong: node 1 sends type 1 on Q1, node 2 (blocked in msgrcv) replies with type 2 on Q2.
        Caller one = caller(1);
        Caller two = caller(2);
        MessageQueues q1 = ipc.get(0).queues();
        MessageQueues q2 = ipc.get(1).queues();
        long key = 0x15_0000L + round * 16L;
        int ping = q1.msgget(one, key, Ipc.IPC_CREAT | 0600);
        int pong = q1.msgget(one, key + 1, Ipc.IPC_CREAT | 0600);
        byte[] payload = new byte[16];
        pingPong("kddm", () -> {
            q1.msgsnd(one, ping, 1, payload, 0, WAIT);
            q1.msgrcv(one, pong, 64, 2, 0, WAIT);
        }, () -> {
            Message m = q2.msgrcv(two, ping, 64, 1, 0, WAIT);
            q2.msgsnd(two, pong, 2, m.data(), 0, WAIT);
        });
        q1.remove(one, ping);
        q1.remove(one, pong);

        // Hand-off of one semaphore (value 1, a mutex) between nodes 1 and 2.
        Semaphores s1 = ipc.get(0).semaphores();
        int sem = s1.semget(one, key + 2, 1, Ipc.IPC_CREAT | 0600);
        s1.setval(one, sem, 0, 1);
        List<SemOp> down = List.of(new SemOp(0, -1, 0));
        List<SemOp> up = List.of(new SemOp(0, 1, 0));
        try (SemClient a = s1.open(one); SemClient b = ipc.get(1).semaphores().open(two)) {
            handOff("kddm", new Mutex() {
                @Override
                public void acquire(int side) {
                    (side == 0 ? a : b).semop(sem, down, WAIT);
                }

                @Override
                public void release(int side) {
                    (side == 0 ? a : b).semop(sem, up, WAIT);
                }
            });
        }
        s1.remove(one, sem);

        // Shared memory: a segment of PAGES pages attached on the three nodes.
        io.kddm.shm.Caller root = io.kddm.shm.Caller.ROOT;
        int shmid = shm[1].shmget((int) key + 3, (long) PAGES * PAGE, SharedMemory.IPC_CREAT | 0600, root);
        Segment[] seg = new Segment[NODES + 1];
        for (int n = 1; n <= NODES; n++) {
            seg[n] = shm[n].attach(shmid, 0, root);
        }
        byte[] page = new byte[PAGE];
        byte[] into = new byte[PAGE];
        // Remote read fault: node 1 writes the whole page (and so owns it alone), node 2 reads it.
        Histogram read = Figures.histogram();
        for (int i = 0; i < faults + faults / 4; i++) {
            long at = (long) (i % PAGES) * PAGE;
            page[0] = (byte) i;
            seg[1].write(at, page, 0, PAGE);
            long s = System.nanoTime();
            seg[2].read(at, into, 0, PAGE);
            long t = System.nanoTime() - s;
            check(into[0] == (byte) i, "node 2 read a page older than node 1's last write");
            if (i >= faults / 4) {
                read.recordValue(t);
            }
        }
        record("read", "kddm", read);
        // Write with invalidation of two readers: nodes 2 and 3 read the page, node 1 writes all of it.
        Histogram write = Figures.histogram();
        for (int i = 0; i < faults + faults / 4; i++) {
            long at = (long) (i % PAGES) * PAGE;
            seg[2].read(at, into, 0, PAGE);
            seg[3].read(at, into, 0, PAGE);
            page[0] = (byte) (i + 1);
            long s = System.nanoTime();
            seg[1].write(at, page, 0, PAGE);
            long t = System.nanoTime() - s;
            if (i >= faults / 4) {
                write.recordValue(t);
            }
        }
        seg[3].read(0, into, 0, PAGE);
        for (int n = 1; n <= NODES; n++) {
            seg[n].close();
        }
        shm[1].remove(shmid, root);
        record("write", "kddm", write);
    }

    /** Transport round trips 1 -> 2, blocking caller: 16 B (a message) and 4 KiB (a page). */
    private void transport(KddmCluster c) throws Exception {
        for (int size : new int[] {16, PAGE}) {
            Histogram rtt = Figures.histogram();
            byte[] payload = new byte[size];
            for (int i = 0; i < rtts + rtts / 4; i++) {
                long s = System.nanoTime();
                Echo.call(c.transport(1), 2, payload);
                if (i >= rtts / 4) {
                    rtt.recordValue(System.nanoTime() - s);
                }
            }
            record(size == 16 ? "rtt" : "rtt4k", "", rtt);
        }
    }

    private static Caller caller(int node) {
        return new Caller(0, 0, 1000 + node, node);
    }

    // ---- Hazelcast ------------------------------------------------------------

    private void hazelcast(HazelcastCluster c, int round) throws Exception {
        HazelcastInstance m1 = c.members.get(0);
        HazelcastInstance m2 = c.members.get(1);
        HazelcastInstance m3 = c.members.get(2);

        // Hazelcast assigns partitions at the first use of one: before the owners are asked, all of them.
        m1.getMap("kddm-bench-warm").set(0, new byte[0]);
        Figures.await("every Hazelcast partition has an owner", Duration.ofSeconds(30),
                () -> m1.getPartitionService().getPartitions().stream().allMatch(p -> p.getOwner() != null));
        // Ping-pong over two queues, each owned by its receiver (a take is local, an offer one hop).
        String ping = queueOwnedBy(c, 2, "ping-" + round);
        String pong = queueOwnedBy(c, 1, "pong-" + round);
        IQueue<byte[]> ping1 = m1.getQueue(ping);
        IQueue<byte[]> pong1 = m1.getQueue(pong);
        IQueue<byte[]> ping2 = m2.getQueue(ping);
        IQueue<byte[]> pong2 = m2.getQueue(pong);
        byte[] payload = new byte[16];
        pingPong("hz", () -> {
            ping1.put(payload);
            pong1.take();
        }, () -> pong2.put(ping2.take()));
        ping1.destroy();
        pong1.destroy();

        // Hand-off: ISemaphore is CP (Enterprise only here), so IMap.lock/unlock of a key member 3 owns.
        IMap<Integer, byte[]> locks1 = m1.getMap("locks-" + round);
        IMap<Integer, byte[]> locks2 = m2.getMap("locks-" + round);
        int lockKey = c.keysOwnedBy(3, 0, 1).get(0);
        handOff("hz", new Mutex() {
            @Override
            public void acquire(int side) {
                (side == 0 ? locks1 : locks2).lock(lockKey);
            }

            @Override
            public void release(int side) {
                (side == 0 ? locks1 : locks2).unlock(lockKey);
            }
        });
        locks1.destroy();

        // IAtomicLong is CP too: IMap of 4 KiB values instead, keys owned by member 1 (the writer).
        IMap<Integer, byte[]> map1 = m1.getMap("pages-" + round);
        IMap<Integer, byte[]> map2 = m2.getMap("pages-" + round);
        IMap<Integer, byte[]> map3 = m3.getMap("pages-" + round);
        List<Integer> keys = c.keysOwnedBy(1, 0, PAGES);
        Histogram read = Figures.histogram();
        for (int i = 0; i < faults + faults / 4; i++) {
            int k = keys.get(i % PAGES);
            byte[] page = new byte[PAGE];
            page[0] = (byte) i;
            map1.set(k, page);
            long s = System.nanoTime();
            byte[] got = map2.get(k);
            long t = System.nanoTime() - s;
            check(got[0] == (byte) i, "member 2 read a value older than member 1's last set");
            if (i >= faults / 4) {
                read.recordValue(t);
            }
        }
        record("read", "hz", read);
        Histogram write = Figures.histogram();
        for (int i = 0; i < faults + faults / 4; i++) {
            int k = keys.get(i % PAGES);
            map2.get(k);
            map3.get(k);
            byte[] page = new byte[PAGE];
            page[0] = (byte) (i + 1);
            long s = System.nanoTime();
            map1.set(k, page);
            long t = System.nanoTime() - s;
            if (i >= faults / 4) {
                write.recordValue(t);
            }
        }
        record("write", "hz", write);
        map1.destroy();
    }

    /** A queue name whose partition member {@code member} owns. */
    private static String queueOwnedBy(HazelcastCluster c, int member, String prefix) {
        for (int i = 0;; i++) {
            String name = "kddm-bench-" + prefix + "-" + i;
            if (c.ownedBy(member, c.members.get(0).getQueue(name).getPartitionKey())) {
                return name;
            }
        }
    }

    // ---- the two measurements shared by both systems ------------------------------

    interface Step {
        void run() throws Exception;
    }

    /** A mutex two sides (0: node or member 1, 1: node or member 2) take from each other. */
    interface Mutex {
        void acquire(int side) throws Exception;

        void release(int side) throws Exception;
    }

    /** Round trips of {@code client} (node 1) while {@code server} (node 2) answers each in a thread of its own. */
    private void pingPong(String system, Step client, Step server) throws Exception {
        int total = pingPongs + pingPongs / 4;
        Throwable[] failed = new Throwable[1];
        Thread answering = new Thread(() -> {
            try {
                for (int i = 0; i < total; i++) {
                    server.run();
                }
            } catch (Throwable e) {
                failed[0] = e;
            }
        }, "bench-pong-" + system);
        answering.start();
        Histogram h = Figures.histogram();
        for (int i = 0; i < total; i++) {
            long s = System.nanoTime();
            client.run();
            if (i >= pingPongs / 4) {
                h.recordValue(System.nanoTime() - s);
            }
        }
        answering.join(WAIT.toMillis());
        check(!answering.isAlive() && failed[0] == null, system + " ping-pong server failed: " + failed[0]);
        record("pingpong", system, h);
    }

    /**
     * Hands the mutex between two threads, each standing for its node: a side
     * asks for it only once the other holds it (so it waits in the mutex's line
     * for its release), and each hand-off is timed from the holder's release
     * call to the return of the other's acquire. Mutual exclusion is checked.
     */
    private void handOff(String system, Mutex mutex) throws Exception {
        int total = handOffs + handOffs / 4;
        Object turn = new Object();
        int[] acquired = {0}; // acquisitions so far; side (n % 2) acquires the n-th
        long[] releasedAt = {0};
        AtomicInteger inside = new AtomicInteger();
        Histogram h = Figures.histogram();
        Throwable[] failed = new Throwable[2];
        Thread[] sides = new Thread[2];
        for (int side = 0; side < 2; side++) {
            int me = side;
            sides[side] = new Thread(() -> {
                try {
                    for (int n = me; n < total; n += 2) {
                        synchronized (turn) {
                            while (acquired[0] < n) { // the other side has not taken it yet
                                turn.wait();
                            }
                        }
                        mutex.acquire(me);
                        long t = System.nanoTime();
                        check(inside.incrementAndGet() == 1, system + ": two holders");
                        synchronized (turn) {
                            if (n > handOffs / 4) {
                                h.recordValue(t - releasedAt[0]);
                            }
                            acquired[0] = n + 1;
                            turn.notifyAll();
                        }
                        inside.decrementAndGet();
                        // releasedAt written before the release: the other side reads it after its acquire.
                        synchronized (turn) {
                            releasedAt[0] = System.nanoTime();
                        }
                        mutex.release(me);
                    }
                } catch (Throwable e) {
                    failed[me] = e;
                    synchronized (turn) {
                        acquired[0] = Integer.MAX_VALUE / 2; // let the other side run out
                        turn.notifyAll();
                    }
                }
            }, "bench-handoff-" + system + "-" + side);
        }
        for (Thread t : sides) {
            t.start();
        }
        for (Thread t : sides) {
            t.join(Duration.ofMinutes(2).toMillis());
            check(!t.isAlive(), system + " hand-off did not end within 2 minutes");
        }
        for (Throwable e : failed) {
            if (e != null) {
                throw new IllegalStateException(system + " hand-off failed", e);
            }
        }
        record("handoff", system, h);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    private void record(String workload, String system, Histogram h) {
        String cell = workload + (system.isEmpty() ? "" : " " + system);
        double p50 = h.getValueAtPercentile(50) / 1000.0;
        double p99 = h.getValueAtPercentile(99) / 1000.0;
        f.record(cell + " p50", p50);
        f.record(cell + " p99", p99);
        System.err.printf(Locale.ROOT, "  %-16s p50 %,9.1f us  p99 %,9.1f us  (%d)%n", cell, p50, p99,
                h.getTotalCount());
    }

    // ---- the table ----------------------------------------------------------------

    private String table(int rounds, long rechecks) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "3 kDDM nodes (MINA transport, the shm and ipc services as their bundles "
                + "make them) and 3 Hazelcast %s members, all in one JVM over 127.0.0.1 TCP. Both sides keep one "
                + "synchronous backup (the ipc and shm.page families; Hazelcast queue and map backup-count 1). "
                + "%d rounds, the order of the two systems alternating; each cell is the median over rounds of a "
                + "round's percentile (%,d ping-pongs, %,d hand-offs, %,d reads and %,d writes per round after a "
                + "quarter more as warm-up).%n%n", BuildInfoProvider.getBuildInfo().getVersion(), rounds,
                pingPongs, handOffs, faults, faults));
        b.append("Read the two ratio columns, which pair figures of the same round: Hazelcast / kDDM above 1 means "
                + "kDDM is faster; kDDM / transport round trip says how many blocking round trips of the "
                + "transport (16 B; 4 KiB for the page read) one operation costs. The absolute times move with the "
                + "machine's load from run to run.\n\n");
        b.append("| workload | kDDM p50, us | kDDM p99, us | Hazelcast p50, us | Hazelcast p99, us | Hazelcast / kDDM "
                + "(p50) | kDDM / transport round trip (p50) | what Hazelcast does |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---|\n");
        row(b, "message ping-pong, node 1 -> 2 -> 1 (msgsnd type 1 on Q1, node 2 blocked in msgrcv replies with "
                + "type 2 on Q2, node 1 msgrcv; 16 B)", "pingpong", "pingpong / rtt",
                "IQueue put/take on two queues, each owned by its receiver");
        row(b, "semaphore hand-off between nodes 1 and 2 (one semaphore at 1; from the holder's semop +1 to the "
                + "waiter's semop -1 returning)", "handoff", "handoff / rtt", cpUnavailable == null
                        ? "IMap.lock/unlock of a key member 3 owns (ISemaphore not measured)"
                        : "ISemaphore: **not measured, the CP subsystem is Enterprise-only in this version** (\""
                                + cpUnavailable + "\"); instead IMap.lock/unlock of a key member 3 owns, from "
                                + "unlock to the other member's lock returning");
        row(b, "shm remote read fault (node 1 wrote the 4 KiB page, node 2 reads it)", "read", "read / rtt",
                (cpUnavailable == null ? "" : "IAtomicLong is CP, not available; ")
                        + "IMap.get by member 2 of a 4 KiB value member 1 set, key owned by member 1");
        row(b, "shm write invalidating two readers (nodes 2 and 3 read the page, node 1 writes all 4 KiB)", "write",
                "write / rtt", "IMap.set by member 1 of a 4 KiB value of a key it owns, after members 2 and 3 got "
                        + "it (no copies to invalidate: one backup write)");
        b.append(String.format(Locale.ROOT, "| transport round trip 1 -> 2, 16 B (blocking caller) | %.1f | %.1f | | "
                + "| | 1.00 | |%n", f.median("rtt p50"), f.median("rtt p99")));
        b.append(String.format(Locale.ROOT, "| transport round trip 1 -> 2, 4 KiB (blocking caller) | %.1f | %.1f | "
                + "| | | | |%n", f.median("rtt4k p50"), f.median("rtt4k p99")));
        b.append(String.format(Locale.ROOT, "%nIPC waits that ended on the 2 s safety net rather than a wake-up, "
                + "whole run: %d.%n", rechecks));
        return b.toString();
    }

    private void row(StringBuilder b, String what, String w, String rtt, String hz) {
        b.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f | %.2f x | %.2f | %s |%n", what,
                f.median(w + " kddm p50"), f.median(w + " kddm p99"), f.median(w + " hz p50"),
                f.median(w + " hz p99"), f.median(w + " x"), f.median(rtt), hz));
    }
}
