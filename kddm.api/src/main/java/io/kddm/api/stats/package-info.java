/**
 * Read-only figures of a node for monitoring (health checks, metrics): the
 * counters and gauges behind {@code kddm:stats}, and the traffic of the
 * transport per peer. Reading them sends no message and takes no lock.
 */
@Export
@Version("1.0.0")
package io.kddm.api.stats;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
