package io.kddm.membership;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.NodeState;
import io.kddm.api.membership.View;

/**
 * What this node observes of every other node: when it last heard from it, the
 * round trip, its incarnation, and its state, which combines the installed view
 * (in it or not, and how it left) with the silence observed here. Thread-safe;
 * state changes are reported to {@code changed} holding no lock of ours.
 */
final class Observations {
    /** What is known of one node. */
    private static final class Seen {
        final int id;
        String address = "?";
        long incarnation;
        boolean connected;
        /** nanoTime; the first sight counts as heard, so that a node is never silent since the start of time. */
        long lastHeard = System.nanoTime();
        long rtt = -1;
        NodeState state = NodeState.JOINING;

        Seen(int id) {
            this.id = id;
        }

        NodeInfo info(long now) {
            return new NodeInfo(id, address, state, incarnation, Duration.ofNanos(now - lastHeard),
                    rtt < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(rtt)), false);
        }
    }

    private volatile MembershipSettings settings;
    private final BiConsumer<NodeInfo, NodeState> changed;
    private final Map<Integer, Seen> nodes = new TreeMap<>();
    private View view = View.NONE;
    /** Why nodes left the view: true for an orderly leave (LEFT), by node id, while not back. */
    private final Map<Integer, Boolean> departures = new TreeMap<>();

    Observations(MembershipSettings settings, BiConsumer<NodeInfo, NodeState> changed) {
        this.settings = settings;
        this.changed = changed;
    }

    /** New timings (a configuration changed live). */
    void settings(MembershipSettings next) {
        settings = next;
    }

    void connected(int node, String address) {
        List<Runnable> tell = new ArrayList<>();
        synchronized (this) {
            Seen s = seen(node);
            s.connected = true;
            s.address = address;
            s.lastHeard = System.nanoTime();
            update(s, tell);
        }
        tell.forEach(Runnable::run);
    }

    void disconnected(int node) {
        List<Runnable> tell = new ArrayList<>();
        synchronized (this) {
            Seen s = nodes.get(node);
            if (s != null) {
                s.connected = false;
                update(s, tell);
            }
        }
        tell.forEach(Runnable::run);
    }

    /** A heartbeat (or its answer) came from {@code node}, which runs as {@code incarnation}. */
    synchronized void heard(int node, long incarnation) {
        Seen s = seen(node);
        s.lastHeard = System.nanoTime();
        s.incarnation = incarnation;
    }

    synchronized void roundTrip(int node, long nanos) {
        seen(node).rtt = nanos;
    }

    /** Nanoseconds since {@code node} was last heard from. */
    synchronized long silence(int node) {
        Seen s = nodes.get(node);
        return s == null ? 0 : System.nanoTime() - s.lastHeard;
    }

    /** The view installed here, and how the nodes that left it went (true: in order). */
    void installed(View next, Map<Integer, Boolean> gone) {
        List<Runnable> tell = new ArrayList<>();
        synchronized (this) {
            view = next;
            departures.putAll(gone);
            next.members().keySet().forEach(departures::remove);
            next.members().forEach((id, m) -> seen(id).incarnation = m.incarnation());
            for (Seen s : nodes.values()) {
                update(s, tell);
            }
        }
        tell.forEach(Runnable::run);
    }

    /** Re-evaluates SUSPECT/ALIVE from silence; run every heartbeat. */
    void tick() {
        List<Runnable> tell = new ArrayList<>();
        synchronized (this) {
            for (Seen s : nodes.values()) {
                update(s, tell);
            }
        }
        tell.forEach(Runnable::run);
    }

    private Seen seen(int node) {
        return nodes.computeIfAbsent(node, Seen::new);
    }

    /** Holding the lock: the state {@code s} is in now; a change is queued for telling. */
    private void update(Seen s, List<Runnable> tell) {
        NodeState next;
        if (view.contains(s.id)) {
            boolean silent = !s.connected || System.nanoTime() - s.lastHeard > settings.suspectAfter().toNanos();
            next = silent ? NodeState.SUSPECT : NodeState.ALIVE;
        } else if (departures.containsKey(s.id)) {
            next = departures.get(s.id) ? NodeState.LEFT : NodeState.DEAD;
        } else {
            next = NodeState.JOINING;
        }
        if (next != s.state) {
            NodeState previous = s.state;
            s.state = next;
            NodeInfo info = s.info(System.nanoTime());
            tell.add(() -> changed.accept(info, previous));
        }
    }

    synchronized List<NodeInfo> all() {
        long now = System.nanoTime();
        return nodes.values().stream().map(s -> s.info(now)).toList();
    }

    synchronized Optional<NodeInfo> get(int node) {
        Seen s = nodes.get(node);
        return s == null ? Optional.empty() : Optional.of(s.info(System.nanoTime()));
    }
}
