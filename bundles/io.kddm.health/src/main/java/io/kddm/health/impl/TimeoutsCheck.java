package io.kddm.health.impl;

import java.util.concurrent.TimeUnit;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.kddm.api.stats.CoreStats;
import io.kddm.health.KddmChecks;

/** Cluster health: gets and grabs of this node that gave up after their timeout within the window: a warning. */
@Component(configurationPid = HealthConfig.PID, property = {
    HealthCheck.NAME + "=" + KddmChecks.OPERATIONS_TIMING_OUT, HealthCheck.TAGS + "=" + KddmChecks.TAG,
    HealthCheck.TAGS + "=" + KddmChecks.CLUSTER})
public final class TimeoutsCheck implements HealthCheck {
    private final CoreStats stats;
    private final CounterWindow window;
    private final long windowSeconds;

    @Activate
    public TimeoutsCheck(
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            CoreStats stats, HealthConfig config) {
        this.stats = stats;
        this.windowSeconds = config.timeouts_window_s();
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
        long timeouts = stats.counters().getOrDefault(CoreStats.TIMEOUTS, 0L);
        long recent = window.grew(nanos, timeouts);
        if (recent > 0) {
            return Verdict.warn(recent + " operations timed out in the last " + windowSeconds + " s (" + timeouts
                    + " since start)");
        }
        return Verdict.ok("none in the last " + windowSeconds + " s (" + timeouts + " since start)");
    }
}
