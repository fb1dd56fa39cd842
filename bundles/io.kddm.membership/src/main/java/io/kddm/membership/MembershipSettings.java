package io.kddm.membership;

import java.time.Duration;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The membership's configuration, checked: consistent timings and a voter set
 * a majority of which can be reached.
 *
 * @param voters       the voting nodes
 * @param heartbeat    time between heartbeats to each node
 * @param suspectAfter silence before a member is SUSPECT
 * @param deadAfter    silence before the voters take a member out of the view
 * @param lease        how long a majority of grants lets a node act, from the heartbeat's sending
 */
record MembershipSettings(SortedSet<Integer> voters, Duration heartbeat, Duration suspectAfter, Duration deadAfter,
        Duration lease) {
    /** How much faster than ours another node's clock may run, at most (a lease is timed by both). */
    static final double DRIFT = 1e-3;

    MembershipSettings {
        voters = Collections.unmodifiableSortedSet(new TreeSet<>(voters));
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat.interval.ms must be > 0");
        }
        if (suspectAfter.compareTo(heartbeat) <= 0 || deadAfter.compareTo(suspectAfter) <= 0) {
            throw new IllegalArgumentException("need heartbeat.interval.ms < suspect.after.ms < dead.after.ms, got "
                    + heartbeat.toMillis() + ", " + suspectAfter.toMillis() + ", " + deadAfter.toMillis());
        }
        if (lease.compareTo(heartbeat.multipliedBy(2)) <= 0) {
            throw new IllegalArgumentException("lease.ms must exceed two heartbeats (" + heartbeat.multipliedBy(2)
                    .toMillis() + " ms), not " + lease.toMillis());
        }
        if (voters.isEmpty() || voters.size() > 7 || voters.first() < 1 || voters.last() > 255) {
            throw new IllegalArgumentException("voters must be 1 to 7 node ids from 1 to 255, not " + voters);
        }
    }

    static MembershipSettings of(MembershipConfig c, int self) {
        return new MembershipSettings(voters(c, self), Duration.ofMillis(c.heartbeat_interval_ms()),
                Duration.ofMillis(c.suspect_after_ms()), Duration.ofMillis(c.dead_after_ms()),
                Duration.ofMillis(c.lease_ms()));
    }

    /** The configured voters; this node alone when none are configured and it has no peers. */
    static SortedSet<Integer> voters(MembershipConfig c, int self) {
        SortedSet<Integer> voters = new TreeSet<>();
        for (String id : c.voters().split("[,\\s]+")) {
            if (!id.isBlank()) {
                try {
                    voters.add(Integer.parseInt(id.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("voters: '" + id + "' is not a node id");
                }
            }
        }
        if (voters.isEmpty()) {
            if (!c.peers().isBlank()) {
                throw new IllegalArgumentException("voters is required when the node has peers: the ids of the 1, 3 "
                        + "or 5 nodes that agree on who is in the cluster (./kddm node --voters 1,2,3)");
            }
            voters.add(self);
        }
        return voters;
    }

    int majority() {
        return voters.size() / 2 + 1;
    }

    boolean isVoter(int node) {
        return voters.contains(node);
    }

    /**
     * How long after a voter stopped granting a node any lease of that node has
     * surely run out, whatever the two clocks' drift: the lease, stretched by the
     * drift, plus a heartbeat for a reply still on its way.
     */
    Duration leaseBound() {
        return Duration.ofNanos((long) (lease.toNanos() * (1 + DRIFT))).plus(heartbeat);
    }
}
