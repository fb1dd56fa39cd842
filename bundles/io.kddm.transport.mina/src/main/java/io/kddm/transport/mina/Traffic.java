package io.kddm.transport.mina;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;

import io.kddm.api.stats.TransportStats.PeerTraffic;

/**
 * Bytes and frames sent and received per node over every authenticated
 * connection, open or closed: MINA's counters of each session, kept when it
 * closes, and the frames decoded (each counted once across reconnections).
 */
final class Traffic {
    /** Authenticated connections not closed yet. */
    private final Set<Connection> counted = ConcurrentHashMap.newKeySet();
    /** Per node: written bytes, read bytes, written frames, received frames of its closed connections. */
    private final Map<Integer, long[]> closed = new HashMap<>();

    void opened(Connection c) {
        counted.add(c);
    }

    void closed(Connection c) {
        synchronized (closed) {
            if (counted.remove(c)) {
                add(closed.computeIfAbsent(c.node(), n -> new long[4]), c);
            }
        }
    }

    private static void add(long[] t, Connection c) {
        t[0] += c.session.getWrittenBytes();
        t[1] += c.session.getReadBytes();
        t[2] += c.session.getWrittenMessages();
        t[3] += c.framesReceived.get();
    }

    /** Every node's traffic so far; {@code connected} tells whether it has a connection now. */
    List<PeerTraffic> snapshot(IntPredicate connected) {
        Map<Integer, long[]> sum = new TreeMap<>();
        synchronized (closed) {
            closed.forEach((node, t) -> sum.put(node, t.clone()));
            for (Connection c : counted) {
                add(sum.computeIfAbsent(c.node(), n -> new long[4]), c);
            }
        }
        List<PeerTraffic> out = new ArrayList<>();
        sum.forEach((node, t) -> out.add(new PeerTraffic(node, t[0], t[1], t[2], t[3], connected.test(node))));
        return out;
    }
}
