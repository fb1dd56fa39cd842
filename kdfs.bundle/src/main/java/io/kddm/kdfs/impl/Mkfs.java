package io.kddm.kdfs.impl;

import java.nio.file.Path;

import io.kddm.kdfs.KdfsException;

/**
 * {@code mkfs.kdfs DIR ROOT_NODEID [--node N] [--replicas R --partitions LIST] [--force]}, without a running node
 * (the launcher's {@code ./kddm mkfs.kdfs}): formats DIR for node N (default:
 * ROOT_NODEID). Exits 0 when done, 1 if refused, 2 on bad arguments.
 */
public final class Mkfs {
    private Mkfs() {
    }

    public static void main(String[] args) {
        String dir = null;
        Integer root = null;
        Integer node = null;
        boolean force = false;
        int replicas = 1;
        String partitions = "";
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--force" -> force = true;
                    case "--node" -> node = Integer.parseInt(args[++i]);
                    case "--replicas" -> replicas = Integer.parseInt(args[++i]);
                    case "--partitions" -> partitions = args[++i];
                    default -> {
                        if (dir == null) {
                            dir = args[i];
                        } else if (root == null) {
                            root = Integer.parseInt(args[i]);
                        } else {
                            throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
                        }
                    }
                }
            }
            if (dir == null || root == null) {
                throw new IllegalArgumentException("DIR and ROOT_NODEID are needed");
            }
        } catch (RuntimeException e) {
            System.err.println("mkfs.kdfs: " + e.getMessage()
                    + "\nusage: mkfs.kdfs DIR ROOT_NODEID [--node N] [--replicas R --partitions N,N,...] [--force]");
            System.exit(2);
            return;
        }
        int self = node != null ? node : root;
        try {
            Volume volume = Volume.parse(replicas, partitions);
            Partition p = Partition.mkfs(Path.of(dir), self, root, volume, force);
            System.out.println("formatted " + p.dir() + " for node " + self + (self == root ? ", with the root directory"
                    : ", root directory on node " + root) + (replicas > 1 ? ", " + volume.describe() : ""));
        } catch (KdfsException | java.io.UncheckedIOException e) {
            System.err.println("mkfs.kdfs: " + e.getMessage());
            System.exit(1);
        }
    }
}
