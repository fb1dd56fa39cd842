package io.kddm.membership;

import java.time.Duration;
import java.util.SortedSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A change of the membership's configuration while the node runs
 * ({@code io.kddm.membership}, and the {@code voters} of {@code io.kddm.node}),
 * key by key. The failure detector's timings (heartbeat, suspect, dead) apply
 * live: they are this node's own liveness choices. The voters and the lease do
 * not: the voters are the Raft group whose state names them, and the lease is
 * what the voters wait out before acting on an exclusion, so every node must
 * agree on both; a change of either is refused with an ERROR line and the value
 * in force stays (the new one is read at the node's next start).
 */
final class SettingsChange {
    private static final Logger LOG = LoggerFactory.getLogger(SettingsChange.class);

    private SettingsChange() {
    }

    /**
     * The settings to run with after {@code next} was configured: {@code now}
     * itself when nothing may change, else {@code now} with the new timings.
     * Every change is logged, applied or refused.
     */
    static MembershipSettings of(MembershipSettings now, MembershipConfig next, int self) {
        try {
            SortedSet<Integer> voters = MembershipSettings.voters(next, self);
            if (!voters.equals(now.voters())) {
                LOG.error("io.kddm.node: voters changed from {} to {}: refused live, the voters are the Raft group "
                        + "that agrees on every view and every node must list the same ones (change it on every "
                        + "node and restart them); {} stay in force", now.voters(), voters, now.voters());
            }
        } catch (IllegalArgumentException invalid) {
            LOG.error("io.kddm.node: {}: refused, the voters {} stay in force", invalid.getMessage(), now.voters());
        }
        if (next.lease_ms() != now.lease().toMillis()) {
            LOG.error("io.kddm.membership: lease.ms changed from {} to {}: refused live, every node must use the "
                    + "same lease (the voters wait it out before acting on an exclusion; change it on every node "
                    + "and restart them); {} ms stays in force", now.lease().toMillis(), next.lease_ms(),
                    now.lease().toMillis());
        }
        Duration heartbeat = Duration.ofMillis(next.heartbeat_interval_ms());
        Duration suspect = Duration.ofMillis(next.suspect_after_ms());
        Duration dead = Duration.ofMillis(next.dead_after_ms());
        if (heartbeat.equals(now.heartbeat()) && suspect.equals(now.suspectAfter()) && dead.equals(now.deadAfter())) {
            return now;
        }
        MembershipSettings changed;
        try {
            changed = new MembershipSettings(now.voters(), heartbeat, suspect, dead, now.lease());
        } catch (IllegalArgumentException invalid) {
            LOG.error("io.kddm.membership: heartbeat.interval.ms, suspect.after.ms, dead.after.ms = {}, {}, {}: "
                    + "refused, {}; {}, {}, {} ms stay in force", heartbeat.toMillis(), suspect.toMillis(),
                    dead.toMillis(), invalid.getMessage(), now.heartbeat().toMillis(), now.suspectAfter().toMillis(),
                    now.deadAfter().toMillis());
            return now;
        }
        logChange("heartbeat.interval.ms", now.heartbeat(), heartbeat);
        logChange("suspect.after.ms", now.suspectAfter(), suspect);
        logChange("dead.after.ms", now.deadAfter(), dead);
        return changed;
    }

    private static void logChange(String key, Duration from, Duration to) {
        if (!from.equals(to)) {
            LOG.info("io.kddm.membership: {} changed from {} ms to {} ms, live", key, from.toMillis(), to.toMillis());
        }
    }
}
