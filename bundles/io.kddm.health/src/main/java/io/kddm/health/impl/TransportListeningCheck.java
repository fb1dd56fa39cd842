package io.kddm.health.impl;

import java.util.List;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.Transport;
import io.kddm.health.KddmChecks;

/**
 * Node ready: the transport is up and listening; a peer that refused this node
 * (another cluster secret, a node id taken twice) is a warning.
 */
@Component(property = {HealthCheck.NAME + "=" + KddmChecks.TRANSPORT_LISTENING,
    HealthCheck.TAGS + "=" + KddmChecks.TAG, HealthCheck.TAGS + "=" + KddmChecks.READY})
public final class TransportListeningCheck implements HealthCheck {
    private final Transport transport;

    @Activate
    public TransportListeningCheck(
            @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
            Transport transport) {
        this.transport = transport;
    }

    @Override
    public Result execute() {
        return verdict(transport).result();
    }

    static Verdict verdict(Transport transport) {
        if (transport == null) {
            return Verdict.critical("no transport: the io.kddm.node configuration is missing or was refused (see the log)");
        }
        var listen = transport.addressOf(transport.localNode());
        if (listen.isEmpty()) {
            return Verdict.critical("the transport of node " + transport.localNode() + " is not listening");
        }
        List<PeerStatus> peers = transport.peers().stream().filter(p -> p.state() != PeerStatus.State.SELF).toList();
        List<String> refused = peers.stream().filter(p -> p.state() == PeerStatus.State.REFUSED)
                .map(p -> hostPort(p) + ": " + p.detail()).toList();
        long connected = peers.stream().filter(p -> p.state() == PeerStatus.State.CONNECTED).count();
        String where = "node " + transport.localNode() + " listening on " + listen.get().getHostString() + ":"
                + listen.get().getPort() + ", " + connected + " of " + peers.size() + " peer addresses connected";
        if (!refused.isEmpty()) {
            return Verdict.warn(where + "; refused by " + String.join(", ", refused));
        }
        return Verdict.ok(where);
    }

    private static String hostPort(PeerStatus p) {
        return p.address().getHostString() + ":" + p.address().getPort();
    }
}
