package io.kddm.transport.mina;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A change of {@code io.kddm.node} while the transport runs, key by key. Live:
 * {@code handshake.timeout.ms} (for the next connections) and new addresses in
 * {@code peers} (dialed at once). Refused with an ERROR line, the value in force
 * staying until the node's next start: {@code id} and {@code listen} (the
 * node's identity and the address every peer knows it by), {@code secret.file}
 * (every connection was authenticated with the secret read at start),
 * {@code max.frame} (the peers send frames up to the limit they agreed with),
 * and an address taken out of {@code peers} (a connection to it may carry the
 * kDDM traffic of a member: the membership decides who leaves, not a list).
 */
final class NodeConfigChange {
    private static final Logger LOG = LoggerFactory.getLogger(NodeConfigChange.class);

    private NodeConfigChange() {
    }

    /**
     * The settings to run with after {@code next} was configured ({@code now}
     * when nothing applies); {@code secretFile} is the path read at start.
     */
    static TransportSettings of(TransportSettings now, String secretFile, NodeConfig next) {
        refuseIf("id", now.node(), next.id(), "the node's identity (its objects' and inodes' ids carry it)");
        try {
            InetSocketAddress listen = TransportSettings.address(next.listen(), "listen");
            refuseIf("listen", hostPort(now.listen()), hostPort(listen),
                    "the address every peer knows this node by and the port it holds");
        } catch (IllegalArgumentException invalid) {
            LOG.error("io.kddm.node: {}: refused, {} stays in force", invalid.getMessage(), hostPort(now.listen()));
        }
        refuseIf("secret.file", secretFile, next.secret_file(),
                "every connection was authenticated with the secret read at start");
        refuseIf("max.frame", now.maxFrame(), next.max_frame(), "the peers send frames up to the limit in force");

        Duration handshake = now.handshakeTimeout();
        if (next.handshake_timeout_ms() != handshake.toMillis()) {
            if (next.handshake_timeout_ms() <= 0) {
                LOG.error("io.kddm.node: handshake.timeout.ms must be > 0, not {}: refused, {} ms stays in force",
                        next.handshake_timeout_ms(), handshake.toMillis());
            } else {
                LOG.info("io.kddm.node: handshake.timeout.ms changed from {} ms to {} ms, live",
                        handshake.toMillis(), next.handshake_timeout_ms());
                handshake = Duration.ofMillis(next.handshake_timeout_ms());
            }
        }
        List<InetSocketAddress> peers = now.peers();
        try {
            List<InetSocketAddress> asked = TransportSettings.peers(next);
            Set<String> before = addresses(now.peers());
            Set<String> after = addresses(asked);
            if (!after.containsAll(before)) {
                Set<String> gone = new LinkedHashSet<>(before);
                gone.removeAll(after);
                LOG.error("io.kddm.node: peers changed from {} to {}: refused live, {} taken out of the list (the "
                        + "membership decides who leaves, not the list; it applies at the next start); {} stay in "
                        + "force", before, after, gone, before);
            } else if (!after.equals(before)) {
                Set<String> added = new LinkedHashSet<>(after);
                added.removeAll(before);
                LOG.info("io.kddm.node: peers changed from {} to {}, live: dialing {}", before, after, added);
                peers = asked;
            }
        } catch (IllegalArgumentException invalid) {
            LOG.error("io.kddm.node: {}: refused, the peers {} stay in force", invalid.getMessage(),
                    addresses(now.peers()));
        }
        if (handshake.equals(now.handshakeTimeout()) && peers == now.peers()) {
            return now;
        }
        return new TransportSettings(now.node(), now.listen(), peers, now.secret(), now.maxFrame(), handshake,
                now.connectTimeout(), now.maxRedial());
    }

    private static void refuseIf(String key, Object now, Object next, String why) {
        if (!Objects.equals(now, next)) {
            LOG.error("io.kddm.node: {} changed from {} to {}: refused live, {}; {} stays in force until the node "
                    + "restarts", key, now, next, why, now);
        }
    }

    private static Set<String> addresses(List<InetSocketAddress> peers) {
        Set<String> out = new LinkedHashSet<>();
        peers.forEach(p -> out.add(hostPort(p)));
        return out;
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }
}
