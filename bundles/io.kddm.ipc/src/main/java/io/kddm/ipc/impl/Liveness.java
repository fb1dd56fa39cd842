package io.kddm.ipc.impl;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.View;

/**
 * Whether a waiter or an undo record written into an object still stands for a
 * live caller: its node is in the view as the incarnation that wrote it, and
 * (waiters) its deadline has not passed by more than a grace. Records of dead
 * callers are ignored by everyone and purged by the next writer.
 */
final class Liveness {
    /** Clocks of nodes on one LAN differ by less; a waiter gone this long after its deadline gave up. */
    static final long GRACE_MS = 2_000;

    private final Membership membership;

    Liveness(Membership membership) {
        this.membership = membership;
    }

    int self() {
        return membership.localNode();
    }

    /** This node's incarnation in the view, 0 if none yet. */
    long incarnation() {
        return membership.view().member(membership.localNode()).map(View.Member::incarnation).orElse(0L);
    }

    /** Whether node {@code node} as incarnation {@code incarnation} (0: any) is in the view. */
    boolean member(int node, long incarnation) {
        View v = membership.view();
        if (v.epoch() == 0) {
            return true; // nothing agreed yet: nobody is known dead
        }
        return incarnation == 0 ? v.contains(node) : v.contains(node, incarnation);
    }

    boolean alive(int node, long incarnation, long deadlineMs, long nowMs) {
        return nowMs <= deadlineMs + GRACE_MS && member(node, incarnation);
    }

    View view() {
        return membership.view();
    }
}
