/**
 * kDDM sets: objects shared cluster-wide, reached only through critical
 * sections ({@code get}, {@code grab}, released by closing the handle).
 */
@Export
@Version("1.7.0")
package io.kddm.api.set;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
