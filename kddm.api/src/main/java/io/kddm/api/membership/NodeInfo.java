package io.kddm.api.membership;

import java.time.Duration;
import java.util.Optional;

/**
 * A snapshot of one node as seen from this node.
 *
 * @param id          the node id, 1..255
 * @param address     its listen address, {@code host:port}
 * @param state       its state
 * @param incarnation the number it chose at start-up (a new one means it restarted); 0 if never connected
 * @param lastHeard   time since it last answered a heartbeat (zero for this node)
 * @param rtt         the latest heartbeat round trip, if measured
 * @param local       whether this is the node that took the snapshot
 */
public record NodeInfo(int id, String address, NodeState state, long incarnation, Duration lastHeard,
        Optional<Duration> rtt, boolean local) {
}
