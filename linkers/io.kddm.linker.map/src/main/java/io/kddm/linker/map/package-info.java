/**
 * Maps shared cluster-wide: a {@link java.util.concurrent.ConcurrentMap} view
 * of a kDDM set ({@link io.kddm.linker.map.KddmMaps}), with the
 * {@link io.kddm.linker.map.Codec}s that turn keys and values into bytes.
 */
@Export
@Version("1.0.0")
package io.kddm.linker.map;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
