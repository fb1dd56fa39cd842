package io.kddm.health.impl;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.kddm.api.set.Kddm;
import io.kddm.health.KddmChecks;

/** Node ready: the kDDM core is active here (it needs the transport and the membership) and lists its sets. */
@Component(property = {HealthCheck.NAME + "=" + KddmChecks.CORE_READY, HealthCheck.TAGS + "=" + KddmChecks.TAG,
    HealthCheck.TAGS + "=" + KddmChecks.READY})
public final class CoreReadyCheck implements HealthCheck {
    private final Kddm kddm;

    @Activate
    public CoreReadyCheck(
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            Kddm kddm) {
        this.kddm = kddm;
    }

    @Override
    public Result execute() {
        return verdict(kddm).result();
    }

    static Verdict verdict(Kddm kddm) {
        if (kddm == null) {
            return Verdict.critical("the kDDM core is not active (it waits for the transport and the membership)");
        }
        return Verdict.ok("kDDM core of node " + kddm.localNode() + " active, " + kddm.sets().size() + " sets known");
    }
}
