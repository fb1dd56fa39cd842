package io.kddm.transport.mina;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a transport needs to start.
 *
 * @param node             this node's id, 1..255
 * @param listen           the address to bind, and to advertise to peers
 * @param peers            addresses to dial
 * @param secret           the cluster secret
 * @param maxFrame         largest frame accepted or sent, in bytes
 * @param handshakeTimeout how long a connection may take to authenticate
 * @param connectTimeout   how long one dial may take
 * @param maxRedial        the longest pause between two dials of an unreachable peer
 */
public record TransportSettings(int node, InetSocketAddress listen, List<InetSocketAddress> peers, byte[] secret,
        int maxFrame, Duration handshakeTimeout, Duration connectTimeout, Duration maxRedial) {

    public static final int DEFAULT_MAX_FRAME = 16 * 1024 * 1024;

    public TransportSettings {
        if (node < 1 || node > 255) {
            throw new IllegalArgumentException("node id must be from 1 to 255, not " + node);
        }
        peers = List.copyOf(peers);
    }

    /** Settings with default limits and timeouts. */
    public static TransportSettings of(int node, InetSocketAddress listen, List<InetSocketAddress> peers, byte[] secret) {
        return new TransportSettings(node, listen, peers, secret, DEFAULT_MAX_FRAME, Duration.ofSeconds(5),
                Duration.ofSeconds(2), Duration.ofSeconds(2));
    }

    /** Settings from a node's configuration; reads the secret file. */
    static TransportSettings from(NodeConfig c) {
        return new TransportSettings(c.id(), address(c.listen(), "listen"), peers(c), SecretFile.read(c.secret_file()),
                c.max_frame(), Duration.ofMillis(c.handshake_timeout_ms()), Duration.ofSeconds(2),
                Duration.ofSeconds(2));
    }

    /** The configured peer addresses (entries may themselves be comma separated). */
    static List<InetSocketAddress> peers(NodeConfig c) {
        List<InetSocketAddress> peers = new ArrayList<>();
        for (String entry : c.peers()) {
            for (String p : entry.split(",")) {
                if (!p.isBlank()) {
                    peers.add(address(p.trim(), "peers"));
                }
            }
        }
        return peers;
    }

    /** Parses {@code host:port}; {@code what} names the setting in the error. */
    public static InetSocketAddress address(String hostPort, String what) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException(what + ": '" + hostPort + "' is not host:port");
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": '" + hostPort + "' has no numeric port");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + ": port " + port + " is outside 1..65535");
        }
        return new InetSocketAddress(hostPort.substring(0, colon), port);
    }
}
