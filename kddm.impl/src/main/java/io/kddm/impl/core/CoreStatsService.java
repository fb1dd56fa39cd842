package io.kddm.impl.core;

import java.util.SortedMap;
import java.util.TreeMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.stats.CoreStats;

/**
 * The figures of {@code kddm:stats} by name, read-only, for the health checks and
 * metrics of other bundles (the same reads as {@code StatsCommand}: no message, no lock).
 */
@Component(service = CoreStats.class)
public final class CoreStatsService implements CoreStats {
    private final KddmService kddm;

    @Activate
    public CoreStatsService(@Reference KddmService kddm) {
        this.kddm = kddm;
    }

    @Override
    public SortedMap<String, Long> counters() {
        Stats s = kddm.coherence().stats();
        SortedMap<String, Long> c = new TreeMap<>();
        c.put("gets", s.gets.sum());
        c.put("grabs", s.grabs.sum());
        c.put("local_hits", s.localHits.sum());
        c.put("remote_fetches", s.remoteFetches.sum());
        c.put("first_touches", s.firstTouches.sum());
        c.put("invalidations_sent", s.invalidationsSent.sum());
        c.put("invalidations_received", s.invalidationsReceived.sum());
        c.put("queue_waits", s.queueWaits.sum());
        c.put(TIMEOUTS, s.timeouts.sum());
        c.put("failures", s.failures.sum());
        c.put("handoffs", s.handoffs.sum());
        c.put("refusals", s.refusals.sum());
        c.put("budget_flushes", s.budgetFlushes.sum());
        c.put("linker_waits", s.linkerWaits.sum());
        c.put("linker_skips", s.linkerSkips.sum());
        c.put("backups_sent", s.backupsSent.sum());
        c.put("re_replicated", s.reReplicated.sum());
        c.put("backup_collections", s.backupCollections.sum());
        c.put("backups_collected", s.backupsCollected.sum());
        c.put("failovers", s.failovers.sum());
        c.put(OBJECTS_LOST, s.objectsLost.sum());
        c.put("stores_missed", s.storesMissed.sum());
        c.put("stores_healed", s.storesHealed.sum());
        c.put("stores_kept_newer", s.storesKeptNewer.sum());
        return c;
    }

    @Override
    public SortedMap<String, Long> gauges() {
        Coherence c = kddm.coherence();
        SortedMap<String, Long> g = new TreeMap<>();
        g.put(BYTES_HELD, c.heldBytes());
        g.put(MEMORY_BUDGET, c.memoryBudget());
        g.put("backups_kept", (long) c.backupCount());
        g.put("backup_bytes", c.backupBytes());
        g.put("removed_floors", (long) c.removedFloors());
        g.put("under_replicated", (long) c.underReplicated());
        g.put("operation_timeout_ms", c.operationTimeout().toMillis());
        g.put("linker_grace_ms", kddm.linkerGrace().toMillis());
        return g;
    }
}
