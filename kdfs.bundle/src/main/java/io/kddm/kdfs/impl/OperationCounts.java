package io.kddm.kdfs.impl;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many times each kDFS operation was asked on this node (for
 * {@link io.kddm.kdfs.Kdfs#stats}). Counted when asked, failed ones included:
 * a rising count of a kind shows what the programs do, not what succeeded.
 */
final class OperationCounts {
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    void count(String operation) {
        counts.computeIfAbsent(operation, o -> new LongAdder()).increment();
    }

    SortedMap<String, Long> snapshot() {
        SortedMap<String, Long> out = new TreeMap<>();
        counts.forEach((operation, n) -> out.put(operation, n.sum()));
        return out;
    }
}
