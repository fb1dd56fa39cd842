package io.kddm.health.impl;

import java.io.IOException;
import java.util.Dictionary;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.kddm.health.KddmChecks;
import io.kddm.kdfs.Kdfs;

/**
 * Node ready: when this node's {@code io.kddm.kdfs} configuration names a
 * partition (or NONE, diskless) to mount at start, kDFS is mounted. A node that
 * mounts nothing at start is fine.
 */
@Component(property = {HealthCheck.NAME + "=" + KddmChecks.KDFS_MOUNTED, HealthCheck.TAGS + "=" + KddmChecks.TAG,
    HealthCheck.TAGS + "=" + KddmChecks.READY, HealthCheck.TAGS + "=" + KddmChecks.KDFS})
public final class KdfsMountedCheck implements HealthCheck {
    static final String PID = "io.kddm.kdfs";

    private final ConfigurationAdmin configs;
    private final Kdfs kdfs;

    @Activate
    public KdfsMountedCheck(@Reference ConfigurationAdmin configs,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            Kdfs kdfs) {
        this.configs = configs;
        this.kdfs = kdfs;
    }

    @Override
    public Result execute() {
        return verdict(configuredPartition(), kdfs).result();
    }

    /** The partition the configuration mounts at start, or null if none. */
    private String configuredPartition() {
        try {
            Configuration[] found = configs.listConfigurations("(service.pid=" + PID + ")");
            if (found == null || found.length == 0) {
                return null;
            }
            Dictionary<String, Object> props = found[0].getProperties();
            Object partition = props == null ? null : props.get("partition");
            return partition == null || partition.toString().isBlank() ? null : partition.toString().trim();
        } catch (IOException | InvalidSyntaxException e) {
            throw new IllegalStateException("cannot read the " + PID + " configuration: " + e.getMessage(), e);
        }
    }

    static Verdict verdict(String partition, Kdfs kdfs) {
        if (partition == null) {
            if (kdfs != null && kdfs.mounted()) {
                return Verdict.ok("mounted by hand" + kdfs.partition().map(p -> " (partition " + p + ")").orElse(""));
            }
            return Verdict.ok("no partition configured to mount at start");
        }
        if (kdfs == null) {
            return Verdict.critical("partition " + partition + " configured, but the kDFS bundle is not active");
        }
        if (!kdfs.mounted()) {
            return Verdict.critical("partition " + partition + " configured, not mounted (see the log: kDFS not mounted)");
        }
        return Verdict.ok("mounted" + kdfs.partition().map(p -> ", partition " + p).orElse(", diskless"));
    }
}
