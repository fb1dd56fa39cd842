package io.kddm.health.impl;

import java.util.List;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.NodeState;
import io.kddm.api.membership.View;
import io.kddm.health.KddmChecks;

/**
 * Node ready: this node is in the view the voters agreed and holds a lease (it
 * may grant and serve); a node joining or suspected is a warning (the view is
 * about to change).
 */
@Component(property = {HealthCheck.NAME + "=" + KddmChecks.MEMBERSHIP_CONVERGED,
    HealthCheck.TAGS + "=" + KddmChecks.TAG, HealthCheck.TAGS + "=" + KddmChecks.READY})
public final class MembershipConvergedCheck implements HealthCheck {
    private final Membership membership;

    @Activate
    public MembershipConvergedCheck(
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            Membership membership) {
        this.membership = membership;
    }

    @Override
    public Result execute() {
        return verdict(membership).result();
    }

    static Verdict verdict(Membership membership) {
        if (membership == null) {
            return Verdict.critical("no membership: the io.kddm.membership configuration is missing or was refused");
        }
        int self = membership.localNode();
        View view = membership.view();
        if (!view.contains(self)) {
            return Verdict.critical("node " + self + " is not in the agreed view (" + view + "): joining");
        }
        if (!membership.hasLease()) {
            return Verdict.critical("node " + self + " holds no lease: no majority of the voters "
                    + membership.voters() + " reached it lately");
        }
        List<String> moving = membership.nodes().stream()
                .filter(n -> n.state() == NodeState.JOINING || n.state() == NodeState.SUSPECT)
                .map(MembershipConvergedCheck::describe).toList();
        if (!moving.isEmpty()) {
            return Verdict.warn(view + ", lease held; not settled: " + String.join(", ", moving));
        }
        return Verdict.ok(view + ", lease held");
    }

    private static String describe(NodeInfo n) {
        return "node " + n.id() + " " + n.state();
    }
}
