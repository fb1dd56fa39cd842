/**
 * Cluster-wide System V message queues and semaphore sets: keys and ids are the
 * same on every node, and every operation is atomic cluster-wide. Made only of
 * kDDM sets (no network protocol of its own).
 */
@Export
@Version("1.1.0")
package io.kddm.ipc;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
