package io.kddm.kdfs.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.KdfsException;

/**
 * A kDFS partition: a folder of the node's native file system laid out as the
 * kDFS paper has it. {@code DIR/...} is the {@link Superblock}; each entry is a
 * folder named by its local inode id, a hundred per group folder
 * ({@code DIR/0-99/1/} is the root), holding {@code .meta} ({@link Meta}) and
 * {@code .content} (a file's bytes, or a directory's entry pages); with
 * replicas, the versions of its stores ({@link StoreVersions}).
 */
final class Partition {
    static final String META = ".meta";
    static final String CONTENT = ".content";

    private final Path dir;
    private final int node;
    /** Entries made by a write-back that forced nothing: the next durable one forces their folder. */
    private final java.util.Set<Integer> madeUnforced = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /**
     * One write of an entry at a time (striped by local id): kDDM stores a file's
     * inode and its pages on different threads, and a page written with the old
     * size's padding after the inode cut the file left {@code .content} longer
     * than {@code .meta} says, so a replica was no longer its partition byte for
     * byte (FullHealFaultTest).
     */
    private final Object[] entryLocks = new Object[64];
    /** The replicas of other partitions kept in this one, by home node. */
    private final java.util.Map<Integer, Partition> replicas = new java.util.concurrent.ConcurrentHashMap<>();

    private Partition(Path dir, int node) {
        for (int i = 0; i < entryLocks.length; i++) {
            entryLocks[i] = new Object();
        }
        this.dir = dir;
        this.node = node;
    }

    /**
     * Formats {@code dir} for node {@code node}; the root directory is made there
     * only if {@code node == rootNode}.
     *
     * @throws KdfsException EINVAL for a node id outside 1..255, EEXIST if {@code dir} is not empty and not forced
     */
    static Partition mkfs(Path dir, int node, int rootNode, boolean force) {
        return mkfs(dir, node, rootNode, Volume.SINGLE, force);
    }

    /**
     * As {@link #mkfs(Path, int, int, boolean)}, for a file system of {@code volume}'s replicas.
     *
     * @throws KdfsException EINVAL also if {@code node} is not one of the volume's partition nodes
     */
    static Partition mkfs(Path dir, int node, int rootNode, Volume volume, boolean force) {
        if (volume.replicas() > 1 && (!volume.partitions().contains(node) || !volume.partitions().contains(rootNode))) {
            throw new KdfsException(Errno.EINVAL, "nodes " + node + " and " + rootNode + " must be partition nodes "
                    + "of the file system (--partitions " + volume.partitions() + ")");
        }
        for (int id : new int[] {node, rootNode}) {
            if (id < 1 || id > 255) {
                throw new KdfsException(Errno.EINVAL, "node id must be 1..255, not " + id);
            }
        }
        try {
            Files.createDirectories(dir);
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    if (!force) {
                        throw new KdfsException(Errno.EEXIST, dir + " is not empty (use --force to format it anyway)");
                    }
                    clear(dir);
                }
            }
            Partition p = new Partition(dir.toAbsolutePath(), node);
            new Superblock(node, Ino.of(rootNode, Ino.ROOT_LOCAL), Ino.FIRST_FREE, volume).write(p.dir);
            Meta root = Meta.fresh(FileType.DIRECTORY, 0755, 0, 0, Ino.of(rootNode, Ino.ROOT_LOCAL), Instant.now());
            if (node == rootNode) {
                p.writeMeta(Ino.ROOT_LOCAL, root.encode(), true);
            } else if (volume.replicated(node).contains(rootNode)) {
                // The root's replica too, made here: else a fresh file system whose root node dies
                // before the root is first written back has no root (its times differ by the seconds
                // between the two mkfs: the first write-back of the root, or kdfs:heal full, aligns them).
                p.replica(rootNode).writeMeta(Ino.ROOT_LOCAL, root.encode(), true);
            }
            NativeFiles.force(p.dir);
            return p;
        } catch (IOException e) {
            throw new KdfsException(Errno.EIO, "cannot format " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void clear(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(dir)) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * The partition in {@code dir}, which must belong to {@code node}.
     *
     * @throws CorruptPartitionException naming the superblock if it is missing, damaged or another node's
     */
    static Partition open(Path dir, int node) {
        Superblock sb = Superblock.read(dir);
        if (sb.node() != node) {
            throw new CorruptPartitionException(dir.resolve(Superblock.FILE), "belongs to node " + sb.node()
                    + ", not to this node " + node);
        }
        return new Partition(dir.toAbsolutePath(), node);
    }

    Path dir() {
        return dir;
    }

    /**
     * The replica of partition {@code home} kept in this one, {@code DIR/nHOME}
     * (laid out as a partition, its superblock made on first use, for the home's
     * inode allocator).
     */
    Partition replica(int home) {
        return replicas.computeIfAbsent(home, h -> {
            Path r = dir.resolve("n" + h);
            try {
                if (!Files.exists(r.resolve(Superblock.FILE))) {
                    Files.createDirectories(r);
                    Superblock own = superblock();
                    new Superblock(h, own.root(), Ino.FIRST_FREE, own.volume()).write(r);
                    NativeFiles.force(r);
                    NativeFiles.force(dir);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make the replica " + r + ": " + e.getMessage(), e);
            }
            return new Partition(r, h);
        });
    }

    int node() {
        return node;
    }

    Superblock superblock() {
        return Superblock.read(dir);
    }

    static String group(int local) {
        int first = local / 100 * 100;
        return first + "-" + (first + 99);
    }

    Path entry(int local) {
        return dir.resolve(group(local)).resolve(Integer.toString(local));
    }

    Path meta(int local) {
        return entry(local).resolve(META);
    }

    Path content(int local) {
        return entry(local).resolve(CONTENT);
    }

    /** The stored {@code .meta} bytes, empty if the entry does not exist. */
    byte[] readMeta(int local) {
        Path file = meta(local);
        if (!Files.exists(file)) {
            return new byte[0]; // a new inode's first touch: a stat, not the exception of an open
        }
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new byte[0];
        } catch (IOException e) {
            throw new CorruptPartitionException(file, "unreadable: " + e.getMessage());
        }
    }

    /**
     * Stores {@code .meta} atomically, making the entry (with an empty
     * {@code .content}) if needed; a file's {@code .content} is first cut to its
     * size and, {@code durable}, forced, so that what {@code .meta} says is on
     * disk, and so is the entry's folder in its bucket if this write made it, or
     * an earlier one that forced nothing. Not {@code durable}: on the native
     * file system, nothing forced (a close's write-back).
     */
    void writeMeta(int local, byte[] meta, boolean durable) {
        synchronized (entryLock(local)) {
            Path entry = entry(local);
            try {
                boolean made = !Files.isDirectory(entry);
                if (made) {
                    Files.createDirectories(entry);
                }
                Meta m = Meta.decode(meta, meta(local));
                NativeFiles.truncate(content(local), m.type == FileType.REGULAR ? m.size : -1, durable);
                if (durable) {
                    NativeFiles.force(entry.resolve(StoreVersions.PAGES)); // the pages' versions, with the pages
                }
                NativeFiles.replace(meta(local), meta, durable);
                if (!durable) {
                    if (made) {
                        madeUnforced.add(local);
                    }
                } else if (madeUnforced.remove(local) | made) {
                    NativeFiles.force(entry.getParent());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + entry + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Deletes an entry (a removed inode) and everything in it. Not forced: the
     * name is gone from its directory's page already, and an entry a crash
     * leaves behind only holds an id that is never handed out again.
     */
    void deleteEntry(int local) {
        synchronized (entryLock(local)) {
            Path entry = entry(local);
            madeUnforced.remove(local);
            try {
                if (Files.isDirectory(entry)) {
                    clear(entry);
                    Files.delete(entry);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + entry + ": " + e.getMessage(), e);
            }
        }
    }

    /** Runs {@code r} holding the entry's lock (as its writes and its deletion do). */
    void underEntryLock(int local, Runnable r) {
        synchronized (entryLock(local)) {
            r.run();
        }
    }

    private Object entryLock(int local) {
        return entryLocks[Math.floorMod(local, entryLocks.length)];
    }

    /** Bytes of {@code .content} from {@code offset}, at most {@code length}. */
    byte[] readContent(int local, long offset, int length) {
        return NativeFiles.read(content(local), offset, length);
    }

    /**
     * Writes a page into {@code .content} (zero-padded to {@code span}, but not
     * past the size its {@code .meta} gives a file: a page stored after its
     * inode, a replica's heal, leaves the length the inode set); not forced: the
     * inode's next write-back forces it. Nothing is written for an empty page of
     * an entry that does not exist (a page of a removed inode).
     */
    void writeContent(int local, long offset, byte[] bytes, int span) {
        synchronized (entryLock(local)) {
            Path entry = entry(local);
            if (!Files.isDirectory(entry)) {
                if (bytes.length == 0) {
                    return;
                }
                try {
                    Files.createDirectories(entry);
                    madeUnforced.add(local); // pages go before their inode: its durable write-back forces the folder
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot make " + entry + ": " + e.getMessage(), e);
                }
            }
            byte[] meta = readMeta(local);
            if (meta.length > 0) {
                Meta m = Meta.decode(meta, meta(local));
                if (m.type == FileType.REGULAR) {
                    span = (int) Math.max(bytes.length, Math.min(span, Math.max(0, m.size - offset)));
                }
            }
            NativeFiles.writeAt(content(local), offset, bytes, span);
        }
    }

    /** The highest local id with an entry folder, 0 if none: allocation resumes above it whatever the superblock says. */
    int highestLocal() {
        return locals().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    /** The local ids of every entry folder, in order (with or without a {@code .meta}). */
    java.util.SortedSet<Integer> locals() {
        java.util.SortedSet<Integer> out = new java.util.TreeSet<>();
        try (DirectoryStream<Path> groups = Files.newDirectoryStream(dir)) {
            for (Path g : groups) {
                String name = g.getFileName().toString();
                int dash = name.indexOf('-');
                if (dash <= 0 || !Files.isDirectory(g)) {
                    continue;
                }
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(g)) {
                    for (Path e : entries) {
                        try {
                            out.add(Integer.parseInt(e.getFileName().toString()));
                        } catch (NumberFormatException ignored) {
                            // not an entry (a temporary file, or something an administrator put there)
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The length of an entry's {@code .content}, 0 if it has none. */
    long contentLength(int local) {
        try {
            return Files.size(content(local));
        } catch (NoSuchFileException none) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + content(local) + ": " + e.getMessage(), e);
        }
    }

    /** Entries stored here (entry folders holding a {@code .meta}). */
    long entries() {
        try (Stream<Path> s = Files.find(dir, 3, (p, a) -> p.getFileName().toString().equals(META))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    FileStore store() throws IOException {
        return Files.getFileStore(dir);
    }
}
