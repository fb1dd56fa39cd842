package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.impl.core.History;
import io.kddm.impl.core.Linearizability;
import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;

/**
 * kDFS under contention from three in-process nodes (two with partitions, one
 * diskless) and several threads each, over a network that delays and reorders
 * messages: results are checked, not just the absence of exceptions.
 */
class ConcurrencyTest {
    private static final Caller ROOT = Caller.ROOT;
    private static final int THREADS = 2;
    @TempDir
    Path tmp;
    private KdfsCluster cluster;
    private ExecutorService pool;

    @AfterEach
    void close() throws InterruptedException {
        if (pool != null) {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private List<Kdfs> cluster() {
        cluster = new KdfsCluster(11, Duration.ofMillis(2), Arrays.asList(tmp.resolve("p1"), tmp.resolve("p2"), null));
        pool = Executors.newFixedThreadPool(3 * THREADS);
        return cluster.nodes();
    }

    interface Work {
        void run(Kdfs fs, int node, int thread) throws Exception;
    }

    /** Runs {@code work} on every thread of every node at once; rethrows the first failure. */
    private void everywhere(List<Kdfs> nodes, Work work) throws Exception {
        CyclicBarrier start = new CyclicBarrier(nodes.size() * THREADS);
        List<Future<?>> done = new ArrayList<>();
        for (int n = 0; n < nodes.size(); n++) {
            for (int t = 0; t < THREADS; t++) {
                int node = n + 1;
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    work.run(nodes.get(node - 1), node, thread);
                    return null;
                }));
            }
        }
        for (Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }
    }

    @Test
    void concurrentCreatesOfOneNameHaveExactlyOneWinner() throws Exception {
        List<Kdfs> nodes = cluster();
        int names = 40;
        // in a directory stored on node 2, so most creates cross the network
        int dir = nodes.get(1).mkdir(ROOT, nodes.get(1).root(), "race", 0755).ino();
        Map<String, List<String>> winners = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicLong lost = new AtomicLong();
        everywhere(nodes, (fs, node, thread) -> {
            for (int i = 0; i < names; i++) {
                try {
                    fs.create(ROOT, dir, "f" + i, 0644);
                    winners.computeIfAbsent("f" + i, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                            .add(node + "/" + thread);
                } catch (KdfsException e) {
                    assertEquals(Errno.EEXIST, e.errno(), e.getMessage());
                    lost.incrementAndGet();
                }
            }
        });
        for (int i = 0; i < names; i++) {
            assertEquals(1, winners.getOrDefault("f" + i, List.of()).size(), "winners of f" + i + ": " + winners);
        }
        assertEquals((long) names * (3 * THREADS - 1), lost.get());
        for (Kdfs fs : nodes) {
            assertEquals(names + 2, fs.readdir(ROOT, dir, 0, 1000).size());
        }
    }

    @Test
    void concurrentAppendsFromThreeNodesLoseNoByte() throws Exception {
        List<Kdfs> nodes = cluster();
        int file = nodes.get(0).create(ROOT, nodes.get(0).root(), "log", 0644).ino();
        int records = 60;
        everywhere(nodes, (fs, node, thread) -> {
            try (OpenFile f = fs.open(ROOT, file, OpenFile.WRITE | OpenFile.APPEND)) {
                for (int i = 0; i < records; i++) {
                    f.write(0, String.format("%d-%d-%04d|", node, thread, i).getBytes(StandardCharsets.US_ASCII));
                }
            }
        });
        int record = "1-0-0000|".length();
        long expected = (long) 3 * THREADS * records * record;
        for (Kdfs fs : nodes) {
            assertEquals(expected, fs.getattr(file).size());
            String all;
            try (OpenFile f = fs.open(ROOT, file, OpenFile.READ)) {
                all = new String(f.read(0, (int) expected), StandardCharsets.US_ASCII);
            }
            Map<String, Integer> next = new HashMap<>();
            for (int at = 0; at < all.length(); at += record) {
                String r = all.substring(at, at + record);
                assertTrue(r.matches("\\d-\\d-\\d{4}\\|"), "torn record at " + at + ": " + r);
                String writer = r.substring(0, 3);
                int seq = Integer.parseInt(r.substring(4, 8));
                // each writer's appends land in the order it made them, none lost, none twice
                assertEquals(next.getOrDefault(writer, 0), seq, "writer " + writer + " at " + at);
                next.put(writer, seq + 1);
            }
            assertEquals(3 * THREADS, next.size());
            next.values().forEach(n -> assertEquals(records, n));
        }
    }

    /**
     * Files as registers: a value is an 8-byte number repeated over a region that
     * spans three data pages, written and read whole by every thread of every
     * node; a read that finds the region torn (two values) records a value never
     * written. Each file's history must be linearizable: a write completed on one
     * node is seen whole by any read started afterwards, anywhere.
     */
    @Test
    void readsAndWritesOfFilesAreLinearizable() throws Exception {
        List<Kdfs> nodes = cluster();
        int files = 3;
        int[] ino = new int[files];
        for (int i = 0; i < files; i++) {
            // stored on nodes 1, 2 and 1
            ino[i] = nodes.get(i % 2).create(ROOT, nodes.get(0).root(), "reg" + i, 0644).ino();
        }
        long offset = PageLinker.FILE_PAGE - 8;
        int region = 2 * PageLinker.FILE_PAGE + 16;
        History history = new History();
        AtomicLong clock = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        everywhere(nodes, (fs, node, thread) -> {
            Random random = new Random(node * 100 + thread);
            OpenFile[] open = new OpenFile[files];
            for (int i = 0; i < files; i++) {
                open[i] = fs.open(ROOT, ino[i], OpenFile.READ | OpenFile.WRITE);
            }
            try {
                for (int op = 0; op < 120; op++) {
                    int f = random.nextInt(files);
                    long invoke = clock.incrementAndGet();
                    if (random.nextInt(3) == 0) {
                        long value = node * 1_000_000L + thread * 10_000L + op + 1;
                        ByteBuffer b = ByteBuffer.allocate(region);
                        while (b.hasRemaining()) {
                            b.putLong(value);
                        }
                        open[f].write(offset, b.array());
                        history.add(new History.Op(f, History.Kind.WRITE, value, 0, invoke, clock.incrementAndGet()));
                    } else {
                        ByteBuffer b = ByteBuffer.wrap(open[f].read(offset, region));
                        long value = b.remaining() == 0 ? 0 : b.getLong();
                        while (b.hasRemaining()) {
                            if (b.getLong() != value) {
                                value = -1; // torn: never written
                                break;
                            }
                        }
                        history.add(new History.Op(f, History.Kind.READ, 0, value, invoke, clock.incrementAndGet()));
                    }
                }
            } catch (Throwable t) {
                errors.add(t);
            } finally {
                for (OpenFile o : open) {
                    o.close();
                }
            }
        });
        assertTrue(errors.isEmpty(), () -> "failures: " + errors);
        assertEquals(3 * THREADS * 120, Linearizability.checkAll(history));
    }

    @Test
    void concurrentRenamesAcrossDirectoriesOfDifferentNodesKeepEveryFileOnce() throws Exception {
        List<Kdfs> nodes = cluster();
        Kdfs one = nodes.get(0);
        int a = one.mkdir(ROOT, one.root(), "a", 0755).ino(); // node 1
        int b = nodes.get(1).mkdir(ROOT, one.root(), "b", 0755).ino(); // node 2
        int count = 12;
        for (int i = 0; i < count; i++) {
            one.create(ROOT, i % 2 == 0 ? a : b, "f" + i, 0644);
        }
        // every thread moves files back and forth between a and b, and a and b into each other and back
        // (ENOENT if the entry is elsewhere by then, EINVAL for a move into its own subtree)
        everywhere(nodes, (fs, node, thread) -> {
            Random random = new Random(node * 10 + thread);
            int root = fs.root();
            for (int i = 0; i < 40; i++) {
                try {
                    if (random.nextInt(4) == 0) {
                        boolean aMoves = random.nextBoolean();
                        String name = aMoves ? "a" : "b";
                        int other = aMoves ? b : a;
                        if (random.nextBoolean()) {
                            fs.rename(ROOT, root, name, other, name);
                        } else {
                            fs.rename(ROOT, other, name, root, name);
                        }
                    } else {
                        String name = "f" + random.nextInt(count);
                        boolean toB = random.nextBoolean();
                        fs.rename(ROOT, toB ? a : b, name, toB ? b : a, name);
                    }
                } catch (KdfsException e) {
                    assertTrue(e.errno() == Errno.ENOENT || e.errno() == Errno.EINVAL, e.getMessage());
                }
            }
        });
        for (Kdfs fs : nodes) {
            List<String> all = new ArrayList<>();
            for (int dir : new int[] {a, b}) {
                fs.readdir(ROOT, dir, 2, 1000).stream().filter(e -> e.type() == io.kddm.kdfs.FileType.REGULAR)
                        .forEach(e -> all.add(e.name()));
            }
            all.sort(null);
            List<String> want = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                want.add("f" + i);
            }
            want.sort(null);
            assertEquals(want, all);
            // a tree, whichever moves won: each of a and b in the root or in the other, never both inside
            int aParent = fs.lookup(ROOT, a, "..").ino();
            int bParent = fs.lookup(ROOT, b, "..").ino();
            assertTrue(aParent == fs.root() || bParent == fs.root(), "a and b inside each other");
            for (int[] d : new int[][] {{a, aParent}, {b, bParent}}) {
                String name = d[0] == a ? "a" : "b";
                assertEquals(d[0], fs.lookup(ROOT, d[1], name).ino(), name + " is where its '..' says");
                assertEquals(2 + (d[0] == aParent || d[0] == bParent ? 1 : 0), fs.getattr(d[0]).nlink(), name);
            }
            int inRoot = (aParent == fs.root() ? 1 : 0) + (bParent == fs.root() ? 1 : 0);
            assertEquals(2 + inRoot, fs.getattr(fs.root()).nlink());
        }
        assertTrue(cluster.syncAll().isEmpty());
    }

    /** Runs two loops at once, each round of the two started together; rethrows the first failure. */
    private void race(int rounds, java.util.function.IntConsumer a, java.util.function.IntConsumer b) throws Exception {
        CyclicBarrier round = new CyclicBarrier(2);
        List<Future<?>> loops = new ArrayList<>();
        for (java.util.function.IntConsumer loop : List.of(a, b)) {
            loops.add(pool.submit(() -> {
                for (int i = 0; i < rounds; i++) {
                    round.await(30, TimeUnit.SECONDS);
                    loop.accept(i);
                }
                return null;
            }));
        }
        for (Future<?> f : loops) {
            f.get(120, TimeUnit.SECONDS);
        }
    }

    /**
     * Delays {@code side} (1 or 2) by 30 ms in one round of three, the other side
     * in the next, neither in the third: the plain race and both orders.
     */
    private static void headStart(int round, int side) {
        if (round % 3 == side) {
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void allow(KdfsException e, Errno... errnos) {
        if (!Arrays.asList(errnos).contains(e.errno())) {
            throw e;
        }
    }

    /**
     * Operations that used to lock upwards, or to act on an inode whose last
     * name had just gone, against the operations they collided with (found by a
     * review): no hang (a hang would end in an EIO after the operation timeout),
     * no name left without its inode, no file moved into a removed directory.
     */
    @Test
    void racesOnRemovedInodesAndUpwardLocksEndCleanly() throws Exception {
        List<Kdfs> nodes = cluster();
        Kdfs one = nodes.get(0);
        Kdfs two = nodes.get(1);
        int a = one.mkdir(ROOT, one.root(), "a", 0755).ino();
        // a link of a directory into its own child, while the child comes and goes
        race(40, i -> {
            try {
                one.link(ROOT, a, one.resolve(ROOT, "/a/b").ino(), "up");
            } catch (KdfsException e) {
                allow(e, Errno.EPERM, Errno.ENOENT);
            }
        }, i -> {
            two.mkdir(ROOT, a, "b", 0755);
            two.rmdir(ROOT, a, "b");
        });
        // a hard link made while the last name goes: it either fails or its name works
        int d = one.mkdir(ROOT, one.root(), "d", 0755).ino();
        int[] links = new int[2]; // made, refused
        for (int i = 0; i < 25; i++) {
            int f = one.create(ROOT, one.root(), "f", 0644).ino();
            boolean[] linked = new boolean[1];
            int round = i;
            race(1, x -> {
                headStart(round, 1);
                one.unlink(ROOT, one.root(), "f");
            }, x -> {
                headStart(round, 2);
                try {
                    two.link(ROOT, f, d, "g" + round);
                    linked[0] = true;
                } catch (KdfsException e) {
                    allow(e, Errno.ENOENT);
                }
            });
            if (linked[0]) {
                assertEquals(f, two.resolve(ROOT, "/d/g" + round).ino());
                assertEquals(1, one.getattr(f).nlink());
            }
            links[linked[0] ? 0 : 1]++;
        }
        int[] moves = new int[2]; // rename won, rmdir won
        // a rename into a directory being removed: both cannot succeed
        for (int i = 0; i < 25; i++) {
            int victim = one.mkdir(ROOT, one.root(), "victim", 0755).ino();
            one.create(ROOT, one.root(), "m", 0644);
            boolean[] done = new boolean[2];
            int round = i;
            race(1, x -> {
                headStart(round, 1);
                try {
                    one.rmdir(ROOT, one.root(), "victim");
                    done[0] = true;
                } catch (KdfsException e) {
                    allow(e, Errno.ENOTEMPTY);
                }
            }, x -> {
                try {
                    two.rename(ROOT, two.root(), "m", victim, "m");
                    done[1] = true;
                } catch (KdfsException e) {
                    allow(e, Errno.ENOENT);
                }
            });
            assertTrue(done[0] != done[1], "exactly one of rmdir and rename took effect: " + Arrays.toString(done));
            moves[done[1] ? 0 : 1]++;
            if (done[1]) {
                one.unlink(ROOT, victim, "m");
                one.rmdir(ROOT, one.root(), "victim");
            } else {
                one.unlink(ROOT, one.root(), "m");
            }
        }
        // lookups of a name that a rename keeps replacing never miss it
        one.create(ROOT, one.root(), "cfg", 0644);
        race(60, i -> {
            two.create(ROOT, two.root(), "tmp" + i, 0644);
            two.rename(ROOT, two.root(), "tmp" + i, two.root(), "cfg");
        }, i -> nodes.get(2).lookup(ROOT, nodes.get(2).root(), "cfg"));
        System.out.println("races: link made " + links[0] + ", refused " + links[1] + "; rename into a directory won "
                + moves[0] + ", its rmdir won " + moves[1]);
        // the local side wins a plain race: the head starts make sure both orders were run
        assertTrue(links[0] > 0 && links[1] > 0 && moves[0] > 0 && moves[1] > 0, "both orders seen");
    }

    /**
     * Pages written while write-back passes run are on disk once close (an fsync)
     * returns: a restart from node 2's partition as it was then reads them all.
     */
    @Test
    void writesDuringWriteBackPassesAllReachTheDisk() throws Exception {
        List<Kdfs> nodes = cluster();
        Kdfs three = nodes.get(2);
        int f = nodes.get(1).create(ROOT, three.root(), "busy", 0644).ino(); // stored on node 2
        int pages = 40;
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Future<?> syncer = pool.submit(() -> {
            while (writing.get()) {
                cluster.syncAll();
            }
            return null;
        });
        try (OpenFile o = three.open(ROOT, f, OpenFile.WRITE)) {
            for (int round = 0; round < 3; round++) {
                for (int p = 0; p < pages; p++) {
                    byte[] b = new byte[16];
                    Arrays.fill(b, (byte) (round * 50 + p));
                    o.write((long) p * PageLinker.FILE_PAGE, b);
                }
            }
            o.fsync(); // the acknowledgement a crash must not undo (a close does not wait for the disk)
        }
        Path atClose = KdfsCluster.copy(tmp.resolve("p2"), tmp.resolve("p2-at-close")); // as a crash would leave it
        writing.set(false);
        syncer.get(60, TimeUnit.SECONDS);
        assertTrue(cluster.syncAll().isEmpty());
        cluster.close();
        cluster = new KdfsCluster(12, Duration.ofMillis(1), Arrays.asList(tmp.resolve("p1"), atClose, null), false);
        try (OpenFile o = cluster.node(1).open(ROOT, f, OpenFile.READ)) {
            for (int p = 0; p < pages; p++) {
                byte[] b = o.read((long) p * PageLinker.FILE_PAGE, 16);
                byte[] want = new byte[16];
                Arrays.fill(want, (byte) (100 + p));
                assertTrue(Arrays.equals(want, b), "page " + p + " after the restart: " + Arrays.toString(b));
            }
        }
    }

    /**
     * kdfs:sync right after closes whose write-backs are running on the close thread:
     * every inode ends forced (its last store a sync), none left at an unforced
     * write-back that the sync's list missed while it was being stored.
     */
    @Test
    void aSyncRightAfterClosesForcesEveryInodeTheClosesWroteBack() throws Exception {
        cluster = new KdfsCluster(21, Duration.ofMillis(1), Arrays.asList(tmp.resolve("p1"), tmp.resolve("p2"), null));
        List<Integer> files = new java.util.ArrayList<>();
        for (int round = 0; round < 12; round++) { // the code before the fix failed 1 run in 3 with 5 rounds
            for (int i = 0; i < 40; i++) {
                Kdfs fs = cluster.node(1 + i % 3);
                int f = fs.create(ROOT, fs.root(), "r" + round + "-" + i, 0644).ino();
                try (OpenFile o = fs.open(ROOT, f, OpenFile.WRITE)) {
                    o.write(0, new byte[] {(byte) i});
                }
                files.add(f);
            }
            assertTrue(cluster.syncAll().isEmpty()); // races the close write-backs just started
        }
        for (int f : files) {
            assertEquals("sync", cluster.lastInodeStore.get(Ino.object(f)), "inode " + Ino.format(f)
                    + " was last stored unforced after kdfs:sync returned");
        }
    }
}
