package io.kddm.impl.membership;

import java.time.Duration;
import java.util.Optional;

import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.NodeState;

/** What this node knows of another one. Guarded by the owning {@link ClusterMembership}. */
final class Member {
    final int id;
    String address = "?";
    NodeState state;
    long incarnation;
    boolean connected;
    long lastHeardNanos;
    long rttNanos = -1;
    /** Declared dead, then seen again with the same incarnation: refused (logged once). */
    boolean fenced;

    Member(int id) {
        this.id = id;
    }

    NodeInfo snapshot(long now) {
        Optional<Duration> rtt = rttNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(rttNanos));
        return new NodeInfo(id, address, state, incarnation, Duration.ofNanos(now - lastHeardNanos), rtt, false);
    }
}
