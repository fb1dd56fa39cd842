/**
 * The health checks of a kDDM node: Felix Health Checks ({@code HealthCheck}
 * services with {@code hc.name} and {@code hc.tags}) named and tagged as
 * {@link io.kddm.health.KddmChecks} says, so that other bundles (the page of the
 * cluster) can select them through Felix's {@code HealthCheckExecutor}.
 */
@Export
@Version("1.0.0")
package io.kddm.health;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
