package io.kddm.transport.mina;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.kddm.api.transport.NodeUnreachableException;
import io.kddm.api.transport.RemoteFailureException;
import io.kddm.api.transport.RequestTimeoutException;

/**
 * The requests this node sent and still waits a reply for, by correlation id:
 * each ends exactly once, with its REPLY, its FAILURE, the loss of its
 * connection, the transport's stop or its deadline.
 */
final class PendingRequests {
    /** A request waiting for its reply; {@link #expire} fails it after its deadline. */
    private record Pending(int node, int type, Duration timeout, long deadline, CompletableFuture<byte[]> future) {
    }

    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong correlations = new AtomicLong();

    /** A new request to {@code node}: its correlation id, its future in {@code future}. */
    long add(int node, int type, Duration timeout, CompletableFuture<byte[]> future) {
        long id = correlations.incrementAndGet();
        pending.put(id, new Pending(node, type, timeout, System.nanoTime() + timeout.toNanos(), future));
        return id;
    }

    void reply(long id, byte[] payload) {
        Pending p = pending.remove(id);
        if (p != null) {
            p.future.complete(payload);
        }
    }

    /** A FAILURE from {@code node}: its handler failed. */
    void failure(long id, int node, String reason) {
        fail(id, new RemoteFailureException(node, reason));
    }

    void fail(long id, RuntimeException e) {
        Pending p = pending.remove(id);
        if (p != null) {
            p.future.completeExceptionally(e);
        }
    }

    /** The connection to {@code node} is lost: no reply of it will come. */
    void lost(int node) {
        for (var e : pending.entrySet()) {
            if (e.getValue().node == node) {
                fail(e.getKey(), new NodeUnreachableException(node, "connection lost before the reply"));
            }
        }
    }

    /** The transport stopped: every request fails. */
    void stopped() {
        for (Long id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                p.future.completeExceptionally(new NodeUnreachableException(p.node, "transport stopped"));
            }
        }
    }

    /**
     * Fails requests past their deadline. One sweep instead of a timer task per
     * request keeps the request path free of the scheduler's lock.
     */
    void expire() {
        long now = System.nanoTime();
        for (var e : pending.entrySet()) {
            Pending p = e.getValue();
            if (now - p.deadline >= 0 && pending.remove(e.getKey(), p)) {
                p.future.completeExceptionally(new RequestTimeoutException(p.node, p.type, p.timeout));
            }
        }
    }
}
