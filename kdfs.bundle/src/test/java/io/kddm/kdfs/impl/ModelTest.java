package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.DirEntry;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;
import io.kddm.kdfs.SetAttr;
import io.kddm.kdfs.impl.PosixModel.Dir;
import io.kddm.kdfs.impl.PosixModel.Failure;
import io.kddm.kdfs.impl.PosixModel.File;
import io.kddm.kdfs.impl.PosixModel.Inode;
import io.kddm.kdfs.impl.PosixModel.Linkable;
import io.kddm.kdfs.impl.PosixModel.Symlink;

/**
 * Random sequences of operations, one after another, each on a random node of
 * three (two with partitions, one diskless), checked against {@link PosixModel}:
 * every result (data, sizes, link counts, types, inode ids) and the errno of
 * every failure, then the whole tree as each node reads it, and a clean
 * {@code syncAll}. Names come from a four-letter alphabet and paths are shallow,
 * so names collide, targets get replaced and errors are frequent.
 * <p>
 * System properties: {@code kdfs.model.seeds} (N: seeds 1..N, default 5; the
 * {@code nightly} profile sets 100), {@code kdfs.model.seed} (one seed, to replay
 * a failure), {@code kdfs.model.ops} (operations per seed, default 150). The
 * operations depend only on the seed (the network's delays also do, but not
 * their interleaving), so a failure's seed replays it:
 * {@code mvn -o -q test -pl kdfs.bundle -Dtest=ModelTest -Dkdfs.model.seed=17}.
 * <p>
 * A mismatch names the seed, the operation's index, the node, the operation,
 * expected and actual, and the operations before it. The summary line counts
 * the operations that succeeded and failed, by kind, errno and rename case.
 */
class ModelTest {
    private static final Caller ROOT = Caller.ROOT;
    private static final String[] NAMES = {"a", "b", "c", "d"};
    /** Names to make, remove or look up besides the alphabet: dots, empty, with '/', at and over NAME_MAX bytes. */
    private static final String[] ODD_NAMES = {".", "..", "", "x/y", "n".repeat(255), "n".repeat(256),
            "\u00e9".repeat(127), "\u00e9".repeat(128)};
    private static final int PAGE = PageLinker.FILE_PAGE;
    private static final int OPS = Integer.getInteger("kdfs.model.ops", 150);
    private static final long TIMEOUT_SECONDS = Long.getLong("kdfs.model.timeout", 120);

    // run-wide figures, for the summary line
    private static final Map<String, int[]> BY_OP = new TreeMap<>();
    private static final Map<String, int[]> RENAME_CASES = new TreeMap<>();
    private static final Map<Errno, Integer> BY_ERRNO = new EnumMap<>(Errno.class);
    private static final List<Long> FAILED_SEEDS = new ArrayList<>();
    private static int seedsRun;
    private static int opsRun;
    private static int treesChecked;
    private static int splits;
    private static long started;

    @TempDir
    Path tmp;

    static LongStream seeds() {
        String one = System.getProperty("kdfs.model.seed", "");
        if (!one.isBlank()) {
            return LongStream.of(Long.parseLong(one.trim()));
        }
        return LongStream.rangeClosed(1, Integer.getInteger("kdfs.model.seeds", 5));
    }

    @BeforeAll
    static void start() {
        started = System.nanoTime();
    }

    @AfterAll
    static void summary() {
        String ops = BY_OP.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()[0] + "/" + e.getValue()[1])
                .collect(Collectors.joining(", "));
        String errnos = BY_ERRNO.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
        String renames = RENAME_CASES.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()[0] + "/" + e.getValue()[1]).collect(Collectors.joining(", "));
        int failed = BY_ERRNO.values().stream().mapToInt(Integer::intValue).sum();
        System.out.printf("ModelTest: %d seeds x %d ops = %d operations, %d failed as expected [%s], "
                + "by op ok/failed [%s], renames ok/failed [%s], %d directories split, %d trees checked, mismatching seeds %s, "
                + "%.1f s%n", seedsRun, OPS, opsRun, failed, errnos, ops, renames, splits, treesChecked, FAILED_SEEDS,
                (System.nanoTime() - started) / 1e9);
        // the operations depend on the seeds only: a run of the CI's seeds (or more) covers every kind
        if (seedsRun >= 5 && FAILED_SEEDS.isEmpty()) {
            BY_OP.forEach((op, counts) -> {
                if (!op.equals("stale") && counts[0] == 0) {
                    throw new AssertionError("no " + op + " succeeded in " + seedsRun + " seeds: the run covers less");
                }
            });
            if (splits == 0) {
                throw new AssertionError("no directory split in " + seedsRun + " seeds: the run covers less");
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> randomOperationsMatchThePosixModel() {
        return seeds().mapToObj(seed -> dynamicTest("seed " + seed, () -> {
            Run run = new Run(seed, tmp.resolve("seed-" + seed));
            try {
                assertTimeoutPreemptively(Duration.ofSeconds(TIMEOUT_SECONDS), run::run,
                        () -> "seed " + seed + " did not finish in " + TIMEOUT_SECONDS + " s; it was at " + run.where());
            } catch (Throwable t) {
                synchronized (ModelTest.class) {
                    FAILED_SEEDS.add(seed);
                }
                throw t;
            } finally {
                synchronized (ModelTest.class) {
                    seedsRun++;
                    opsRun += Math.max(0, Math.min(run.index, OPS));
                }
            }
        }));
    }

    /** One seed's sequence. */
    private static final class Run {
        final long seed;
        final Path dir;
        final java.util.Random rnd;
        final PosixModel model = new PosixModel();
        /** Live kDFS inode ids, to the model inode each stands for. */
        final Map<Integer, Inode> byIno = new HashMap<>();
        /** Inode ids of removed inodes: never handed out again, ENOENT to getattr. */
        final Set<Integer> dead = new HashSet<>();
        final Deque<String> recent = new ArrayDeque<>();
        KdfsCluster cluster;
        volatile int index = -1;
        volatile int node;
        volatile String op = "setting up the cluster";
        String kind;
        String renameCase;

        Run(long seed, Path dir) {
            this.seed = seed;
            this.dir = dir;
            this.rnd = new java.util.Random(seed);
        }

        String where() {
            return "operation #" + index + " on node " + node + ": " + op;
        }

        void run() {
            try (KdfsCluster c = new KdfsCluster(seed, Duration.ofMillis(1),
                    Arrays.asList(dir.resolve("p1"), dir.resolve("p2"), null))) {
                cluster = c;
                model.root.ino = c.node(1).root();
                byIno.put(model.root.ino, model.root);
                for (index = 0; index < OPS; index++) {
                    node = 1 + rnd.nextInt(3);
                    guarded(this::step);
                }
                index = OPS;
                for (node = 1; node <= 3; node++) {
                    Kdfs fs = c.node(node);
                    guarded(() -> checkTree(fs));
                }
                node = 0;
                op = "syncAll";
                List<String> failed = c.syncAll();
                if (!failed.isEmpty()) {
                    throw mismatch("syncAll() writes everything back: []", failed.toString());
                }
            }
        }

        /** Runs a step; an exception the comparisons did not expect fails it with the seed and operation. */
        void guarded(Runnable step) {
            try {
                step.run();
            } catch (AssertionError e) {
                throw e;
            } catch (RuntimeException e) {
                AssertionError err = mismatch("no exception", e.toString());
                err.initCause(e);
                throw err;
            }
        }

        private Kdfs fs() {
            return cluster.node(node);
        }

        // ---- the operations

        void step() {
            int r = rnd.nextInt(100);
            if (r < 9) {
                create();
            } else if (r < 17) {
                mkdir();
            } else if (r < 28) {
                write();
            } else if (r < 33) {
                append();
            } else if (r < 40) {
                truncate();
            } else if (r < 54) {
                rename();
            } else if (r < 60) {
                unlink();
            } else if (r < 65) {
                rmdir();
            } else if (r < 71) {
                link();
            } else if (r < 76) {
                symlink();
            } else if (r < 79) {
                readlink();
            } else if (r < 86) {
                read();
            } else if (r < 91) {
                readdir();
            } else if (r < 96) {
                getattr();
            } else if (r < 99) {
                lookup();
            } else if (rnd.nextBoolean()) {
                stale();
            } else {
                fill();
            }
        }

        void create() {
            String parent = dirPath();
            create(parent, newName(parent), "");
        }

        /**
         * Enough long names in one directory to fill its entry page, so it splits its
         * hash buckets; then most of them removed again (so the short names keep colliding).
         */
        void fill() {
            String parent = dirPath();
            int count = 30 + rnd.nextInt(30);
            for (int i = 0; i < count; i++) {
                create(parent, "L" + i + "-" + "p".repeat(200), "fill " + (i + 1) + "/" + count + ": ");
            }
            Dir d = model.peekDir(parent);
            if (d != null && cluster.node(node).getattr(d.ino).size() > DirPage.SIZE) {
                synchronized (ModelTest.class) {
                    splits++;
                }
            }
            int keep = rnd.nextInt(4);
            for (int i = 0; i < count - keep; i++) {
                unlink(parent, "L" + i + "-" + "p".repeat(200), "fill, then unlink " + (i + 1) + "/" + (count - keep) + ": ");
            }
        }

        void create(String parent, String name, String prefix) {
            begin("create", prefix + "create " + show(parent, name));
            Outcome<File> e = expect(() -> model.create(parent, name));
            Result<Attr> a = attempt(fs -> fs.create(ROOT, dirIno(fs, parent), name, 0644));
            if (agree(e, a)) {
                made(e.value, a.value);
                attr("the new file", e.value, a.value);
                same("mode", 0644, a.value.mode());
            }
        }

        void mkdir() {
            String parent = dirPath();
            String name = newName(parent);
            begin("mkdir", "mkdir " + show(parent, name));
            Outcome<Dir> e = expect(() -> model.mkdir(parent, name));
            Result<Attr> a = attempt(fs -> fs.mkdir(ROOT, dirIno(fs, parent), name, 0755));
            if (agree(e, a)) {
                made(e.value, a.value);
                attr("the new directory", e.value, a.value);
                afterChange(e.value.parent);
            }
        }

        void symlink() {
            String parent = dirPath();
            String name = newName(parent);
            String target = target(name);
            begin("symlink", "symlink " + show(parent, name) + " -> '" + abbreviate(target) + "'");
            Outcome<Symlink> e = expect(() -> model.symlink(parent, name, target));
            Result<Attr> a = attempt(fs -> fs.symlink(ROOT, dirIno(fs, parent), name, target));
            if (agree(e, a)) {
                made(e.value, a.value);
                attr("the new symbolic link", e.value, a.value);
            }
        }

        void write() {
            String path = objectPath(i -> i instanceof File);
            long size = sizeOf(path);
            long offset = offset(size);
            byte[] data = data();
            boolean truncate = rnd.nextInt(12) == 0;
            int flags = OpenFile.WRITE | (truncate ? OpenFile.TRUNCATE : 0) | (rnd.nextBoolean() ? OpenFile.READ : 0);
            begin("write", "write " + path + (truncate ? " (O_TRUNC)" : "") + " at " + offset + ", " + data.length
                    + " bytes" + (data.length > 0 && allZero(data) ? " of zeros" : ""));
            Outcome<Long> e = expect(() -> model.write(path, truncate, false, offset, data));
            Result<Long> a = attempt(fs -> {
                try (OpenFile o = fs.open(ROOT, fs.resolve(ROOT, path).ino(), flags)) {
                    return o.write(offset, data);
                }
            });
            if (agree(e, a)) {
                same("offset written at", e.value, a.value);
                afterWrite(path);
            }
        }

        void append() {
            String path = objectPath(i -> i instanceof File);
            byte[] data = data();
            begin("append", "append " + data.length + " bytes to " + path);
            Outcome<Long> e = expect(() -> model.write(path, false, true, 0, data));
            Result<Long> a = attempt(fs -> {
                try (OpenFile o = fs.open(ROOT, fs.resolve(ROOT, path).ino(), OpenFile.WRITE | OpenFile.APPEND)) {
                    return o.write(0, data);
                }
            });
            if (agree(e, a)) {
                same("offset appended at (the old size)", e.value, a.value);
                afterWrite(path);
            }
        }

        void truncate() {
            String path = objectPath(i -> i instanceof File);
            long old = sizeOf(path);
            int r = rnd.nextInt(100);
            long size = r < 15 ? 0 : r < 50 ? (long) rnd.nextInt((int) old + 1) : r < 75 ? old + rnd.nextInt(3000)
                    : r < 90 ? Math.max(0, PAGE * (1L + rnd.nextInt(2)) + rnd.nextInt(80) - 40) : old;
            begin("truncate", "truncate " + path + " from " + old + " to " + size);
            Outcome<File> e = expect(() -> model.truncate(path, size));
            Result<Attr> a = attempt(fs -> fs.setattr(ROOT, fs.resolve(ROOT, path).ino(), SetAttr.truncate(size)));
            if (agree(e, a)) {
                attr("the truncated file", e.value, a.value);
                afterWrite(path);
            }
        }

        void read() {
            String path = objectPath(i -> i instanceof File);
            long size = sizeOf(path);
            int r = rnd.nextInt(100);
            long offset = r < 30 ? 0 : r < 75 ? (long) rnd.nextInt((int) size + 200) : r < 90
                    ? Math.max(0, PAGE * (1L + rnd.nextInt(2)) + rnd.nextInt(80) - 40) : size + rnd.nextInt(PAGE);
            int length = rnd.nextInt(4) == 0 ? (int) size + 10 : rnd.nextInt(10) == 0 ? PAGE + 100 : rnd.nextInt(300);
            begin("read", "read " + path + " at " + offset + ", " + length + " bytes (size " + size + ")");
            Outcome<byte[]> e = expect(() -> model.read(path, offset, length));
            Result<byte[]> a = attempt(fs -> {
                try (OpenFile o = fs.open(ROOT, fs.resolve(ROOT, path).ino(), OpenFile.READ)) {
                    return o.read(offset, length);
                }
            });
            if (agree(e, a)) {
                bytes("data read", offset, e.value, a.value);
            }
        }

        void readlink() {
            String path = objectPath(i -> i instanceof Symlink);
            begin("readlink", "readlink " + path);
            Outcome<String> e = expect(() -> model.readlink(path));
            Result<String> a = attempt(fs -> fs.readlink(fs.resolve(ROOT, path).ino()));
            if (agree(e, a)) {
                same("target", e.value, a.value);
            }
        }

        void readdir() {
            String path = dirPath();
            int max = 1 + rnd.nextInt(5);
            begin("readdir", "readdir " + path + " (" + max + " at a time)");
            Outcome<String> e = expect(() -> listing(model.dir(path)));
            Result<String> a = attempt(fs -> listing(fs, dirIno(fs, path), max));
            if (agree(e, a)) {
                same("entries (name ino type; '.' and '..' first)", e.value, a.value);
            }
        }

        void getattr() {
            String path = objectPath(i -> true) + (rnd.nextInt(8) == 0 ? "/" : "");
            begin("getattr", "getattr (lstat) " + path);
            Outcome<Inode> e = expect(() -> model.lresolve(path));
            Result<Attr> a = attempt(fs -> fs.resolve(ROOT, path));
            if (agree(e, a)) {
                attr(path, e.value, a.value);
            }
        }

        void lookup() {
            String parent = dirPath();
            String name = rnd.nextInt(5) == 0 ? ODD_NAMES[rnd.nextInt(ODD_NAMES.length)] : newName(parent);
            begin("lookup", "lookup " + show(parent, name));
            Outcome<Inode> e = expect(() -> model.lookup(parent, name));
            Result<Attr> a = attempt(fs -> fs.lookup(ROOT, dirIno(fs, parent), name));
            if (agree(e, a)) {
                attr("the entry", e.value, a.value);
            }
        }

        /** getattr of a removed inode's id: ENOENT (ids are not handed out again). */
        void stale() {
            if (dead.isEmpty()) {
                getattr();
                return;
            }
            List<Integer> ids = new ArrayList<>(dead);
            ids.sort(null);
            int ino = ids.get(rnd.nextInt(ids.size()));
            begin("stale", "getattr of removed inode " + Ino.format(ino));
            Outcome<Object> e = new Outcome<>(null, PosixModel.fail("removed", Errno.ENOENT));
            Result<Attr> a = attempt(fs -> fs.getattr(ino));
            agree(e, a);
        }

        void unlink() {
            String victim = rnd.nextInt(3) == 0 ? existing(i -> i instanceof Linkable) : null;
            String parent = victim != null ? parentOf(victim) : dirPath();
            String name = victim != null ? nameOf(victim) : newName(parent);
            unlink(parent, name, "");
        }

        void unlink(String parent, String name, String prefix) {
            begin("unlink", prefix + "unlink " + show(parent, name));
            Outcome<Inode> e = expect(() -> model.unlink(parent, name));
            Result<Boolean> a = attempt(fs -> {
                fs.unlink(ROOT, dirIno(fs, parent), name);
                return true;
            });
            if (agree(e, a)) {
                bury(e.value);
            }
        }

        void rmdir() {
            String empty = rnd.nextInt(3) == 0 ? existing(i -> i instanceof Dir d && d != model.root && d.entries.isEmpty())
                    : null;
            String parent = empty != null ? parentOf(empty) : dirPath();
            String name = empty != null ? nameOf(empty) : newName(parent);
            begin("rmdir", "rmdir " + show(parent, name));
            Dir d = model.peekDir(parent);
            Outcome<Dir> e = expect(() -> model.rmdir(parent, name));
            Result<Boolean> a = attempt(fs -> {
                fs.rmdir(ROOT, dirIno(fs, parent), name);
                return true;
            });
            if (agree(e, a)) {
                bury(e.value);
                afterChange(d);
            }
        }

        void link() {
            String source = objectPath(i -> !(i instanceof Dir) || rnd.nextInt(6) == 0);
            String parent = dirPath();
            String name = newName(parent);
            begin("link", "link " + source + " as " + show(parent, name));
            Outcome<Linkable> e = expect(() -> model.link(source, parent, name));
            Result<Attr> a = attempt(fs -> {
                int ino = fs.resolve(ROOT, source).ino();
                return fs.link(ROOT, ino, dirIno(fs, parent), name);
            });
            if (agree(e, a)) {
                attr("the linked inode", e.value, a.value);
            }
        }

        void rename() {
            String fromParent;
            String from;
            int pick = rnd.nextInt(100);
            String fromPath = pick < 25 ? existing(i -> i instanceof Dir && i != model.root)
                    : pick < 75 ? existing(i -> i != model.root) : null;
            if (fromPath != null) {
                fromParent = parentOf(fromPath);
                from = nameOf(fromPath);
            } else {
                fromParent = dirPath();
                from = newName(fromParent);
            }
            Inode moving = model.peek(join(fromParent, from));
            String toParent = null;
            String to = null;
            int r = rnd.nextInt(100);
            if (r < 15 && moving instanceof Dir && fromPath != null) { // into its own subtree
                List<String> under = model.paths().entrySet().stream().filter(x -> x.getValue() instanceof Dir
                        && (x.getKey().equals(fromPath) || x.getKey().startsWith(fromPath + "/")))
                        .map(Map.Entry::getKey).toList();
                toParent = under.get(rnd.nextInt(under.size()));
                to = NAMES[rnd.nextInt(NAMES.length)];
            } else if (r < 25 && moving instanceof Linkable l && l.links > 1) { // onto another link of it
                String other = existing(i -> i == moving);
                toParent = parentOf(other);
                to = nameOf(other);
            } else if (r < 32 && !fromParent.equals("/") && fromPath != null) { // onto an ancestor
                String up = fromParent.substring(0, fromParent.lastIndexOf('/'));
                String anc = rnd.nextBoolean() || up.isEmpty() ? fromParent : up;
                toParent = parentOf(anc);
                to = nameOf(anc);
            } else if (r < 55) { // onto an existing entry
                String target = existing(i -> i != model.root && i != moving);
                if (target != null) {
                    toParent = parentOf(target);
                    to = nameOf(target);
                }
            }
            if (toParent == null) {
                toParent = dirPath();
                to = newName(toParent);
            }
            String tp = toParent;
            String tn = to;
            begin("rename", "rename " + show(fromParent, from) + " -> " + show(tp, tn));
            Dir src = model.peekDir(fromParent);
            Dir dst = model.peekDir(tp);
            renameCase = renameCase(src, from, dst, tn);
            Outcome<Inode> e = expect(() -> model.rename(fromParent, from, tp, tn));
            Result<Boolean> a = attempt(fs -> {
                int fd = dirIno(fs, fromParent);
                fs.rename(ROOT, fd, from, dirIno(fs, tp), tn);
                return true;
            });
            if (agree(e, a)) {
                bury(e.value);
                afterChange(src);
                afterChange(dst);
            }
        }

        /** What a rename does, for the summary: which of the cases the model has were exercised. */
        static String renameCase(Dir src, String from, Dir dst, String to) {
            Inode moving = src == null ? null : src.entries.get(from);
            if (moving == null || dst == null || PosixModel.dots(to) || !PosixModel.nameErrors(to).isEmpty()) {
                return "other";
            }
            Inode target = dst.entries.get(to);
            String what = moving instanceof Dir ? "dir" : "file";
            if (target == moving) {
                return "same inode";
            }
            if (moving instanceof Dir m && PosixModel.within(dst, m)) {
                return "dir into itself";
            }
            if (target == null) {
                return what + (src == dst ? " to new name" : " to other dir");
            }
            if (target instanceof Dir t) {
                return what + " onto " + (PosixModel.within(src, t) ? "ancestor" : t.entries.isEmpty() ? "empty dir"
                        : "full dir");
            }
            return what + " onto file";
        }

        // ---- choosing arguments (from the seed and the model only, so a seed replays)

        /** A directory to operate in: mostly an existing one, sometimes through a symbolic link, or any path. */
        String dirPath() {
            int r = rnd.nextInt(100);
            String p = r < 70 ? existing(i -> i instanceof Dir) : r < 78 ? existing(i -> i instanceof Symlink) : null;
            return p != null ? p : randomPath(2);
        }

        /** A path to an existing inode of a kind mostly, else any existing one, else anything. */
        String objectPath(Predicate<Inode> kind) {
            int r = rnd.nextInt(100);
            String p = r < 70 ? existing(kind) : r < 85 ? existing(i -> i != model.root) : null;
            return p != null ? p : join(randomPath(2), NAMES[rnd.nextInt(NAMES.length)]);
        }

        /** A name to make or remove in {@code parent}: an existing one often, odd ones sometimes. */
        String newName(String parent) {
            int r = rnd.nextInt(100);
            if (r < 5) {
                return ODD_NAMES[rnd.nextInt(ODD_NAMES.length)];
            }
            Dir d = model.peekDir(parent);
            if (r < 40 && d != null && !d.entries.isEmpty()) {
                List<String> names = new ArrayList<>(d.entries.keySet());
                return names.get(rnd.nextInt(names.size()));
            }
            return NAMES[rnd.nextInt(NAMES.length)];
        }

        String randomPath(int maxDepth) {
            StringBuilder p = new StringBuilder();
            int depth = rnd.nextInt(maxDepth + 1);
            for (int i = 0; i < depth; i++) {
                int r = rnd.nextInt(20);
                p.append('/').append(r == 0 ? "." : r == 1 ? ".." : NAMES[rnd.nextInt(NAMES.length)]);
            }
            return p.length() == 0 ? "/" : p.toString();
        }

        /** A random path of the model's tree to an inode {@code which} accepts, or null. */
        String existing(Predicate<Inode> which) {
            List<String> found = model.paths().entrySet().stream().filter(e -> which.test(e.getValue()))
                    .map(Map.Entry::getKey).toList();
            return found.isEmpty() ? null : found.get(rnd.nextInt(found.size()));
        }

        String target(String name) {
            int r = rnd.nextInt(100);
            if (r < 35) {
                String p = existing(i -> true);
                return p != null ? p : "/";
            }
            if (r < 55) {
                return randomPath(3);
            }
            if (r < 80) {
                String[] parts = {"..", ".", NAMES[rnd.nextInt(4)], NAMES[rnd.nextInt(4)], NAMES[rnd.nextInt(4)]};
                StringBuilder t = new StringBuilder(parts[2 + rnd.nextInt(3)]);
                int more = rnd.nextInt(3);
                for (int i = 0; i < more; i++) {
                    String c = parts[rnd.nextInt(parts.length)];
                    t = rnd.nextBoolean() ? new StringBuilder(c).append('/').append(t) : t.append('/').append(c);
                }
                return t.toString();
            }
            if (r < 90) {
                return rnd.nextBoolean() ? name : "./" + name; // a loop (or whatever has that name)
            }
            String[] odd = {"/", ".", "..", "a/", "/a/b/", "x".repeat(256), "../../../a"};
            return odd[rnd.nextInt(odd.length)];
        }

        long offset(long size) {
            int r = rnd.nextInt(100);
            if (r < 15) {
                return 0;
            }
            if (r < 55) {
                return rnd.nextInt((int) size + 1);
            }
            if (r < 75) {
                return size + rnd.nextInt(5000); // past the end: a hole
            }
            if (r < 92) {
                return Math.max(0, PAGE * (1L + rnd.nextInt(2)) + rnd.nextInt(100) - 50); // across a page boundary
            }
            return rnd.nextInt((int) size + 100);
        }

        byte[] data() {
            int r = rnd.nextInt(100);
            int length = r < 6 ? 0 : r < 11 ? PAGE / 2 + rnd.nextInt(PAGE) : 1 + rnd.nextInt(200);
            byte[] data = new byte[length];
            if (rnd.nextInt(15) != 0) { // else zeros: the size must still grow
                rnd.nextBytes(data);
            }
            return data;
        }

        long sizeOf(String path) {
            return model.peek(path) instanceof File f ? f.data.length : 0;
        }

        // ---- running and comparing

        void begin(String kind, String op) {
            this.kind = kind;
            this.op = abbreviate(op);
        }

        record Outcome<T>(T value, Failure failure) {
        }

        record Result<T>(T value, KdfsException error) {
        }

        <T> Outcome<T> expect(Supplier<T> modelOp) {
            try {
                return new Outcome<>(modelOp.get(), null);
            } catch (Failure f) {
                return new Outcome<>(null, f);
            }
        }

        <T> Result<T> attempt(Function<Kdfs, T> kdfsOp) {
            try {
                return new Result<>(kdfsOp.apply(fs()), null);
            } catch (KdfsException e) {
                return new Result<>(null, e);
            } catch (RuntimeException e) {
                AssertionError err = mismatch("a result or a KdfsException", e.toString());
                err.initCause(e);
                throw err;
            }
        }

        /** Whether both succeeded (and their values are to be compared); fails unless both agree. */
        boolean agree(Outcome<?> e, Result<?> a) {
            int[] counts = BY_OP.computeIfAbsent(kind, k -> new int[2]);
            int[] cases = renameCase == null ? new int[2] : RENAME_CASES.computeIfAbsent(renameCase, k -> new int[2]);
            renameCase = null;
            if (e.failure != null) {
                if (a.error == null) {
                    throw mismatch(e.failure.toString(), "success: " + show(a.value));
                }
                if (!e.failure.allowed.contains(a.error.errno())) {
                    throw mismatch(e.failure.toString(), a.error.getMessage());
                }
                synchronized (ModelTest.class) {
                    counts[1]++;
                    cases[1]++;
                    BY_ERRNO.merge(a.error.errno(), 1, Integer::sum);
                }
                log(a.error.errno().toString());
                return false;
            }
            if (a.error != null) {
                throw mismatch("success: " + show(e.value), a.error.getMessage());
            }
            synchronized (ModelTest.class) {
                counts[0]++;
                cases[0]++;
            }
            log("ok");
            model.selfCheck();
            return true;
        }

        void log(String outcome) {
            recent.addLast("#" + index + " node " + node + ": " + op + " -> " + outcome);
            if (recent.size() > 25) {
                recent.removeFirst();
            }
        }

        AssertionError mismatch(String expected, String actual) {
            return new AssertionError(abbreviate(String.format("seed %d, operation #%d on node %d: %s%n  expected: %s%n"
                    + "  actual:   %s%n  replay: -Dkdfs.model.seed=%d (operations per seed: %d)%n  recent operations:%n    %s",
                    seed, index, node, op, expected, actual, seed, OPS, String.join("\n    ", recent))));
        }

        void same(String what, Object expected, Object actual) {
            if (!expected.equals(actual)) {
                throw mismatch(what + " " + expected, what + " " + actual);
            }
        }

        void bytes(String what, long offset, byte[] expected, byte[] actual) {
            if (!Arrays.equals(expected, actual)) {
                int at = Arrays.mismatch(expected, actual);
                throw mismatch(what + ": " + expected.length + " bytes" + excerpt(expected, at, offset),
                        what + ": " + actual.length + " bytes" + excerpt(actual, at, offset)
                                + ", first difference at file offset " + (offset + at));
            }
        }

        static String excerpt(byte[] b, int at, long offset) {
            int from = Math.max(0, at - 4);
            int to = Math.min(b.length, at + 8);
            return from >= to ? "" : ", at " + (offset + from) + ": " + Arrays.toString(Arrays.copyOfRange(b, from, to));
        }

        /** Compares an inode's attributes with the model's. */
        void attr(String what, Inode m, Attr a) {
            if (m.ino != 0 && m.ino != a.ino()) {
                throw mismatch(what + ": inode " + Ino.format(m.ino), what + ": inode " + Ino.format(a.ino()));
            }
            same(what + ": type", m.type(), a.type());
            same(what + ": nlink", m.nlink(), a.nlink());
            if (m instanceof File f) {
                same(what + ": size", (long) f.data.length, a.size());
            } else if (m instanceof Symlink s) {
                same(what + ": size", s.size(), a.size());
            }
        }

        /** Binds a new model inode to the inode id kDFS gave it, which must be fresh. */
        void made(Inode m, Attr a) {
            if (dead.contains(a.ino()) || byIno.containsKey(a.ino())) {
                throw mismatch("a fresh inode id", "inode " + Ino.format(a.ino()) + ", "
                        + (dead.contains(a.ino()) ? "a removed inode's" : "in use"));
            }
            m.ino = a.ino();
            byIno.put(a.ino(), m);
        }

        void bury(Inode gone) {
            if (gone != null) {
                byIno.remove(gone.ino);
                dead.add(gone.ino);
            }
        }

        /** After a write: the size as another node (at random) sees it. */
        void afterWrite(String path) {
            if (model.peek(path) instanceof File f) {
                int other = 1 + rnd.nextInt(3);
                Attr seen = cluster.node(other).getattr(f.ino);
                if (seen.size() != f.data.length) {
                    throw mismatch("size " + f.data.length + " seen from node " + other,
                            "size " + seen.size() + " seen from node " + other);
                }
            }
        }

        /** After a directory changed: its link count as another node (at random) sees it. */
        void afterChange(Dir d) {
            if (d != null && byIno.get(d.ino) == d) {
                int other = 1 + rnd.nextInt(3);
                Attr seen = cluster.node(other).getattr(d.ino);
                if (seen.nlink() != d.nlink()) {
                    throw mismatch("nlink " + d.nlink() + " of directory " + Ino.format(d.ino) + " seen from node " + other,
                            "nlink " + seen.nlink());
                }
            }
        }

        static int dirIno(Kdfs fs, String path) {
            // As a non-last component of the full path, a directory argument's symbolic links are all followed.
            return fs.resolve(ROOT, path.equals("/") ? "/" : path + "/.").ino();
        }

        // ---- listings and trees

        String listing(Dir d) {
            StringBuilder b = new StringBuilder();
            b.append(". ").append(d.ino).append(" DIRECTORY\n.. ").append(d.parent.ino).append(" DIRECTORY\n");
            d.entries.forEach((name, i) -> b.append(abbreviate(name)).append(' ').append(i.ino).append(' ')
                    .append(i.type()).append('\n'));
            return b.toString();
        }

        /** Every entry of a directory, read {@code max} at a time from cookie to cookie. */
        static List<DirEntry> readAll(Kdfs fs, int dir, int max) {
            List<DirEntry> all = new ArrayList<>();
            long cookie = 0;
            for (int calls = 0; calls < 100_000; calls++) {
                List<DirEntry> got = fs.readdir(ROOT, dir, cookie, max);
                if (got.size() > max) {
                    throw new IllegalStateException("readdir returned " + got.size() + " entries, over " + max);
                }
                if (got.isEmpty()) {
                    break;
                }
                all.addAll(got);
                cookie = got.get(got.size() - 1).cookie();
            }
            return all;
        }

        /** A directory's listing read {@code max} entries at a time, '.' and '..' as they come, the rest sorted. */
        static String listing(Kdfs fs, int dir, int max) {
            List<DirEntry> all = readAll(fs, dir, max);
            StringBuilder b = new StringBuilder();
            List<DirEntry> rest = new ArrayList<>(all);
            for (int i = 0; i < 2 && !rest.isEmpty(); i++) {
                DirEntry e = rest.get(0);
                if (e.name().equals(i == 0 ? "." : "..")) {
                    b.append(e.name()).append(' ').append(e.ino()).append(' ').append(e.type()).append('\n');
                    rest.remove(0);
                }
            }
            rest.sort((x, y) -> x.name().compareTo(y.name()));
            rest.forEach(e -> b.append(abbreviate(e.name())).append(' ').append(e.ino()).append(' ').append(e.type())
                    .append('\n'));
            return b.toString();
        }

        void checkTree(Kdfs fs) {
            op = "the whole tree, read from node " + node;
            kind = "tree";
            StringBuilder expected = new StringBuilder();
            dumpModel(model.root, "/", expected);
            StringBuilder actual = new StringBuilder();
            try {
                dump(fs, model.root.ino, "/", actual, 0);
            } catch (KdfsException e) {
                AssertionError err = mismatch("the tree", "after\n" + actual + e);
                err.initCause(e);
                throw err;
            }
            if (!expected.toString().equals(actual.toString())) {
                String[] x = expected.toString().split("\n");
                String[] y = actual.toString().split("\n");
                int i = 0;
                while (i < x.length && i < y.length && x[i].equals(y[i])) {
                    i++;
                }
                throw mismatch("line " + i + ": " + (i < x.length ? x[i] : "(end)") + "\n  expected tree:\n" + expected,
                        "line " + i + ": " + (i < y.length ? y[i] : "(end)") + "\n  actual tree:\n" + actual);
            }
            synchronized (ModelTest.class) {
                treesChecked++;
            }
        }

        void dumpModel(Dir d, String path, StringBuilder out) {
            out.append(path).append(" DIRECTORY ").append(d.ino).append(" nlink ").append(d.nlink()).append(" .. ")
                    .append(d.parent.ino).append('\n');
            d.entries.forEach((name, i) -> {
                String p = join(path, abbreviate(name));
                if (i instanceof Dir sub) {
                    dumpModel(sub, p, out);
                } else if (i instanceof File f) {
                    out.append(p).append(" REGULAR ").append(i.ino).append(" nlink ").append(i.nlink())
                            .append(" size ").append(f.data.length).append(" crc ").append(crc(f.data)).append('\n');
                } else if (i instanceof Symlink s) {
                    out.append(p).append(" SYMLINK ").append(i.ino).append(" nlink ").append(i.nlink())
                            .append(" size ").append(s.size()).append(" -> ").append(abbreviate(s.target)).append('\n');
                }
            });
        }

        void dump(Kdfs fs, int dir, String path, StringBuilder out, int depth) {
            if (depth > 20) {
                out.append(path).append(" TOO DEEP (a loop?)\n");
                return;
            }
            Attr self = fs.getattr(dir);
            List<DirEntry> entries = readAll(fs, dir, 1 + rnd.nextInt(8));
            String dotdot = "?";
            List<DirEntry> rest = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                DirEntry e = entries.get(i);
                if (i == 0 && e.name().equals(".") && e.ino() == dir) {
                    continue;
                }
                if (i == 1 && e.name().equals("..")) {
                    dotdot = String.valueOf(e.ino());
                    continue;
                }
                rest.add(e);
            }
            if (entries.size() < 2 || !entries.get(0).name().equals(".") || entries.get(0).ino() != dir) {
                dotdot += " (no '.' first)";
            }
            out.append(path).append(" ").append(self.type()).append(' ').append(self.ino()).append(" nlink ")
                    .append(self.nlink()).append(" .. ").append(dotdot).append('\n');
            rest.sort((x, y) -> x.name().compareTo(y.name()));
            for (DirEntry e : rest) {
                String p = join(path, abbreviate(e.name()));
                Attr a = fs.lookup(ROOT, dir, e.name());
                String differs = a.ino() != e.ino() || a.type() != e.type()
                        ? " (entry says " + e.ino() + " " + e.type() + ")" : "";
                switch (a.type()) {
                    case DIRECTORY -> {
                        if (!differs.isEmpty()) {
                            out.append(p).append(differs).append('\n');
                        }
                        dump(fs, a.ino(), p, out, depth + 1);
                    }
                    case REGULAR -> {
                        byte[] data;
                        try (OpenFile o = fs.open(ROOT, a.ino(), OpenFile.READ)) {
                            data = o.read(0, (int) a.size() + 100);
                        }
                        out.append(p).append(" REGULAR ").append(a.ino()).append(" nlink ").append(a.nlink())
                                .append(" size ").append(a.size()).append(" crc ").append(crc(data))
                                .append(data.length != a.size() ? " (read " + data.length + " bytes)" : "")
                                .append(differs).append('\n');
                    }
                    case SYMLINK -> out.append(p).append(" SYMLINK ").append(a.ino()).append(" nlink ")
                            .append(a.nlink()).append(" size ").append(a.size()).append(" -> ")
                            .append(abbreviate(fs.readlink(a.ino()))).append(differs).append('\n');
                    default -> out.append(p).append(' ').append(a.type()).append(differs).append('\n');
                }
            }
        }

        static String crc(byte[] data) {
            CRC32 c = new CRC32();
            c.update(data);
            return Long.toHexString(c.getValue());
        }

        // ---- texts

        static String join(String parent, String name) {
            return parent.endsWith("/") ? parent + name : parent + "/" + name;
        }

        static String parentOf(String path) {
            int slash = path.lastIndexOf('/');
            return slash == 0 ? "/" : path.substring(0, slash);
        }

        static String nameOf(String path) {
            return path.substring(path.lastIndexOf('/') + 1);
        }

        private static final java.util.regex.Pattern LONG_RUN = java.util.regex.Pattern.compile("(.)\\1{19,}");

        /** Runs of one character shortened (as "n*256"): long names are readable. */
        static String abbreviate(String name) {
            return LONG_RUN.matcher(name).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(m.group(1) + "*" + m.group().length()));
        }

        static String show(String parent, String name) {
            String n = abbreviate(name);
            return join(parent, n.isEmpty() || n.contains("/") || !n.equals(name) ? "'" + n + "'" : n);
        }

        static String show(Object value) {
            if (value instanceof byte[] b) {
                return b.length + " bytes";
            }
            if (value instanceof Attr a) {
                return "inode " + Ino.format(a.ino()) + " " + a.type() + " nlink " + a.nlink() + " size " + a.size();
            }
            if (value instanceof Inode i) {
                return i.type() + " nlink " + i.nlink() + (i instanceof File f ? " size " + f.data.length : "");
            }
            return String.valueOf(value);
        }

        static boolean allZero(byte[] b) {
            for (byte x : b) {
                if (x != 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
