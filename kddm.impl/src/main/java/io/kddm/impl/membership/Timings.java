package io.kddm.impl.membership;

import java.time.Duration;

/** Failure-detection timings, checked for consistency. */
record Timings(Duration heartbeat, Duration suspectAfter, Duration deadAfter) {

    static final Timings DEFAULT = new Timings(Duration.ofMillis(MembershipConfig.HEARTBEAT_MS),
            Duration.ofMillis(MembershipConfig.SUSPECT_MS), Duration.ofMillis(MembershipConfig.DEAD_MS));

    Timings {
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat interval must be positive");
        }
        if (suspectAfter.compareTo(heartbeat) <= 0 || deadAfter.compareTo(suspectAfter) <= 0) {
            throw new IllegalArgumentException("need heartbeat < suspect.after < dead.after, got " + heartbeat
                    + ", " + suspectAfter + ", " + deadAfter);
        }
    }

    static Timings of(MembershipConfig c) {
        return new Timings(Duration.ofMillis(c.heartbeat_interval_ms()), Duration.ofMillis(c.suspect_after_ms()),
                Duration.ofMillis(c.dead_after_ms()));
    }

    /** The longest time from a crash to DEAD: the silence limit plus one check period. */
    Duration detectionBound() {
        return deadAfter.plus(heartbeat);
    }
}
