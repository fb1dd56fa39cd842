package io.kddm.kdfs.impl;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

import io.kddm.kdfs.Errno;
import io.kddm.kdfs.KdfsException;

/**
 * What every node of one kDFS agrees on, fixed by {@code mkfs.kdfs}: how many
 * nodes store each partition's entries, and the partition nodes in order. The
 * replicas of partition S are S and the next {@code replicas - 1} partition
 * nodes after it in that order (and around), as Gluster's replica sets: static,
 * so that a node back from a crash knows which replicas it keeps.
 *
 * @param replicas   1 (each partition on its node only), 2 or 3
 * @param partitions the partition nodes, in order; empty when {@code replicas} is 1
 */
record Volume(int replicas, List<Integer> partitions) {
    static final Volume SINGLE = new Volume(1, List.of());
    /**
     * With three, kDDM acknowledges a store once two replicas have it, and serves a partition only while two of
     * its replicas are in the view (StoreReplicas, rows S14 and S15).
     */
    static final int MAX_REPLICAS = 3;

    Volume {
        partitions = List.copyOf(partitions);
        if (replicas < 1 || replicas > MAX_REPLICAS) {
            throw new KdfsException(Errno.EINVAL, "--replicas must be 1.." + MAX_REPLICAS + ", not " + replicas);
        }
        if (replicas == 1 && !partitions.isEmpty()) {
            partitions = List.of(); // (the list only places replicas)
        }
        if (replicas > 1 && partitions.size() < replicas) {
            throw new KdfsException(Errno.EINVAL, "--replicas " + replicas + " needs at least " + replicas
                    + " partition nodes (--partitions), not " + partitions);
        }
        if (new LinkedHashSet<>(partitions).size() != partitions.size()) {
            throw new KdfsException(Errno.EINVAL, "partition nodes listed twice: " + partitions);
        }
        for (int n : partitions) {
            if (n < 1 || n > 255) {
                throw new KdfsException(Errno.EINVAL, "partition node ids must be 1..255, not " + n);
            }
        }
    }

    /**
     * Parses {@code --replicas} and {@code --partitions} (comma separated ids).
     *
     * @throws KdfsException EINVAL naming what is wrong
     */
    static Volume parse(int replicas, String partitions) {
        List<Integer> ids = new ArrayList<>();
        if (partitions != null && !partitions.isBlank()) {
            for (String id : partitions.split(",")) {
                try {
                    ids.add(Integer.parseInt(id.trim()));
                } catch (NumberFormatException e) {
                    throw new KdfsException(Errno.EINVAL, "--partitions takes node ids, comma separated, not '"
                            + partitions + "'");
                }
            }
        }
        return new Volume(replicas, ids);
    }

    /** The nodes storing partition {@code home}'s entries, {@code home} first. */
    List<Integer> group(int home) {
        int at = partitions.indexOf(home);
        if (replicas == 1 || at < 0) {
            return List.of(home);
        }
        List<Integer> g = new ArrayList<>(replicas);
        for (int i = 0; i < replicas; i++) {
            g.add(partitions.get((at + i) % partitions.size()));
        }
        return g;
    }

    /** Whether node {@code node} stores partition {@code home}'s entries. */
    boolean stores(int home, int node) {
        return group(home).contains(node);
    }

    /** The homes whose entries node {@code node} keeps a replica of (not its own). */
    List<Integer> replicated(int node) {
        List<Integer> homes = new ArrayList<>();
        for (int p : partitions) {
            if (p != node && stores(p, node)) {
                homes.add(p);
            }
        }
        return homes;
    }

    String describe() {
        return replicas == 1 ? "1 replica" : replicas + " replicas over partitions " + partitions;
    }
}
