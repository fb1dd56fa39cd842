package io.kddm.health.impl;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import io.kddm.health.KddmChecks;

/** Node ready: every bundle of the node (those of its drop-in folder too) is active; fragments are resolved. */
@Component(property = {HealthCheck.NAME + "=" + KddmChecks.BUNDLES_ACTIVE, HealthCheck.TAGS + "=" + KddmChecks.TAG,
    HealthCheck.TAGS + "=" + KddmChecks.READY})
public final class BundlesActiveCheck implements HealthCheck {
    /** What the check needs of a bundle. */
    record BundleState(String name, int state, boolean fragment) {
    }

    private final BundleContext context;

    @Activate
    public BundlesActiveCheck(BundleContext context) {
        this.context = context;
    }

    @Override
    public Result execute() {
        List<BundleState> states = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            BundleRevision r = b.adapt(BundleRevision.class);
            boolean fragment = r != null && (r.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            states.add(new BundleState(b.getSymbolicName() + " " + b.getVersion(), b.getState(), fragment));
        }
        return verdict(states).result();
    }

    static Verdict verdict(List<BundleState> bundles) {
        List<String> inactive = new ArrayList<>();
        for (BundleState b : bundles) {
            boolean fine = b.state() == Bundle.ACTIVE || (b.fragment() && b.state() == Bundle.RESOLVED);
            if (!fine) {
                inactive.add(b.name() + " (" + stateName(b.state()) + ")");
            }
        }
        if (inactive.isEmpty()) {
            return Verdict.ok(bundles.size() + " bundles active");
        }
        return Verdict.critical(inactive.size() + " of " + bundles.size() + " bundles not active: "
                + String.join(", ", inactive));
    }

    private static String stateName(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED, not resolved";
            case Bundle.RESOLVED -> "RESOLVED, not started";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "state " + state;
        };
    }
}
