package io.kddm.membership;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import io.kddm.api.transport.ConnectionListener;
import io.kddm.api.transport.MessageHandler;
import io.kddm.api.transport.NodeUnreachableException;
import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.Transport;

/**
 * A real transport with a fault hook, for fast in-process tests: messages to and
 * from the nodes {@link #cut} are lost both ways, as behind a network cut, and
 * {@link #pause} stops everything this node sends or takes in, as a paused
 * process. (The multi-JVM tests cut and pause for real.)
 */
final class FaultyTransport implements Transport {
    private final Transport real;
    private final Set<Integer> cut = ConcurrentHashMap.newKeySet();
    private volatile boolean paused;

    FaultyTransport(Transport real) {
        this.real = real;
    }

    void cut(int... nodes) {
        for (int n : nodes) {
            cut.add(n);
        }
    }

    void heal() {
        cut.clear();
    }

    void pause(boolean on) {
        paused = on;
    }

    private boolean lost(int node) {
        return paused || cut.contains(node);
    }

    @Override
    public int localNode() {
        return real.localNode();
    }

    @Override
    public void send(int node, int type, byte[] payload) {
        if (!lost(node)) {
            real.send(node, type, payload);
        }
    }

    @Override
    public CompletableFuture<byte[]> request(int node, int type, byte[] payload, Duration timeout) {
        if (lost(node)) {
            return CompletableFuture.failedFuture(new NodeUnreachableException(node, "cut off (test)"));
        }
        return real.request(node, type, payload, timeout);
    }

    @Override
    public AutoCloseable addHandler(int type, MessageHandler handler) {
        return real.addHandler(type, in -> {
            if (!lost(in.sender())) {
                handler.onMessage(in);
            }
        });
    }

    @Override
    public AutoCloseable addConnectionListener(ConnectionListener listener) {
        return real.addConnectionListener(listener);
    }

    @Override
    public Set<Integer> connectedNodes() {
        Set<Integer> out = new TreeSet<>(real.connectedNodes());
        out.removeIf(this::lost);
        return out;
    }

    @Override
    public Optional<InetSocketAddress> addressOf(int node) {
        return real.addressOf(node);
    }

    @Override
    public List<PeerStatus> peers() {
        return real.peers();
    }

    @Override
    public void disconnect(int node, String reason) {
        real.disconnect(node, reason);
    }
}
