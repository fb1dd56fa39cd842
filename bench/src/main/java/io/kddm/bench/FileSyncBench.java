package io.kddm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;

import io.kddm.api.linker.SetContext;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.linker.file.FileFamily;
import io.kddm.linker.file.FileIoLinker;

/**
 * The cost of {@code sync} per object with the file IO linker, next to plain
 * {@code FileChannel} writes of the same bytes on the same disk, in one run:
 * each round every contender rewrites the same number of objects of each
 * size, taking turns (the order rotates per round), so that each one's turns
 * spread over the whole run (each turn is still a moment of its own).
 * kDDM's sync runs through the API on node 1 of a 3-node cluster in this JVM
 * (loopback TCP), for objects homed on node 1 and on node 2 (the bytes then go
 * to the home, which stores them and replies).
 */
public final class FileSyncBench {
    private static final int[] SIZES = {100, 4096, 65536};
    private static final int NODES = 3;
    private static final String PLAIN = "write+force";
    private static final String BY_HAND = "replace";

    /** One way to store object {@code i} durably; {@link #prepare} is not timed. */
    private interface Store {
        default void prepare(int i, byte[] value) {
        }

        void store(int i, byte[] value) throws Exception;
    }

    /** @param fsyncs how many it makes per object */
    private record Contender(String key, String label, String fsyncs, Store store) {
    }

    private final Figures f = new Figures();
    private final List<Contender> contenders;
    private final KddmSet set;

    /** Every contender stores under {@code root}; the objects of each size are a range of their own. */
    private FileSyncBench(KddmCluster kddm, Path root, int objects) throws IOException {
        Path plain = root.resolve("plain");
        Path replaced = root.resolve("replace");
        for (int s = 0; s < SIZES.length; s++) { // the plain writers' folders, made outside the timed calls
            for (int i = first(s); i < first(s) + objects; i += 1000) {
                Files.createDirectories(file(plain, i).getParent());
                Files.createDirectories(file(replaced, i).getParent());
            }
        }
        FileIoLinker linker = new FileIoLinker(root.resolve("linker"));
        SetContext context = new SetContext(1, FileFamily.NAME, 1, List.of(1));
        set = kddm.node(1).create(FileFamily.NAME);
        contenders = List.of(
                new Contender(PLAIN, "`FileChannel` write + force, overwritten in place", "1",
                        (i, v) -> PlainFileWrites.writeAndForce(file(plain, i), v)),
                new Contender(BY_HAND, "`FileChannel` temporary file + force, rename over, folder force (the "
                        + "linker's protocol by hand)", "2",
                        (i, v) -> PlainFileWrites.replaceDurably(file(replaced, i), v)),
                new Contender("linker", "`FileIoLinker.sync` called directly (+ 28-byte header with CRC-32, "
                        + "folder creation check)", "2", (i, v) -> linker.sync(context, i, v)),
                new Contender("kddm home", "kDDM `sync` on node 1, object homed on node 1 (+ read lock, set and "
                        + "linker look-up)", "2", kddmSync(set, 1)),
                new Contender("kddm remote", "kDDM `sync` on node 1, object homed on node 2 (+ the bytes sent to "
                        + "the home, stored there, reply)", "2 (at the home)", kddmSync(set, 2)));
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args);
        int rounds = a.rounds(5);
        int objects = a.quick() ? 200 : 1000;
        String table;
        try (Scratch scratch = new Scratch("filesync");
                KddmCluster kddm = new KddmCluster(NODES, scratch.dir.resolve("kddm"))) {
            FileSyncBench b = new FileSyncBench(kddm, scratch.dir, objects);
            for (int s = 0; s < SIZES.length; s++) {
                b.size(SIZES[s], first(s), objects, rounds);
            }
            table = b.table(rounds, objects, Files.getFileStore(scratch.dir).type());
            kddm.node(1).destroy(b.set.id()); // or closing node 1 would first hand its objects to the others
        }
        System.out.println(table);
        a.writeSection("filesync", "File IO linker sync vs plain FileChannel writes (issue 4)", "bench/run filesync",
                table);
    }

    /** Objects {@code first..first+objects-1} of {@code size} bytes, rewritten by each contender each round. */
    private void size(int size, int first, int objects, int rounds) throws Exception {
        for (Contender c : contenders) { // creates every file and warms the code up: rounds then replace files
            measure(c, size, first, objects, -1);
        }
        for (int r = 0; r < rounds; r++) {
            StringBuilder line = new StringBuilder();
            for (int k = 0; k < contenders.size(); k++) {
                Contender c = contenders.get((k + r) % contenders.size());
                double[] p = measure(c, size, first, objects, r);
                f.record(cell("p50", c, size), p[0]);
                f.record(cell("p99", c, size), p[1]);
                line.append(String.format(Locale.ROOT, "  %s %.1f us", c.key, p[0]));
            }
            for (Contender c : contenders) {
                f.recordRatio(cell("x", c, size), cell("p50", c, size), "p50 " + PLAIN + " " + size);
                f.recordRatio(cell("x by hand", c, size), cell("p50", c, size), "p50 " + BY_HAND + " " + size);
            }
            System.err.printf(Locale.ROOT, "%6d B round %d p50:%s%n", size, r + 1, line);
        }
    }

    /** grab+put of the new value (not timed), then the timed sync, from node 1; objects homed on {@code home}. */
    private static Store kddmSync(KddmSet set, long home) {
        return new Store() {
            @Override
            public void prepare(int i, byte[] value) {
                try (ObjectHandle h = set.grab(home << 24 | i)) {
                    h.value(value);
                }
            }

            @Override
            public void store(int i, byte[] value) {
                set.sync(home << 24 | i);
            }
        };
    }

    /** One pass over the objects: {p50 us, p99 us} of the timed part. */
    private static double[] measure(Contender c, int size, int first, int objects, int round) throws Exception {
        byte[] value = new byte[size];
        Arrays.fill(value, (byte) round); // each round writes other bytes than the last
        Histogram h = Figures.histogram();
        for (int i = first; i < first + objects; i++) {
            c.store.prepare(i, value);
            long t0 = System.nanoTime();
            c.store.store(i, value);
            h.recordValue(System.nanoTime() - t0);
        }
        return new double[] {h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0};
    }

    private static int first(int sizeIndex) {
        return sizeIndex * 100_000;
    }

    /** Object {@code i} of a plain contender, a thousand objects per folder as the linker has them. */
    private static Path file(Path root, int i) {
        return root.resolve(Integer.toString(i / 1000)).resolve(Integer.toString(i));
    }

    private static String cell(String figure, Contender c, int size) {
        return figure + " " + c.key + " " + size;
    }

    private String table(int rounds, int objects, String fileSystem) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Each round, every contender rewrites the same %d objects of each size "
                + "in turn (the order rotates per round), in folders of a thousand objects, on one %s file system "
                + "(bench/target); an unmeasured first pass creates the files. %d rounds; each cell is the median "
                + "over rounds of that round's percentile, the ratio the median of each round's p50 ratio to a "
                + "plain write+force. kDDM: %d nodes in one JVM over 127.0.0.1 TCP; only the `sync` call is timed "
                + "(the grab+put that sets the value before it is not). The absolute times are those of this "
                + "machine's virtual disk, whose fsyncs cost much less in some rounds than in others; another disk "
                + "changes them, and the ratios with them. Each contender's pass is a moment of its own: the "
                + "in-place write (tens of microseconds) moves most between moments, so its ratio column is the "
                + "noisier one; the ratio to the protocol by hand compares contenders of the same cost.%n%n",
                objects, fileSystem, rounds, NODES));
        b.append("The file linker does more than a plain write on purpose: a plain overwrite in place needs one "
                + "fsync but a crash can leave the object half old, half new; the linker writes a temporary file, "
                + "forces it, renames it over the object and forces the folder (two fsyncs, a create and a rename), "
                + "so that a crash leaves the old object or the new one, whole, and a header with a CRC-32 makes a "
                + "damaged file detectable. The second row is that protocol by hand, without the header and "
                + "without kDDM: its ratio to the first row is the price of atomic replacement, and the last column, "
                + "each row's ratio to it, what the linker and kDDM add to that protocol.\n\n");
        b.append("| size | what is timed, per object | fsyncs | p50 (us) | p99 (us) | p50 ratio to write+force "
                + "| p50 ratio to the protocol by hand |\n");
        b.append("|---:|---|---|---:|---:|---:|---:|\n");
        for (int size : SIZES) {
            for (Contender c : contenders) {
                b.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f | %.1f | %.2f x | %.2f x |%n",
                        bytes(size), c.label, c.fsyncs, f.median(cell("p50", c, size)),
                        f.median(cell("p99", c, size)), f.median(cell("x", c, size)),
                        f.median(cell("x by hand", c, size))));
            }
        }
        return b.toString();
    }

    private static String bytes(int size) {
        return size % 1024 == 0 ? size / 1024 + " KiB" : size + " B";
    }
}
