package io.kddm.kdfs;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What kDFS did on this node since it started, read without a lock or a
 * message (for metrics and health checks).
 *
 * @param operations  the {@link Kdfs} operations asked here, by name ({@code lookup}, {@code create}, {@code open}, {@code read}, {@code write}...)
 * @param dirtyInodes inodes with changes waiting for write-back now
 * @param dirtyPages  directory and file pages waiting for write-back now
 */
public record KdfsStats(SortedMap<String, Long> operations, long dirtyInodes, long dirtyPages) {
    public KdfsStats {
        operations = Collections.unmodifiableSortedMap(new TreeMap<>(operations));
    }
}
