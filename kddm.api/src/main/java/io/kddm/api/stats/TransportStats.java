package io.kddm.api.stats;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** What the transport carried, per peer node. Registered by the transport as a service. */
@ProviderType
public interface TransportStats {

    /**
     * The traffic with one node since this node started, over every connection to
     * it (closed ones included): counters that only grow.
     *
     * @param node           the peer's id
     * @param bytesSent      bytes written to it
     * @param bytesReceived  bytes read from it
     * @param framesSent     frames (messages, requests, replies, handshake) written to it
     * @param framesReceived frames read from it
     * @param connected      whether a connection to it is open now
     */
    record PeerTraffic(int node, long bytesSent, long bytesReceived, long framesSent, long framesReceived,
            boolean connected) {
    }

    /** Every node this one has exchanged frames with, by id. */
    List<PeerTraffic> traffic();
}
