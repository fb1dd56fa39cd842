/**
 * Cluster membership: the views a majority of the voting nodes agree on, this
 * node's lease, and what each node observes of the others.
 */
@Export
@Version("1.1.0")
package io.kddm.api.membership;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
