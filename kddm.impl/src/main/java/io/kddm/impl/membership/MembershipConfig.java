package io.kddm.impl.membership;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Failure detection timings ({@code io.kddm.membership}); the defaults suit a LAN or loopback. */
@ObjectClassDefinition(name = "kDDM membership", description = "Heartbeats and failure detection")
public @interface MembershipConfig {

    @AttributeDefinition(description = "Time between two heartbeats to each connected node, ms")
    long heartbeat_interval_ms() default 250;

    @AttributeDefinition(description = "Silence after which a node is SUSPECT, ms")
    long suspect_after_ms() default 1000;

    @AttributeDefinition(description = "Silence after which a node is DEAD, ms")
    long dead_after_ms() default 3000;
}
