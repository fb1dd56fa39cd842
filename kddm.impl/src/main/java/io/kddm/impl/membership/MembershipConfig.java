package io.kddm.impl.membership;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Failure detection timings ({@code io.kddm.membership}); the defaults suit a LAN or loopback. */
@ObjectClassDefinition(name = "kDDM membership", description = "Heartbeats and failure detection")
public @interface MembershipConfig {
    long HEARTBEAT_MS = 250;
    long SUSPECT_MS = 1000;
    long DEAD_MS = 3000;

    @AttributeDefinition(description = "Time between two heartbeats to each connected node, ms")
    long heartbeat_interval_ms() default HEARTBEAT_MS;

    @AttributeDefinition(description = "Silence after which a node is SUSPECT, ms")
    long suspect_after_ms() default SUSPECT_MS;

    @AttributeDefinition(description = "Silence after which a node is DEAD, ms")
    long dead_after_ms() default DEAD_MS;
}
