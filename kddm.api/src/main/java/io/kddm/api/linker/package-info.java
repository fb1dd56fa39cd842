/**
 * The SPIs bundles implement to give sets a meaning: set families, IO linkers
 * (what objects are made of and where they are stored) and interface linkers
 * (views of a set through an existing interface).
 */
@Export
@Version("1.6.0")
package io.kddm.api.linker;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
