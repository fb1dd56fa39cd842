package io.kddm.api.transport;

import java.net.InetSocketAddress;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service told when authenticated connections to other nodes open
 * and close. A listener registered late is told of connections already open.
 * Calls come from a single transport event thread, in order.
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
