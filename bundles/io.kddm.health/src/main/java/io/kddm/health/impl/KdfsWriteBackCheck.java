package io.kddm.health.impl;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.kddm.health.KddmChecks;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsStats;

/**
 * Cluster health: the kDFS changes made on this node that wait for write-back to
 * their partition; more inodes than {@code writeback.warn.inodes} is a warning
 * (the periodic pass or the disks do not keep up: a crash would lose more).
 */
@Component(configurationPid = HealthConfig.PID, property = {HealthCheck.NAME + "=" + KddmChecks.KDFS_WRITE_BACK,
    HealthCheck.TAGS + "=" + KddmChecks.TAG, HealthCheck.TAGS + "=" + KddmChecks.CLUSTER,
    HealthCheck.TAGS + "=" + KddmChecks.KDFS})
public final class KdfsWriteBackCheck implements HealthCheck {
    private final Kdfs kdfs;
    private final long warnInodes;

    @Activate
    public KdfsWriteBackCheck(
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            Kdfs kdfs, HealthConfig config) {
        this.kdfs = kdfs;
        this.warnInodes = config.writeback_warn_inodes();
    }

    @Override
    public Result execute() {
        return verdict(kdfs == null ? null : kdfs.stats(), kdfs != null && kdfs.mounted(), warnInodes).result();
    }

    static Verdict verdict(KdfsStats stats, boolean mounted, long warnInodes) {
        if (stats == null) {
            return Verdict.ok("no kDFS on this node");
        }
        String backlog = stats.dirtyInodes() + " inodes, " + stats.dirtyPages() + " pages wait for write-back"
                + (mounted ? "" : " (not mounted)");
        if (stats.dirtyInodes() > warnInodes) {
            return Verdict.warn(backlog + ": over " + warnInodes);
        }
        return Verdict.ok(backlog);
    }
}
