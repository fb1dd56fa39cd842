package io.kddm.membership;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.MembershipListener;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.NodeState;
import io.kddm.api.membership.View;
import io.kddm.api.membership.ViewListener;

/**
 * Who is told of views, leases and node states. Told on the membership thread
 * only, so each listener sees one sequence in order; one that throws is logged
 * and the others are still told.
 */
final class Listeners {
    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

    private final List<ViewListener> views = new CopyOnWriteArrayList<>();
    private final List<MembershipListener> states = new CopyOnWriteArrayList<>();

    /** A view listener learns the installed view (from {@link View#NONE}), and the lease if held. */
    void add(ViewListener l, View installed, boolean lease) {
        views.add(l);
        tell(l, x -> x.installed(View.NONE, installed));
        if (lease) {
            tell(l, x -> x.leaseChanged(true));
        }
    }

    void remove(ViewListener l) {
        views.remove(l);
    }

    /** A node-state listener learns every node known, as if each had just appeared. */
    void add(MembershipListener l, List<NodeInfo> known) {
        states.add(l);
        known.forEach(n -> tell(l, x -> x.stateChanged(n, null)));
    }

    void remove(MembershipListener l) {
        states.remove(l);
    }

    void installed(View from, View to) {
        views.forEach(l -> tell(l, x -> x.installed(from, to)));
    }

    void excluded(View view) {
        views.forEach(l -> tell(l, x -> x.excluded(view)));
    }

    void leaseChanged(boolean held) {
        views.forEach(l -> tell(l, x -> x.leaseChanged(held)));
    }

    void stateChanged(NodeInfo info, NodeState from) {
        states.forEach(l -> tell(l, x -> x.stateChanged(info, from)));
    }

    private static <L> void tell(L listener, Consumer<L> event) {
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            LOG.warn("membership listener {} failed", listener, e);
        }
    }
}
