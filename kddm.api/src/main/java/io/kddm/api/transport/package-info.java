/**
 * The transport SPI: typed messages and request/response between cluster nodes.
 * <p>
 * kDDM and every service built on it reach other nodes only through
 * {@link io.kddm.api.transport.Transport}; no other bundle opens a socket.
 */
@Export
@Version("1.1.0")
package io.kddm.api.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
