package io.kddm.membership;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * This node's lease: it may act on the cluster until {@code lease} after the
 * sending of the last heartbeat round that a majority of the voters granted.
 * A voter grants only to a node in its view, and stops the moment it applies
 * that node's exclusion; counting from the sending (not the answer) makes a
 * late or queued answer harmless. Checking it costs a clock read.
 */
final class Lease {
    private final MembershipSettings settings;
    /** By voter: when this node sent the latest heartbeat that voter granted (nanoTime). */
    private final Map<Integer, Long> grantedAt = new HashMap<>();
    /** The lease runs until this nanoTime. */
    private volatile long until = System.nanoTime();
    private volatile boolean dropped = true;

    Lease(MembershipSettings settings) {
        this.settings = settings;
    }

    boolean held() {
        return !dropped && System.nanoTime() - until < 0;
    }

    /** Voter {@code voter} granted the heartbeat this node sent at {@code sentAt}. */
    synchronized void granted(int voter, long sentAt) {
        grantedAt.merge(voter, sentAt, Math::max);
        recompute();
    }

    /** Voter {@code voter} refused: this node is not in its view. */
    synchronized void refused(int voter) {
        grantedAt.remove(voter);
        recompute();
    }

    /** Gives the lease up (leaving, excluded, stopping) until grants come again. */
    synchronized void drop() {
        grantedAt.clear();
        dropped = true;
        until = System.nanoTime();
    }

    private void recompute() {
        List<Long> times = new ArrayList<>(grantedAt.values());
        if (times.size() < settings.majority()) {
            return; // what was granted still runs out when it does
        }
        times.sort((a, b) -> Long.compare(b, a));
        long since = times.get(settings.majority() - 1); // the newest round a majority granted
        long next = since + settings.lease().toNanos();
        if (dropped || next - until > 0) {
            until = next;
        }
        dropped = false;
    }

    /** How long the lease still runs, ms (negative: expired). */
    long remainingMillis() {
        return dropped ? -1 : (until - System.nanoTime()) / 1_000_000;
    }
}
