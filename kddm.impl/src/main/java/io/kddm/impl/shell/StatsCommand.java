package io.kddm.impl.shell;

import java.time.Duration;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.impl.core.KddmService;
import io.kddm.impl.core.Stats;

/** {@code kddm:stats}: what this node's kDDM has done. */
@Component(service = StatsCommand.class, property = {"osgi.command.scope=kddm", "osgi.command.function=stats"})
public final class StatsCommand {
    private final KddmService kddm;

    @Activate
    public StatsCommand(@Reference KddmService kddm) {
        this.kddm = kddm;
    }

    @Descriptor("operations, local hits, remote fetches, invalidations, queue waits and latency percentiles")
    public String stats() {
        Stats s = kddm.coherence().stats();
        long budget = kddm.coherence().memoryBudget();
        Table t = new Table("COUNTER", "VALUE");
        t.row("gets", s.gets.sum()).row("grabs", s.grabs.sum()).row("local hits", s.localHits.sum())
                .row("remote fetches", s.remoteFetches.sum()).row("first touches (as home)", s.firstTouches.sum())
                .row("invalidations sent", s.invalidationsSent.sum())
                .row("invalidations received", s.invalidationsReceived.sum())
                .row("queue waits", s.queueWaits.sum()).row("timeouts", s.timeouts.sum())
                .row("failures", s.failures.sum()).row("handoffs", s.handoffs.sum())
                .row("requests asked again (set not open at its home)", s.refusals.sum())
                .row("bytes held", kddm.coherence().heldBytes())
                .row("memory budget", budget == 0 ? "none" : budget)
                .row("operation timeout", kddm.coherence().operationTimeout().toMillis() + " ms")
                .row("linker grace", kddm.linkerGrace().toMillis() + " ms")
                .row("flushed over budget", s.budgetFlushes.sum())
                .row("waits for an updated linker", s.linkerWaits.sum())
                .row("linker calls skipped in an update", s.linkerSkips.sum())
                .row("backups sent (acknowledged)", s.backupsSent.sum())
                .row("backups kept here", kddm.coherence().backupCount())
                .row("backup bytes kept here", kddm.coherence().backupBytes())
                .row("objects owned here under-replicated", kddm.coherence().underReplicated())
                .row("objects backed up again (re-replication)", s.reReplicated.sum())
                .row("old backups collected (rounds as owner)", s.backupCollections.sum())
                .row("old backups dropped here (collected)", s.backupsCollected.sum())
                .row("owner failovers (as home)", s.failovers.sum())
                .row("objects found lost (as home)", s.objectsLost.sum())
                .row("homes marked after more than one crash (kddm:lost)", kddm.coherence().uncertainHomes().size())
                .row("objects found lost, known here (kddm:lost)", kddm.coherence().lostObjects())
                .row("stores a replica missed (heal index)", s.storesMissed.sum())
                .row("missed stores healed", s.storesHealed.sum())
                .row("stores older than the version kept", s.storesKeptNewer.sum());
        Table l = new Table("LATENCY", "COUNT", "P50", "P90", "P99", "P99.9");
        latency(l, "get", s.getLatency);
        latency(l, "grab", s.grabLatency);
        return t + "\n" + l + "(percentiles are bucket upper bounds, within 12.5 %)\n";
    }

    private static void latency(Table t, String operation, Stats.Latency h) {
        t.row(operation, h.count(), d(h.percentile(50)), d(h.percentile(90)), d(h.percentile(99)),
                d(h.percentile(99.9)));
    }

    private static String d(long nanos) {
        return nanos == 0 ? "-" : Durations.of(Duration.ofNanos(nanos));
    }
}
