package io.kddm.kdfs.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The superblock, {@code DIR/...}: a few {@code key=value} lines, readable with
 * {@code cat}, the last one a CRC-32 of the others.
 *
 * @param node the node the partition belongs to
 * @param root the root directory's inode id
 * @param next where allocation resumes: the end of the last range of local
 *             inode ids reserved (ids below it may have been handed out)
 * @param volume the replicas of the file system (lines {@code replicas=} and
 *             {@code partitions=}, absent for one replica)
 */
record Superblock(int node, int root, int next, Volume volume) {
    static final String FILE = "...";
    static final int VERSION = 1;
    private static final String HEADER = "kdfs superblock";

    Superblock(int node, int root, int next) {
        this(node, root, next, Volume.SINGLE);
    }

    Superblock {
        if (node < 1 || node > 255) {
            throw new IllegalArgumentException("node id must be 1..255, not " + node);
        }
        if (Ino.node(root) < 1 || Ino.local(root) < 1) {
            throw new IllegalArgumentException("bad root inode id " + Integer.toUnsignedString(root));
        }
        if (next < Ino.FIRST_FREE || next > Ino.MAX_LOCAL + 1) {
            throw new IllegalArgumentException("bad next local inode id " + next);
        }
    }

    String encode() {
        String body = HEADER + "\nversion=" + VERSION + "\nnode=" + node + "\nroot=" + Integer.toUnsignedString(root)
                + " (" + Ino.node(root) + ":" + Ino.local(root) + ")\nnext=" + next + "\n"
                + (volume.replicas() == 1 ? "" : "replicas=" + volume.replicas() + "\npartitions="
                        + volume.partitions().toString().replaceAll("[\\[\\] ]", "") + "\n");
        return body + "crc32=" + String.format("%08x", crc(body)) + "\n";
    }

    private static long crc(String body) {
        CRC32 crc = new CRC32();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }

    /** Parses {@link #encode}; {@code where} names the file in errors. */
    static Superblock decode(String text, Path where) {
        int end = text.lastIndexOf("crc32=");
        if (!text.startsWith(HEADER + "\n") || end < 0) {
            throw new CorruptPartitionException(where, "not a kDFS superblock");
        }
        String body = text.substring(0, end);
        String stored = text.substring(end + "crc32=".length()).trim();
        if (!stored.equals(String.format("%08x", crc(body)))) {
            throw new CorruptPartitionException(where, "checksum mismatch (stored " + stored + ")");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : body.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        try {
            int version = Integer.parseInt(fields.get("version"));
            if (version != VERSION) {
                throw new CorruptPartitionException(where, "format version " + version + ", this kDFS reads "
                        + VERSION);
            }
            String root = fields.get("root").split(" ")[0];
            Volume volume = fields.containsKey("replicas") ? Volume.parse(Integer.parseInt(fields.get("replicas")),
                    fields.get("partitions")) : Volume.SINGLE;
            return new Superblock(Integer.parseInt(fields.get("node")), Integer.parseUnsignedInt(root),
                    Integer.parseInt(fields.get("next")), volume);
        } catch (RuntimeException e) {
            if (e instanceof CorruptPartitionException c) {
                throw c;
            }
            throw new CorruptPartitionException(where, "bad field: " + e.getMessage());
        }
    }

    static Superblock read(Path dir) {
        Path file = dir.resolve(FILE);
        try {
            return decode(Files.readString(file, StandardCharsets.UTF_8), file);
        } catch (NoSuchFileException e) {
            throw new CorruptPartitionException(file, "missing: is " + dir + " a kDFS partition (kdfs:mkfs)?");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new CorruptPartitionException(file, "not text");
        } catch (IOException e) {
            throw new CorruptPartitionException(file, "unreadable: " + e.getMessage());
        }
    }

    /** This superblock with allocation resuming at {@code next}. */
    Superblock withNext(int next) {
        return new Superblock(node, root, next, volume);
    }

    void write(Path dir) {
        NativeFiles.replace(dir.resolve(FILE), encode().getBytes(StandardCharsets.UTF_8));
    }
}
