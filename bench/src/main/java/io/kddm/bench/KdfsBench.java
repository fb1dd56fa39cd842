package io.kddm.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.OpenFile;
import io.kddm.kdfs.impl.LocalKdfs;

/**
 * kDFS through its Java API ({@link Kdfs}) next to the same operations with
 * java.nio.file on the native file system that holds the partitions, in one
 * run, on one node and on three (node 2 in a JVM of its own, see
 * {@link KdfsNodes}):
 * <ul>
 * <li>mdtest-like metadata: creates, stats (lookup + getattr), unlinks of N
 * empty files in one directory and in 100 directories; and, with fewer files,
 * creates made durable (kDFS's write-back, fsyncs for java.nio) and unlinks
 * of durable files;</li>
 * <li>a sequential write (1 MiB writes, then close, which writes back to disk)
 * and read of one large file, and 4 KiB random reads of it: cached (read once
 * before), and cold.</li>
 * </ul>
 * Each round makes fresh partitions; the order of kDFS and java.nio alternates
 * per round; a ratio is taken within a round; every cell is the median over rounds.
 */
public final class KdfsBench {
    private static final Caller ROOT = Caller.ROOT;
    private static final int MIB = 1 << 20;
    /** kDFS's data page (PageLinker.FILE_PAGE): a cold read touches whole pages. */
    private static final int PAGE = 64 * 1024;
    private static final int SMALL = 4096;
    private static final int DIRS = 100;
    private static final long STARTED = System.nanoTime();

    /** One line of the table. */
    private record Row(String key, String nodes, String who, String what, String unit) {
    }

    private interface Rate {
        double run() throws Exception;
    }

    private interface FileOp {
        void run(int i) throws Exception;
    }

    private final Figures f = new Figures();
    private final Map<String, Row> rows = new LinkedHashMap<>();
    private final int files;
    private final int durableFiles;
    private final int mib;
    private final int randomReads;
    private final int coldReads;
    private final long budget;
    private final byte[] secret = new byte[32];
    private final byte[] template = new byte[MIB];
    private final Path scratch;
    private final Path nio;
    private int round;

    private KdfsBench(Path scratch, int files, int mib, long budget) throws IOException {
        this.scratch = scratch;
        this.nio = Files.createDirectories(scratch.resolve("nio"));
        this.files = files;
        this.durableFiles = Math.max(DIRS, files / 10);
        this.mib = mib;
        this.randomReads = 100_000;
        this.coldReads = Math.min(1000, (int) ((long) mib * MIB / PAGE));
        this.budget = budget;
        new SecureRandom().nextBytes(secret);
        new Random(42).nextBytes(template);
    }

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(1); // nodes still up would keep this JVM alive
        }
        System.exit(0);
    }

    private static void run(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(); // for BenchArgs
        List<String> shown = new ArrayList<>(); // the command line, as the document shows it (without --doc)
        Integer files = null;
        Integer mib = null;
        int budgetMb = 1024;
        for (int i = 0; i < args.length; i++) {
            String o = args[i];
            boolean valued = List.of("--files", "--mib", "--budget-mb", "--doc", "--rounds").contains(o);
            String v = valued && i + 1 < args.length ? args[++i] : null;
            switch (o) {
                case "--files" -> files = Integer.parseInt(v);
                case "--mib" -> mib = Integer.parseInt(v);
                case "--budget-mb" -> budgetMb = Integer.parseInt(v);
                default -> {
                    rest.add(o);
                    if (v != null) {
                        rest.add(v);
                    }
                }
            }
            if (!o.equals("--doc")) {
                shown.add(o);
                if (v != null) {
                    shown.add(v);
                }
            }
        }
        BenchArgs a;
        try {
            a = BenchArgs.parse(rest.toArray(String[]::new));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "; or --files N (default 10000), --mib N (default "
                    + "256), --budget-mb N (default 1024)");
        }
        int rounds = a.rounds(5);
        files = files != null ? files : a.quick() ? 2000 : 10_000;
        mib = mib != null ? mib : a.quick() ? 32 : 256;
        if (files % DIRS != 0) {
            throw new IllegalArgumentException("--files must be a multiple of " + DIRS);
        }
        long start = System.nanoTime();
        String table;
        try (Scratch scratch = new Scratch("kdfs")) {
            KdfsBench b = new KdfsBench(scratch.dir, files, mib, (long) budgetMb * MIB);
            for (b.round = 0; b.round < rounds; b.round++) {
                System.err.printf("round %d of %d%n", b.round + 1, rounds);
                b.oneNode();
                b.threeNodes();
            }
            table = b.table(rounds, budgetMb, Files.getFileStore(scratch.dir).type(),
                    (System.nanoTime() - start) / 1e9);
        }
        System.out.println(table);
        a.writeSection("kdfs", "kDFS vs java.nio.file on the native file system",
                String.join(" ", concat("bench/run kdfs", shown)), table);
    }

    private static List<String> concat(String first, List<String> more) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(more);
        return all;
    }

    // ---- configurations -----------------------------------------------------------

    private void oneNode() throws Exception {
        Path p1 = scratch.resolve("one-p1");
        KdfsNodes.format(p1, null);
        String n = "1";
        KdfsNodes c = KdfsNodes.one(p1, secret, budget);
        try {
            for (int dirs : new int[] {1, DIRS}) {
                metadata(c, n, "node 1", 1, 1, null, dirs);
            }
            durable(c, n, "node 1", 1, 1);
            c = data(c, n, () -> KdfsNodes.one(p1, secret, budget), p1, null, 1, null);
        } finally {
            c.halt();
        }
        Scratch.delete(p1);
    }

    private void threeNodes() throws Exception {
        Path p1 = scratch.resolve("three-p1");
        Path p2 = scratch.resolve("three-p2");
        KdfsNodes.format(p1, p2);
        String n = "3";
        KdfsNodes c = KdfsNodes.three(p1, p2, secret, budget);
        try {
            for (int dirs : new int[] {1, DIRS}) {
                metadata(c, n, "node 1; directories stored on node 2, the files on node 1", 1, 3, null, dirs);
            }
            for (int dirs : new int[] {1, DIRS}) {
                metadata(c, n, "node 3 (diskless); directories and files stored on node 2", 3, 3, 1, dirs);
            }
            durable(c, n, "node 3 (diskless); directory and files stored on node 2", 3, 3);
            c = data(c, n, () -> KdfsNodes.three(p1, p2, secret, budget), p1, p2, 3, 1);
        } finally {
            c.halt();
        }
        Scratch.delete(p1);
        Scratch.delete(p2);
    }

    private interface Start {
        KdfsNodes start() throws Exception;
    }

    // ---- metadata -----------------------------------------------------------------

    /**
     * Creates, stats and unlinks {@link #files} empty files from node {@code op},
     * in {@code dirs} directories that node {@code maker} made (under the root);
     * with {@code other}, that node also stats them. Nothing is written back
     * while it runs (the files are gone before the next write-back); the
     * directories are written back, untimed, before and after.
     */
    private void metadata(KdfsNodes c, String nodes, String who, int op, int maker, Integer other, int dirs)
            throws Exception {
        String layout = String.format(Locale.ROOT, "%,d files in %d director%s", files, dirs, dirs == 1 ? "y" : "ies");
        String key = nodes + " " + op + " " + dirs;
        Kdfs fs = c.fs(op);
        Kdfs mk = c.fs(maker);
        String top = "md-" + nodes + "-" + op + "-" + dirs + "-r" + round;
        int topIno = mk.mkdir(ROOT, mk.root(), top, 0755).ino();
        int[] dirIno = new int[dirs];
        Path nioTop = Files.createDirectory(nio.resolve(top));
        Path[] nioDir = new Path[dirs];
        for (int d = 0; d < dirs; d++) {
            dirIno[d] = dirs == 1 ? topIno : mk.mkdir(ROOT, topIno, "d" + d, 0755).ino();
            nioDir[d] = dirs == 1 ? nioTop : Files.createDirectory(nioTop.resolve("d" + d));
        }
        c.sync(maker);
        int perDir = files / dirs;

        pair(row(key + " create", nodes, who, layout + ": create", "files/s"),
                () -> rate(files, i -> fs.create(ROOT, dirIno[i / perDir], "f" + i, 0644)),
                () -> rate(files, i -> Files.createFile(nioDir[i / perDir].resolve("f" + i))));
        pair(row(key + " stat", nodes, who, layout + ": stat (lookup + getattr)", "files/s"),
                () -> rate(files, i -> stat(fs, dirIno[i / perDir], "f" + i)),
                () -> rate(files, i -> Files.readAttributes(nioDir[i / perDir].resolve("f" + i),
                        BasicFileAttributes.class)));
        if (other != null) {
            Kdfs o = c.fs(other);
            pair(row(key + " stat other", nodes, "node " + other + ", the files node " + op + " made (stored on "
                    + "node 2), never held before", layout + ": stat (lookup + getattr); java.nio: the same stats, "
                    + "local and cached (so the ratio is the price of a first stat from afar)", "files/s"),
                    () -> rate(files, i -> stat(o, dirIno[i / perDir], "f" + i)),
                    () -> rate(files, i -> Files.readAttributes(nioDir[i / perDir].resolve("f" + i),
                            BasicFileAttributes.class)));
        }
        pair(row(key + " unlink", nodes, who, layout + ": unlink", "files/s"),
                () -> rate(files, i -> fs.unlink(ROOT, dirIno[i / perDir], "f" + i)),
                () -> rate(files, i -> Files.delete(nioDir[i / perDir].resolve("f" + i))));

        c.sync(op);
        if (dirs > 1) {
            for (int d = 0; d < dirs; d++) {
                mk.rmdir(ROOT, topIno, "d" + d);
                Files.delete(nioDir[d]);
            }
        }
        mk.rmdir(ROOT, mk.root(), top);
        Files.delete(nioTop);
        c.sync(maker);
    }

    private static void stat(Kdfs fs, int dir, String name) {
        Attr a = fs.lookup(ROOT, dir, name);
        fs.getattr(a.ino());
    }

    /**
     * Creates {@link #durableFiles} files in one directory and makes them durable
     * (kDFS: the node's write-back, kdfs:sync; java.nio: force of each file and of
     * the directory), then unlinks them and makes that durable.
     */
    private void durable(KdfsNodes c, String nodes, String who, int op, int maker) throws Exception {
        String key = nodes + " " + op + " durable";
        Kdfs fs = c.fs(op);
        Kdfs mk = c.fs(maker);
        String top = "durable-" + nodes + "-r" + round;
        int dir = mk.mkdir(ROOT, mk.root(), top, 0755).ino();
        Path nioDir = Files.createDirectory(nio.resolve(top));
        c.sync(maker);
        int n = durableFiles;
        pair(row(key + " create", nodes, who, String.format(Locale.ROOT, "%,d files in 1 directory: create, then "
                + "write back (kdfs:sync; java.nio: force each file, then the directory)", n), "files/s"),
                () -> {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        fs.create(ROOT, dir, "f" + i, 0644);
                    }
                    c.sync(op);
                    return n / seconds(t0);
                },
                () -> {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        Files.createFile(nioDir.resolve("f" + i));
                    }
                    for (int i = 0; i < n; i++) {
                        try (FileChannel ch = FileChannel.open(nioDir.resolve("f" + i), StandardOpenOption.WRITE)) {
                            ch.force(true);
                        }
                    }
                    forceDir(nioDir);
                    return n / seconds(t0);
                });
        pair(row(key + " unlink", nodes, who, String.format(Locale.ROOT, "the same %,d files, written back: unlink, "
                + "then write back (java.nio: force the directory)", n), "files/s"),
                () -> {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        fs.unlink(ROOT, dir, "f" + i);
                    }
                    c.sync(op);
                    return n / seconds(t0);
                },
                () -> {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        Files.delete(nioDir.resolve("f" + i));
                    }
                    forceDir(nioDir);
                    return n / seconds(t0);
                });
        mk.rmdir(ROOT, mk.root(), top);
        Files.delete(nioDir);
        c.sync(maker);
    }

    private static void forceDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    // ---- data ---------------------------------------------------------------------

    /**
     * Node {@code writer} writes a file of {@link #mib} MiB in the root directory
     * and reads it back (cached), sequentially and at random; with {@code other},
     * that node then reads it, never having held it. Then, twice, every node
     * stops and a fresh cluster starts over the same partitions ({@code start}),
     * the file's bytes dropped from the OS page cache, and the writer reads it
     * cold: sequentially, then (second restart) at random, each read in a page
     * not read before. Returns the cluster now running.
     */
    private KdfsNodes data(KdfsNodes c, String nodes, Start start, Path p1, Path p2, int writer, Integer other)
            throws Exception {
        String key = nodes + " data";
        String name = "big-" + nodes + "-r" + round;
        Path nioFile = nio.resolve(name);
        String size = mib + " MiB file";
        int[] ino = new int[1];
        String who = nodes.equals("1") ? "node 1" : "node " + writer + " (diskless); file stored on node 2";
        pair(row(key + " write", nodes, who, size + ": sequential write, 1 MiB writes, then close (kDFS: writes "
                + "back; java.nio: force)", "MiB/s"), () -> {
                    Kdfs fs = c.fs(writer);
                    long t0 = System.nanoTime();
                    Attr a = fs.create(ROOT, fs.root(), name, 0644);
                    try (OpenFile of = fs.open(ROOT, a.ino(), OpenFile.WRITE)) {
                        byte[] chunk = template.clone();
                        for (int k = 0; k < mib; k++) {
                            mark(chunk, k);
                            of.write((long) k * MIB, chunk);
                        }
                    }
                    ino[0] = a.ino();
                    return mib / seconds(t0);
                }, () -> nioWrite(nioFile));
        pair(row(key + " read", nodes, who, size + ": sequential read, 1 MiB reads, cached (just written)",
                "MiB/s"), () -> kdfsRead(c.fs(writer), ino[0]), () -> nioRead(nioFile));
        long[] offsets = randomOffsets();
        pair(row(key + " random", nodes, who, String.format(Locale.ROOT, "%s: %,d random 4 KiB reads, cached (read once before)",
                size, offsets.length), "reads/s"), () -> kdfsRandom(c.fs(writer), ino[0], offsets),
                () -> nioRandom(nioFile, offsets));
        if (other != null) {
            pair(row(key + " read other", nodes, "node " + other + ", never held the file (stored on node 2, cached "
                    + "on node " + writer + ")", size + ": sequential read, 1 MiB reads, first read here; java.nio: "
                    + "cached (so the ratio is the price of a first read from another node's memory)", "MiB/s"),
                    () -> kdfsRead(c.fs(other), ino[0]), () -> nioRead(nioFile));
        }
        Path content = LocalKdfs.content(ino[0] >>> 24 == 1 ? p1 : p2, ino[0]); // the node in the inode id's high bits

        KdfsNodes cold = restart(c, start, content, nioFile);
        pair(row(key + " read cold", nodes, who, size + ": sequential read, 1 MiB reads, cold", "MiB/s"),
                () -> kdfsRead(cold.fs(writer), ino[0]), () -> nioRead(nioFile));

        KdfsNodes cold2 = restart(cold, start, content, nioFile);
        long[] coldOffsets = coldOffsets();
        pair(row(key + " random cold", nodes, who, String.format(Locale.ROOT, "%s: %,d random 4 KiB reads, cold, "
                + "each in a 64 KiB page not read before", size, coldOffsets.length), "reads/s"),
                () -> kdfsRandom(cold2.fs(writer), ino[0], coldOffsets), () -> nioRandom(nioFile, coldOffsets));
        Files.delete(nioFile);
        return cold2;
    }

    /** Stops every node, drops both files from the OS page cache, starts a fresh cluster. */
    private static KdfsNodes restart(KdfsNodes c, Start start, Path content, Path nioFile) throws Exception {
        c.halt();
        dropFromPageCache(content);
        dropFromPageCache(nioFile);
        return start.start();
    }

    /** posix_fadvise(DONTNEED) of the whole file, through GNU dd (the file is clean: it was forced). */
    private static void dropFromPageCache(Path file) throws Exception {
        Process p = new ProcessBuilder("dd", "if=" + file, "iflag=nocache", "count=0", "status=none")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("dd could not drop " + file + " from the page cache: " + out);
        }
    }

    /** Chunk {@code k} of the file: the template with k in its first four bytes. */
    private static void mark(byte[] chunk, int k) {
        chunk[0] = (byte) (k >>> 24);
        chunk[1] = (byte) (k >>> 16);
        chunk[2] = (byte) (k >>> 8);
        chunk[3] = (byte) k;
    }

    private byte expected(long offset) {
        int k = (int) (offset / MIB);
        int at = (int) (offset % MIB);
        return at < 4 ? (byte) (k >>> (24 - 8 * at)) : template[at];
    }

    private void checkChunk(byte[] b, int length, int k, String who) {
        if (length != MIB) {
            throw new IllegalStateException(who + ": chunk " + k + " has " + length + " bytes");
        }
        for (int at = 0; at < 4; at++) {
            if (b[at] != expected((long) k * MIB + at)) {
                throw new IllegalStateException(who + ": chunk " + k + " has the wrong mark");
            }
        }
        if (!Arrays.equals(b, 4, MIB, template, 4, MIB)) {
            throw new IllegalStateException(who + ": chunk " + k + " differs from what was written");
        }
    }

    private double nioWrite(Path file) throws IOException {
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] chunk = template.clone();
            ByteBuffer b = ByteBuffer.wrap(chunk);
            for (int k = 0; k < mib; k++) {
                mark(chunk, k);
                b.clear();
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            ch.force(true);
        }
        return mib / seconds(t0);
    }

    /** Only the read calls are timed: each chunk is checked between them. */
    private double kdfsRead(Kdfs fs, int ino) {
        long spent = 0;
        long t0 = System.nanoTime();
        try (OpenFile of = fs.open(ROOT, ino, OpenFile.READ)) {
            spent += System.nanoTime() - t0;
            for (int k = 0; k < mib; k++) {
                long s = System.nanoTime();
                byte[] b = of.read((long) k * MIB, MIB);
                spent += System.nanoTime() - s;
                checkChunk(b, b.length, k, "kDFS");
            }
            t0 = System.nanoTime();
        }
        spent += System.nanoTime() - t0;
        return mib / (spent / 1e9);
    }

    private double nioRead(Path file) throws IOException {
        long spent = 0;
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            spent += System.nanoTime() - t0;
            ByteBuffer b = ByteBuffer.allocate(MIB);
            for (int k = 0; k < mib; k++) {
                long s = System.nanoTime();
                b.clear();
                while (b.hasRemaining() && ch.read(b, (long) k * MIB + b.position()) >= 0) {
                    // reads until the chunk is full or the file ends
                }
                spent += System.nanoTime() - s;
                checkChunk(b.array(), b.position(), k, "java.nio");
            }
            t0 = System.nanoTime();
        }
        spent += System.nanoTime() - t0;
        return mib / (spent / 1e9);
    }

    /** Random 4 KiB-aligned offsets in the file. */
    private long[] randomOffsets() {
        Random r = new Random(1000 + round);
        long blocks = (long) mib * MIB / SMALL;
        long[] o = new long[randomReads];
        for (int i = 0; i < o.length; i++) {
            o[i] = (long) (r.nextDouble() * blocks) * SMALL;
        }
        return o;
    }

    /** One random 4 KiB-aligned offset in each of {@link #coldReads} distinct 64 KiB pages, in random order. */
    private long[] coldOffsets() {
        Random r = new Random(2000 + round);
        int pages = (int) ((long) mib * MIB / PAGE);
        List<Integer> all = new ArrayList<>();
        for (int p = 0; p < pages; p++) {
            all.add(p);
        }
        java.util.Collections.shuffle(all, r);
        long[] o = new long[coldReads];
        for (int i = 0; i < o.length; i++) {
            o[i] = (long) all.get(i) * PAGE + (long) r.nextInt(PAGE / SMALL) * SMALL;
        }
        return o;
    }

    private double kdfsRandom(Kdfs fs, int ino, long[] offsets) {
        try (OpenFile of = fs.open(ROOT, ino, OpenFile.READ)) {
            long t0 = System.nanoTime();
            for (long off : offsets) {
                byte[] b = of.read(off, SMALL);
                if (b.length != SMALL || b[7] != expected(off + 7)) {
                    throw new IllegalStateException("kDFS: wrong 4 KiB at " + off);
                }
            }
            return offsets.length / seconds(t0);
        }
    }

    private double nioRandom(Path file, long[] offsets) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(SMALL);
            long t0 = System.nanoTime();
            for (long off : offsets) {
                b.clear();
                while (b.hasRemaining() && ch.read(b, off + b.position()) >= 0) {
                    // reads until the block is full
                }
                if (b.position() != SMALL || b.get(7) != expected(off + 7)) {
                    throw new IllegalStateException("java.nio: wrong 4 KiB at " + off);
                }
            }
            return offsets.length / seconds(t0);
        }
    }

    // ---- machinery ----------------------------------------------------------------

    private static double rate(int n, FileOp op) throws Exception {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            op.run(i);
        }
        return n / seconds(t0);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private Row row(String key, String nodes, String who, String what, String unit) {
        return rows.computeIfAbsent(key, k -> new Row(k, nodes, who, what, unit));
    }

    /** Both sides, in this round's order; records each and their ratio (kDFS over java.nio). */
    private void pair(Row row, Rate kdfs, Rate nio) throws Exception {
        double k;
        double n;
        if (round % 2 == 0) {
            k = kdfs.run();
            n = nio.run();
        } else {
            n = nio.run();
            k = kdfs.run();
        }
        f.record(row.key + " kdfs", k);
        f.record(row.key + " nio", n);
        f.record(row.key + " x", k / n);
        System.err.printf(Locale.ROOT, "  %-22s %12s kDFS %,12.1f  java.nio %,12.1f  %6.3f x  (at %.0f s)%n", row.key,
                row.unit, k, n, k / n, (System.nanoTime() - STARTED) / 1e9);
    }

    private String table(int rounds, int budgetMb, String fileSystem, double runSeconds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "kDFS through its Java API (`io.kddm.kdfs.Kdfs`, as root) next to "
                + "java.nio.file on the %s file system that holds the partitions (bench/target). **One node**: node 1 "
                + "in the benchmark's JVM. **Three nodes**: node 2, whose partition holds the root directory, in a "
                + "JVM of its own; node 1 (a partition of its own) and node 3 (diskless) in the benchmark's JVM; all "
                + "three talk over MINA on 127.0.0.1 TCP. kDFS is wired on each node as its OSGi component does it, "
                + "without the framework, memory budget %d MiB per node, no periodic write-back (each row says what "
                + "is written back). %d rounds, fresh partitions each; kDFS and java.nio side by side, their order "
                + "alternating per round; each cell is the median over rounds, the last column the median of each "
                + "round's kDFS / java.nio (> 1: kDFS faster). Whole run: %.0f s.%n%n", fileSystem, budgetMb, rounds,
                runSeconds));
        b.append("Metadata (mdtest-like: empty files, directories made beforehand, one thread): nothing is written "
                + "back between create and unlink, and java.nio forces nothing; the write-back rows add kDFS's "
                + "write-back (kdfs:sync of the node) and, for java.nio, forces. Stat is `lookup` then `getattr` "
                + "(java.nio: `Files.readAttributes`, basic). Cold: every node stopped after the file was written "
                + "back, the file's bytes dropped from the OS page cache (posix_fadvise DONTNEED through dd, kDFS's "
                + "partition file and java.nio's file alike; the host of this virtual disk may still cache them), "
                + "then a fresh cluster over the same partitions reads it "
                + "(node 2's partition, sent over TCP, for three nodes). Node 1's first read on three nodes is the "
                + "other kind of first read: the pages come from node 3's memory.\n\n");
        b.append("| nodes | who; where the objects are stored | workload | unit | kDFS | java.nio.file "
                + "| kDFS / java.nio |\n");
        b.append("|---:|---|---|---|---:|---:|---:|\n");
        String lastNodes = null;
        String lastWho = null;
        List<Row> others = rows.values().stream().filter(r -> r.key.endsWith(" stat other")).toList();
        List<Row> ordered = new ArrayList<>();
        for (Row r : rows.values()) {
            if (r.key.equals("3 3 durable create")) {
                ordered.addAll(others); // after node 3's own metadata rows
            }
            if (!others.contains(r)) {
                ordered.add(r);
            }
        }
        for (Row r : ordered) {
            boolean sameNodes = r.nodes.equals(lastNodes);
            boolean sameWho = sameNodes && r.who.equals(lastWho);
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", sameNodes ? "" : r.nodes,
                    sameWho ? "" : r.who, r.what, r.unit, num(f.median(r.key + " kdfs")), num(f.median(r.key + " nio")),
                    x(r.key)));
            lastNodes = r.nodes;
            lastWho = r.who;
        }
        b.append("\nReading the table (kDFS / java.nio, medians):\n\n");
        b.append(String.format(Locale.ROOT, "- one node, metadata, 1 / %d directories: create %s, stat %s, unlink "
                + "%s;%n", DIRS, pairOf("1 1 %d create"), pairOf("1 1 %d stat"), pairOf("1 1 %d unlink")));
        b.append(String.format(Locale.ROOT, "- three nodes, node 1 in directories stored on node 2: create %s, stat "
                + "%s, unlink %s;%n", pairOf("3 1 %d create"), pairOf("3 1 %d stat"), pairOf("3 1 %d unlink")));
        b.append(String.format(Locale.ROOT, "- three nodes, node 3 (diskless), everything stored on node 2: create "
                + "%s, stat %s, unlink %s; node 1's stats of those files %s;%n", pairOf("3 3 %d create"),
                pairOf("3 3 %d stat"), pairOf("3 3 %d unlink"), pairOf("3 3 %d stat other")));
        b.append(String.format(Locale.ROOT, "- with write-back: create %s (one node) and %s (three), unlink %s and "
                + "%s;%n", x("1 1 durable create"), x("3 3 durable create"), x("1 1 durable unlink"),
                x("3 3 durable unlink")));
        b.append(String.format(Locale.ROOT, "- data, one node: write %s, cached read %s, cached 4 KiB random reads "
                + "%s, cold read %s, cold 4 KiB random reads %s;%n", x("1 data write"), x("1 data read"),
                x("1 data random"), x("1 data read cold"), x("1 data random cold")));
        b.append(String.format(Locale.ROOT, "- data, three nodes, node 3 with the file stored on node 2: write %s, "
                + "cached read %s, cached 4 KiB random reads %s, cold read %s, cold 4 KiB random reads %s; node 1's "
                + "first read %s.%n", x("3 data write"), x("3 data read"), x("3 data random"), x("3 data read cold"),
                x("3 data random cold"), x("3 data read other")));
        return b.toString();
    }

    private String x(String key) {
        return ratio(f.median(key + " x"));
    }

    private static String ratio(double v) {
        return String.format(Locale.ROOT, v >= 0.1 ? "%.2f x" : "%.3f x", v);
    }

    /** The ratios of a metadata row in one directory, then in {@link #DIRS}. */
    private String pairOf(String keyFormat) {
        return ratio(f.median(String.format(Locale.ROOT, keyFormat, 1) + " x")).replace(" x", "") + " / "
                + ratio(f.median(String.format(Locale.ROOT, keyFormat, DIRS) + " x"));
    }

    private static String num(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
