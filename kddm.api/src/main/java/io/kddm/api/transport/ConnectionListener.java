package io.kddm.api.transport;

import java.net.InetSocketAddress;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told when authenticated connections to other nodes open and close; see
 * {@link Transport#addConnectionListener(ConnectionListener)}.
 */
@ConsumerType
public interface ConnectionListener {

    /**
     * @param incarnation a number the peer chose when it started; a new value
     *                    means the peer restarted
     */
    void connected(int node, long incarnation, InetSocketAddress address);

    void disconnected(int node, String reason);
}
