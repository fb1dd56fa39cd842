/**
 * Cluster-wide System V shared memory on kDDM: {@link io.kddm.shm.SharedMemory}
 * (shmget, attach, IPC_STAT, IPC_SET, IPC_RMID) and the attached
 * {@link io.kddm.shm.Segment}, page-granular coherent memory with 64-bit atomics.
 */
@Export
@Version("1.0.0")
package io.kddm.shm;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
