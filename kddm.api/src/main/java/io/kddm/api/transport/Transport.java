package io.kddm.api.transport;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Authenticated, ordered messaging between the nodes of one cluster.
 * <p>
 * There is at most one connection between two nodes, so messages from one
 * node to another (one-way sends, requests and replies alike) arrive in the
 * order they were sent. Message types are 16-bit numbers; {@link MessageTypes}
 * lists the reserved ranges.
 */
@ProviderType
public interface Transport {

    /** The id (1..255) of the node this transport belongs to. */
    int localNode();

    /**
     * Queues a one-way message.
     *
     * @throws NodeUnreachableException if there is no open connection to {@code node}
     */
    void send(int node, int type, byte[] payload);

    /**
     * Sends a request and completes with the reply's payload. The future fails with
     * {@link NodeUnreachableException} if the node is not connected or its connection
     * is lost before it replies, {@link RequestTimeoutException} after
     * {@code timeout}, and {@link RemoteFailureException} if the remote handler
     * failed or none was registered for {@code type}.
     */
    CompletableFuture<byte[]> request(int node, int type, byte[] payload, Duration timeout);

    /**
     * Registers the handler of one message type on this node.
     *
     * @return closing it removes the handler
     * @throws IllegalStateException if the type already has a handler
     */
    AutoCloseable addHandler(int type, MessageHandler handler);

    /**
     * Registers a listener told when authenticated connections open and close;
     * it is told at once of connections already open. Calls come from one
     * transport event thread, in order.
     *
     * @return closing it removes the listener
     */
    AutoCloseable addConnectionListener(ConnectionListener listener);

    /** Ids of the nodes with an open, authenticated connection. */
    Set<Integer> connectedNodes();

    /** This node's listen address, or the one a connected node advertised; empty if not connected. */
    Optional<InetSocketAddress> addressOf(int node);

    /** The configured and learned peer addresses and where dialing them stands. */
    List<PeerStatus> peers();

    /** Closes the connection to {@code node}, if any; it will be dialed again. */
    void disconnect(int node, String reason);
}
