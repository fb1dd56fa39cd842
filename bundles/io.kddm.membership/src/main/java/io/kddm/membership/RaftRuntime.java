package io.kddm.membership;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.transport.NodeUnreachableException;
import io.kddm.api.transport.Transport;
import io.microraft.RaftEndpoint;
import io.microraft.RaftNode;
import io.microraft.executor.RaftNodeExecutor;
import io.microraft.model.message.RaftMessage;

/**
 * What MicroRaft runs on, ours: its messages over the node's transport (one
 * message type, our codec), its thread (a daemon, so a stopping node is never
 * held up by it), and a monotonic clock (its default, the wall clock, jumps).
 */
final class RaftRuntime implements io.microraft.transport.Transport, RaftNodeExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(RaftRuntime.class);

    private final Transport transport;
    private final RaftCodec codec;
    private final MembershipSettings settings;
    private final ScheduledExecutorService thread;

    RaftRuntime(Transport transport, RaftCodec codec, MembershipSettings settings) {
        this.transport = transport;
        this.codec = codec;
        this.settings = settings;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "kddm-raft-" + transport.localNode());
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        this.thread = t;
    }

    /** Hands every Raft message from a voter to {@code raft}; a malformed one is logged and dropped. */
    AutoCloseable listen(RaftNode raft) {
        return transport.addHandler(io.kddm.api.transport.MessageTypes.RAFT, in -> {
            if (!settings.isVoter(in.sender())) {
                LOG.warn("Raft message from node {}, which is not a voter: dropped", in.sender());
                return;
            }
            RaftMessage m;
            try {
                m = codec.decode(in.payload());
            } catch (IllegalArgumentException e) {
                LOG.warn("dropping a Raft message from node {}: {}", in.sender(), e.getMessage());
                return;
            }
            if (((NodeEndpoint) m.getSender()).node() != in.sender()) {
                LOG.warn("Raft message from node {} claims to come from {}: dropped", in.sender(), m.getSender());
                return;
            }
            raft.handle(m);
        });
    }

    void shutdown() {
        thread.shutdownNow();
    }

    // ---- io.microraft.transport.Transport -----------------------------------------------

    @Override
    public void send(RaftEndpoint target, RaftMessage message) {
        try {
            transport.send(((NodeEndpoint) target).node(), io.kddm.api.transport.MessageTypes.RAFT,
                    codec.encode(message));
        } catch (NodeUnreachableException e) {
            // Raft sends again: never throw into it
        }
    }

    @Override
    public boolean isReachable(RaftEndpoint endpoint) {
        return transport.connectedNodes().contains(((NodeEndpoint) endpoint).node());
    }

    // ---- RaftNodeExecutor -----------------------------------------------------------------

    @Override
    public void execute(Runnable task) {
        schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public void submit(Runnable task) {
        schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public void schedule(Runnable task, long delay, TimeUnit unit) {
        try {
            thread.schedule(guarded(task), delay, unit);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // the node stops: nothing of Raft runs any more
        }
    }

    private static Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.error("Raft task failed", e);
            }
        };
    }

    /** nanoTime as milliseconds: MicroRaft times heartbeats and leases by it. */
    static final class MonotonicClock extends Clock {
        @Override
        public long millis() {
            return nowMillis();
        }

        /** What {@link #millis} says now: MicroRaft's timestamps compare with it. */
        static long nowMillis() {
            return System.nanoTime() / 1_000_000L;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
