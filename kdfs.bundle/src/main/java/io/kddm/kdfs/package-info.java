/**
 * kDFS, the symmetric distributed file system on kDDM: the operations the
 * FUSE mount, the {@code kdfs:*} commands and other bundles use.
 */
@Export
@Version("1.3.0")
package io.kddm.kdfs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
