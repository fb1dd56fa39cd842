package io.kddm.health.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

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
import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.Transport;
import io.kddm.health.KddmChecks;

/**
 * Cluster health: every configured node (the voters, and the nodes behind the
 * configured peer addresses) is in the view. A node down (dead, never joined, a
 * peer address never reached) or a lost majority of voters is critical; a node
 * that left in order is a warning.
 */
@Component(property = {HealthCheck.NAME + "=" + KddmChecks.LIVE_NODES, HealthCheck.TAGS + "=" + KddmChecks.TAG,
    HealthCheck.TAGS + "=" + KddmChecks.CLUSTER})
public final class LiveNodesCheck implements HealthCheck {
    private final Membership membership;
    private final Transport transport;

    @Activate
    public LiveNodesCheck(
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            Membership membership,
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            Transport transport) {
        this.membership = membership;
        this.transport = transport;
    }

    @Override
    public Result execute() {
        return verdict(membership, transport).result();
    }

    static Verdict verdict(Membership membership, Transport transport) {
        if (membership == null || transport == null) {
            return Verdict.critical("no " + (membership == null ? "membership" : "transport") + " on this node");
        }
        SortedSet<Integer> expected = new TreeSet<>(membership.voters());
        expected.add(membership.localNode());
        List<String> unreached = new ArrayList<>();
        for (PeerStatus p : transport.peers()) {
            if (p.state() == PeerStatus.State.SELF) {
                continue;
            }
            if (p.node() != 0) {
                expected.add(p.node());
            } else if (p.settled()) {
                unreached.add(p.address().getHostString() + ":" + p.address().getPort() + " (" + p.state()
                        + (p.detail().isEmpty() ? "" : ": " + p.detail()) + ")");
            }
        }
        // A node seen once and now dead counts too, configured or not.
        membership.nodes().stream().filter(n -> n.state() == NodeState.DEAD).forEach(n -> expected.add(n.id()));
        List<String> down = new ArrayList<>();
        List<String> left = new ArrayList<>();
        int up = 0;
        for (int id : expected) {
            NodeInfo n = membership.node(id).orElse(null);
            if (n != null && n.state().isUp() && membership.isUp(id)) {
                up++;
            } else if (n != null && n.state() == NodeState.LEFT) {
                left.add("node " + id + " LEFT");
            } else {
                down.add("node " + id + " " + (n == null ? "never joined" : n.state().toString()));
            }
        }
        long votersUp = membership.voters().stream().filter(membership::isUp).count();
        int majority = membership.voters().size() / 2 + 1;
        String summary = up + " of " + expected.size() + " nodes up";
        List<String> problems = new ArrayList<>(down);
        problems.addAll(unreached.stream().map(a -> "peer " + a).toList());
        if (votersUp < majority) {
            return Verdict.critical(summary + ", " + votersUp + " of " + membership.voters().size()
                    + " voters up: no majority; down: " + String.join(", ", problems));
        }
        if (!problems.isEmpty()) {
            return Verdict.critical(summary + "; down: " + String.join(", ", problems)
                    + (left.isEmpty() ? "" : "; " + String.join(", ", left)));
        }
        if (!left.isEmpty()) {
            return Verdict.warn(summary + "; " + String.join(", ", left));
        }
        return Verdict.ok(summary + " (voters " + membership.voters() + ")");
    }
}
