package io.kddm.impl.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.KddmException;
import io.kddm.api.transport.NodeUnreachableException;
import io.kddm.api.transport.Transport;
import io.kddm.impl.core.Wire.Kind;

/**
 * Every protocol message leaves through here. A message to this node itself is
 * queued on a single loopback thread and handled there, never by re-entering a
 * handler: a role holding an entry's monitor may send to itself.
 */
final class Outbox {
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);

    /** Where a message to this node goes: the node's dispatch. */
    interface Loopback {
        void handle(int sender, int type, byte[] payload);
    }

    private final Transport transport;
    private final int self;
    private final Supplier<Duration> timeout;
    private final java.util.function.LongSupplier epoch;
    private final Loopback loopback;
    private final ExecutorService loopbackThread;

    Outbox(Transport transport, Supplier<Duration> timeout, java.util.function.LongSupplier epoch, Loopback loopback) {
        this.transport = transport;
        this.self = transport.localNode();
        this.timeout = timeout;
        this.epoch = epoch;
        this.loopback = loopback;
        this.loopbackThread = Executors.newSingleThreadExecutor(r -> Coherence.daemon(r, "kddm-loopback-" + self));
    }

    void close() {
        loopbackThread.shutdownNow();
    }

    /** Sends, or queues for this node; false if the node cannot be reached. */
    boolean send(int node, Kind kind, long setId, long objectId, int about, int count, byte[] bytes) {
        byte[] payload = request(setId, objectId, about, count, bytes);
        if (node == self) {
            try {
                loopbackThread.execute(() -> loopback.handle(self, kind.type(), payload));
                return true;
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                return false; // this node is stopping: as unreachable as any other (a thread racing its stop)
            }
        }
        try {
            transport.send(node, kind.type(), payload);
            return true;
        } catch (NodeUnreachableException ex) {
            LOG.debug("{} for object {} not sent: {}", kind, objectId, ex.getMessage());
            return false;
        }
    }

    void sendLost(int node, long setId, long objectId, String reason) {
        send(node, Kind.LOST, setId, objectId, self, 0, reason.getBytes(StandardCharsets.UTF_8));
    }

    /** A request's payload, stamped with the installed view's epoch. */
    byte[] request(long setId, long objectId, int about, int count, byte[] bytes) {
        return Wire.encode(epoch.getAsLong(), setId, objectId, about, count, bytes);
    }

    /** A request to {@code node} and its reply; a failure is a KddmException naming {@code what}. */
    byte[] call(int node, Kind kind, byte[] payload, String what, long objectId) {
        try {
            return transport.request(node, kind.type(), payload, timeout.get()).get();
        } catch (ExecutionException ex) {
            throw new KddmException(what + " of object " + objectId + " at node " + node + " failed: "
                    + ex.getCause().getMessage(), ex.getCause());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new KddmException("interrupted during " + what + " of object " + objectId);
        }
    }
}
