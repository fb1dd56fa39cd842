package io.kddm.api.stats;

import java.util.SortedMap;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Every figure {@code kddm:stats} prints, by a stable snake_case name, as a
 * snapshot (the latency histograms are in {@link io.kddm.api.set.Kddm#stats()}).
 * Registered by the kDDM core as a service.
 */
@ProviderType
public interface CoreStats {
    /** Operations that gave up after their timeout (a counter). */
    String TIMEOUTS = "timeouts";
    /** Objects whose owner died with no copy left, found as home (a counter). */
    String OBJECTS_LOST = "objects_lost";
    /** Bytes of the copies held here now (a gauge). */
    String BYTES_HELD = "bytes_held";
    /** The memory budget in bytes, 0 for none (a gauge). */
    String MEMORY_BUDGET = "memory_budget_bytes";

    /**
     * The counters, which only grow while the node runs: {@code gets},
     * {@code grabs}, {@code local_hits}, {@code remote_fetches},
     * {@code invalidations_sent}, {@code timeouts}, {@code objects_lost}... (the
     * rows of {@code kddm:stats}).
     */
    SortedMap<String, Long> counters();

    /**
     * The figures that go up and down: {@code bytes_held},
     * {@code memory_budget_bytes}, {@code backups_kept}, {@code backup_bytes}, {@code removed_floors},
     * {@code under_replicated}, {@code operation_timeout_ms}, {@code linker_grace_ms}.
     */
    SortedMap<String, Long> gauges();
}
