package io.kddm.membership;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The membership's configuration: {@code voters} and {@code peers} come from
 * {@code io.kddm.node} (the cluster's shape, written by the launcher), the
 * timings from {@code io.kddm.membership}. The defaults suit a LAN or loopback.
 */
@ObjectClassDefinition(name = "kDDM membership", description = "Agreed views, leases and failure detection")
public @interface MembershipConfig {
    long HEARTBEAT_MS = 250;
    long SUSPECT_MS = 1000;
    long DEAD_MS = 3000;
    long LEASE_MS = 2000;

    @AttributeDefinition(description = "The voting nodes, comma separated (1, 3 or 5 ids, e.g. 1,2,3): a majority "
            + "of them agrees on every view. Empty: this node alone (only without peers)", required = false)
    String voters() default "";

    @AttributeDefinition(description = "The peer addresses of io.kddm.node: with peers, voters must be given",
            required = false)
    String peers() default "";

    @AttributeDefinition(description = "Time between two heartbeats to each connected node, ms")
    long heartbeat_interval_ms() default HEARTBEAT_MS;

    @AttributeDefinition(description = "Silence after which a node is SUSPECT, ms")
    long suspect_after_ms() default SUSPECT_MS;

    @AttributeDefinition(description = "Silence after which the voters take a node out of the view, ms")
    long dead_after_ms() default DEAD_MS;

    @AttributeDefinition(description = "How long a majority of the voters' answers to a heartbeat lets this node "
            + "act, ms (counted from when it sent the heartbeat)")
    long lease_ms() default LEASE_MS;
}
