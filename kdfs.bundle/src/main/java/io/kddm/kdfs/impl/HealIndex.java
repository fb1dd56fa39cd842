package io.kddm.kdfs.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The heal index of a partition, as Gluster's {@code .glusterfs/indices}: an
 * empty file {@code DIR/.heal/NODE/SET-OBJECT} (hexadecimal ids) per object
 * whose store node NODE missed a store made here. Made durably before the
 * store is acknowledged; deleted once NODE has the object's stored value.
 */
final class HealIndex {
    static final String DIR = ".heal";
    private final Path root;

    HealIndex(Path partition) {
        this.root = partition.resolve(DIR);
    }

    private Path of(int node) {
        return root.resolve(Integer.toString(node));
    }

    /** Records that {@code node} missed the object, durably. */
    void missed(int node, long setId, long objectId) {
        Path dir = of(node);
        Path file = dir.resolve(Long.toHexString(setId) + "-" + Long.toHexString(objectId));
        try {
            if (Files.exists(file)) {
                return;
            }
            boolean made = !Files.isDirectory(dir);
            Files.createDirectories(dir);
            Files.createFile(file);
            NativeFiles.force(dir);
            if (made) {
                NativeFiles.force(root);
                NativeFiles.force(root.getParent());
            }
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            // recorded by another store of the same object
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record in the heal index " + file + ": " + e.getMessage(), e);
        }
    }

    /** What {@code node} missed, by set id (only the sets {@code keep} accepts). */
    Map<Long, Set<Long>> missedBy(int node, java.util.function.LongPredicate keep) {
        Map<Long, Set<Long>> out = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(of(node))) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                int dash = name.indexOf('-');
                try {
                    long set = Long.parseUnsignedLong(name.substring(0, dash), 16);
                    long object = Long.parseUnsignedLong(name.substring(dash + 1), 16);
                    if (keep.test(set)) {
                        out.computeIfAbsent(set, s -> new HashSet<>()).add(object);
                    }
                } catch (RuntimeException notARecord) {
                    // a temporary file, or something an administrator put there
                }
            }
        } catch (NoSuchFileException none) {
            return Map.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the heal index " + of(node) + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** {@code node} has the object's stored value now. */
    void healed(int node, long setId, long objectId) {
        try {
            Files.deleteIfExists(of(node).resolve(Long.toHexString(setId) + "-" + Long.toHexString(objectId)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update the heal index " + of(node) + ": " + e.getMessage(), e);
        }
    }

    /** What {@code kdfs:heal} prints: per node, how many of the stores made here it still misses. */
    String describe() {
        Map<Integer, Integer> counts = counts();
        StringBuilder out = new StringBuilder();
        counts.forEach((node, n) -> {
            if (n > 0) {
                out.append("node ").append(node).append(" misses ").append(n).append(" object")
                        .append(n == 1 ? "" : "s").append(" stored here\n");
            }
        });
        return out.length() == 0 ? "nothing to heal: no node misses a store made here\n" : out.toString();
    }

    /** How many objects each node missed, by node. */
    Map<Integer, Integer> counts() {
        Map<Integer, Integer> out = new TreeMap<>();
        try (DirectoryStream<Path> nodes = Files.newDirectoryStream(root)) {
            for (Path n : nodes) {
                try (var files = Files.list(n)) {
                    out.put(Integer.parseInt(n.getFileName().toString()), (int) files.count());
                } catch (NumberFormatException notANode) {
                    // something an administrator put there
                }
            }
        } catch (NoSuchFileException none) {
            return Map.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the heal index " + root + ": " + e.getMessage(), e);
        }
        return out;
    }
}
