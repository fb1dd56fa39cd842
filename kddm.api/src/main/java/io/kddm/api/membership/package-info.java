/**
 * Cluster membership: which nodes exist, whether they are alive, and events
 * when that changes.
 */
@Export
@Version("1.0.0")
package io.kddm.api.membership;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
