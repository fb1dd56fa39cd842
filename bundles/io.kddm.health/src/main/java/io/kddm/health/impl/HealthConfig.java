package io.kddm.health.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The thresholds of the cluster health checks ({@code deploy/io.kddm.health.cfg}). */
@ObjectClassDefinition(name = "kDDM health checks")
public @interface HealthConfig {
    String PID = "io.kddm.health";

    @AttributeDefinition(description = "Objects found lost within this many seconds make 'objects lost' critical "
            + "(older losses a warning)")
    long lost_window_s() default 300;

    @AttributeDefinition(description = "Operations timed out within this many seconds make 'operations timing out' a warning")
    long timeouts_window_s() default 60;

    @AttributeDefinition(description = "Bytes held over this percentage of the memory budget are a warning "
            + "(over the budget: critical)")
    int budget_warn_percent() default 90;

    @AttributeDefinition(description = "Inodes waiting for kDFS write-back above which 'kdfs write-back backlog' warns")
    long writeback_warn_inodes() default 10000;
}
