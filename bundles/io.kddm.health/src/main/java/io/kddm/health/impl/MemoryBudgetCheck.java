package io.kddm.health.impl;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.kddm.api.stats.CoreStats;
import io.kddm.health.KddmChecks;

/**
 * Cluster health: the bytes of the copies held here against the core's memory
 * budget. Near the budget is a warning; over it (copies that cannot be flushed:
 * owned, held, or not stored anywhere) is critical.
 */
@Component(configurationPid = HealthConfig.PID, property = {HealthCheck.NAME + "=" + KddmChecks.MEMORY_BUDGET,
    HealthCheck.TAGS + "=" + KddmChecks.TAG, HealthCheck.TAGS + "=" + KddmChecks.CLUSTER})
public final class MemoryBudgetCheck implements HealthCheck {
    private final CoreStats stats;
    private final int warnPercent;

    @Activate
    public MemoryBudgetCheck(
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            CoreStats stats, HealthConfig config) {
        this.stats = stats;
        this.warnPercent = config.budget_warn_percent();
    }

    @Override
    public Result execute() {
        if (stats == null) {
            return Verdict.critical("the kDDM core is not active").result();
        }
        var g = stats.gauges();
        return verdict(g.getOrDefault(CoreStats.BYTES_HELD, 0L), g.getOrDefault(CoreStats.MEMORY_BUDGET, 0L),
                warnPercent).result();
    }

    static Verdict verdict(long held, long budget, int warnPercent) {
        if (budget <= 0) {
            return Verdict.ok(held + " bytes held, no memory budget");
        }
        long percent = held * 100 / budget;
        String figures = held + " of " + budget + " bytes held (" + percent + " %)";
        if (held > budget) {
            return Verdict.critical(figures + ": over the memory budget");
        }
        if (percent >= warnPercent) {
            return Verdict.warn(figures + ": near the memory budget");
        }
        return Verdict.ok(figures);
    }
}
