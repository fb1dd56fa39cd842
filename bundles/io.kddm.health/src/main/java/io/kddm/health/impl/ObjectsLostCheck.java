package io.kddm.health.impl;

import java.util.concurrent.TimeUnit;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

import io.kddm.api.stats.CoreStats;
import io.kddm.health.KddmChecks;

/**
 * Cluster health: objects this node, as their home, found lost (their owner died
 * with no copy anywhere). Critical when it happened within the window, a warning
 * afterwards (what was lost stays lost; the node itself is serving).
 */
@Component(configurationPid = HealthConfig.PID, property = {HealthCheck.NAME + "=" + KddmChecks.OBJECTS_LOST,
    HealthCheck.TAGS + "=" + KddmChecks.TAG, HealthCheck.TAGS + "=" + KddmChecks.CLUSTER})
@Designate(ocd = HealthConfig.class) // one designation for the PID; the other checks read the same configuration
public final class ObjectsLostCheck implements HealthCheck {
    private final CoreStats stats;
    private final CounterWindow window;
    private final long windowSeconds;

    @Activate
    public ObjectsLostCheck(
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            CoreStats stats, HealthConfig config) {
        this.stats = stats;
        this.windowSeconds = config.lost_window_s();
        this.window = new CounterWindow(TimeUnit.SECONDS.toNanos(windowSeconds));
    }

    @Override
    public Result execute() {
        return verdict(System.nanoTime()).result();
    }

    Verdict verdict(long nanos) {
        if (stats == null) {
            return Verdict.critical("the kDDM core is not active");
        }
        long lost = stats.counters().getOrDefault(CoreStats.OBJECTS_LOST, 0L);
        long recent = window.grew(nanos, lost);
        if (recent > 0) {
            return Verdict.critical(recent + " objects lost in the last " + windowSeconds + " s (" + lost
                    + " since start): their owner died with no copy left");
        }
        if (lost > 0) {
            return Verdict.warn(lost + " objects lost since this node started, none in the last " + windowSeconds + " s");
        }
        return Verdict.ok("no object lost");
    }
}
