package io.kddm.impl.membership;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.MembershipListener;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.NodeState;
import io.kddm.api.transport.ConnectionListener;
import io.kddm.api.transport.MessageTypes;
import io.kddm.api.transport.Transport;

/**
 * Membership over a static peer list: heartbeats on every authenticated
 * connection, and a failure detector driven by silence.
 * <pre>
 *   event                             from           to
 *   connection opened                 (any)          ALIVE
 *   heartbeat answered / received     SUSPECT        ALIVE
 *   silence &gt; suspect.after          ALIVE          SUSPECT
 *   connection lost                   ALIVE          SUSPECT
 *   silence &gt; dead.after             ALIVE/SUSPECT  DEAD (connection closed)
 *   leave notice                      (any)          LEFT
 * </pre>
 * A node that restarts comes back with a new incarnation and is ALIVE again as
 * soon as it reconnects.
 */
@Component(service = Membership.class, configurationPid = "io.kddm.membership",
        immediate = true)
@Designate(ocd = MembershipConfig.class)
public final class ClusterMembership implements Membership, ConnectionListener {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMembership.class);
    private static final byte[] EMPTY = new byte[0];

    private final Transport transport;
    private final Timings timings;
    private final Map<Integer, Member> members = new TreeMap<>();
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService ticker;
    private final ExecutorService events;
    private final List<AutoCloseable> handlers = new ArrayList<>();

    @Activate
    public ClusterMembership(@Reference Transport transport, MembershipConfig config) {
        this(transport, Timings.of(config));
    }

    /** With the default timings, outside a framework (benchmarks). */
    public ClusterMembership(Transport transport) {
        this(transport, Timings.DEFAULT);
    }

    ClusterMembership(Transport transport, Timings timings) {
        this.transport = transport;
        this.timings = timings;
        int self = transport.localNode();
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "kddm-membership-" + self));
        this.events = Executors.newSingleThreadExecutor(r -> daemon(r, "kddm-membership-events-" + self));
        handlers.add(transport.addHandler(MessageTypes.HEARTBEAT, m -> {
            heard(m.sender());
            m.reply(EMPTY);
        }));
        handlers.add(transport.addHandler(MessageTypes.LEAVE, m -> left(m.sender())));
        handlers.add(transport.addConnectionListener(this));
        long period = timings.heartbeat().toNanos();
        ticker.scheduleAtFixedRate(this::tick, period, period, TimeUnit.NANOSECONDS);
        LOG.info("membership of node {}: heartbeat {} ms, suspect after {} ms, dead after {} ms", self,
                timings.heartbeat().toMillis(), timings.suspectAfter().toMillis(), timings.deadAfter().toMillis());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Tells every connected node that this one leaves, then stops. */
    @Deactivate
    public void close() {
        for (int node : transport.connectedNodes()) {
            try {
                transport.send(node, MessageTypes.LEAVE, EMPTY);
            } catch (RuntimeException e) {
                LOG.debug("could not tell node {} that we leave: {}", node, e.getMessage());
            }
        }
        for (int i = handlers.size() - 1; i >= 0; i--) {
            try {
                handlers.get(i).close();
            } catch (Exception e) {
                LOG.debug("closing handler", e);
            }
        }
        ticker.shutdownNow();
        events.shutdown();
        try {
            events.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- Membership ---------------------------------------------------------

    @Override
    public int localNode() {
        return transport.localNode();
    }

    @Override
    public synchronized List<NodeInfo> nodes() {
        long now = System.nanoTime();
        List<NodeInfo> out = new ArrayList<>();
        boolean selfAdded = false;
        for (Member m : members.values()) {
            if (!selfAdded && m.id > localNode()) {
                out.add(self());
                selfAdded = true;
            }
            out.add(m.snapshot(now));
        }
        if (!selfAdded) {
            out.add(self());
        }
        return out;
    }

    @Override
    public synchronized Optional<NodeInfo> node(int id) {
        if (id == localNode()) {
            return Optional.of(self());
        }
        Member m = members.get(id);
        return m == null ? Optional.empty() : Optional.of(m.snapshot(System.nanoTime()));
    }

    @Override
    public synchronized boolean isUp(int id) {
        if (id == localNode()) {
            return true;
        }
        Member m = members.get(id);
        return m != null && m.state.isUp();
    }

    private NodeInfo self() {
        String address = transport.addressOf(localNode()).map(ClusterMembership::hostPort).orElse("?");
        return new NodeInfo(localNode(), address, NodeState.ALIVE, 0, Duration.ZERO, Optional.empty(), true);
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    // ---- events from the transport -----------------------------------------

    @Override
    public void connected(int node, long incarnation, InetSocketAddress address) {
        synchronized (this) {
            Member m = members.computeIfAbsent(node, Member::new);
            boolean restarted = m.incarnation != 0 && m.incarnation != incarnation;
            if (!restarted && m.state == NodeState.DEAD) {
                refuse(m);
                return;
            }
            if (restarted) {
                LOG.info("node {} restarted (incarnation {} -> {})", node, m.incarnation, incarnation);
                // Whatever the old incarnation held is gone, even if it came back before it was
                // declared dead: the core must hear of its death before it hears of the new one.
                if (m.state != NodeState.DEAD && m.state != NodeState.LEFT) {
                    change(m, NodeState.DEAD);
                }
            }
            m.fenced = false;
            m.incarnation = incarnation;
            m.address = hostPort(address);
            m.connected = true;
            m.lastHeardNanos = System.nanoTime();
            m.rttNanos = -1;
            change(m, NodeState.ALIVE);
        }
        heartbeat(node);
    }

    /**
     * A node declared dead came back without restarting (a pause, a one-way
     * partition): the others have dropped what it held, so it must not serve it
     * again. Only a restart (a new incarnation) rejoins. Holding the lock; the
     * disconnect runs after it (the transport calls back into this object).
     */
    private void refuse(Member m) {
        if (!m.fenced) {
            LOG.error("node {} was declared dead and came back without restarting: refused until it restarts",
                    m.id);
            m.fenced = true;
        }
        post(() -> transport.disconnect(m.id, "declared dead by node " + localNode() + ": restart it to rejoin"));
    }

    @Override
    public synchronized void disconnected(int node, String reason) {
        Member m = members.get(node);
        if (m == null) {
            return;
        }
        m.connected = false;
        if (m.state == NodeState.ALIVE) {
            change(m, NodeState.SUSPECT);
        }
    }

    private synchronized void heard(int node) {
        Member m = members.get(node);
        if (m != null && m.connected) {
            m.lastHeardNanos = System.nanoTime();
            if (m.state == NodeState.SUSPECT) {
                change(m, NodeState.ALIVE);
            }
        }
    }

    private void left(int node) {
        synchronized (this) {
            Member m = members.get(node);
            if (m == null) {
                return;
            }
            LOG.info("node {} left the cluster", node);
            change(m, NodeState.LEFT);
        }
        // A node whose membership only restarted (new configuration) still runs: dropping the
        // connection makes it dial again and come back ALIVE, instead of staying LEFT here.
        transport.disconnect(node, "it left the cluster");
    }

    // ---- failure detection --------------------------------------------------

    private void tick() {
        try {
            for (int node : transport.connectedNodes()) {
                heartbeat(node);
            }
            check();
        } catch (RuntimeException e) {
            LOG.warn("membership tick failed", e);
        }
    }

    private void heartbeat(int node) {
        long sent = System.nanoTime();
        transport.request(node, MessageTypes.HEARTBEAT, EMPTY, timings.deadAfter()).whenComplete((reply, failure) -> {
            if (failure == null) {
                synchronized (this) {
                    Member m = members.get(node);
                    if (m != null) {
                        m.rttNanos = System.nanoTime() - sent;
                    }
                }
                heard(node);
            }
        });
    }

    private void check() {
        List<Integer> toClose = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            for (Member m : members.values()) {
                if (!m.state.isUp()) {
                    continue;
                }
                long silence = now - m.lastHeardNanos;
                if (silence > timings.deadAfter().toNanos()) {
                    LOG.warn("node {} is dead: nothing heard for {} ms", m.id, TimeUnit.NANOSECONDS.toMillis(silence));
                    change(m, NodeState.DEAD);
                    if (m.connected) {
                        toClose.add(m.id);
                    }
                } else if (silence > timings.suspectAfter().toNanos() && m.state == NodeState.ALIVE) {
                    change(m, NodeState.SUSPECT);
                }
            }
        }
        // Outside the lock: the transport calls back into disconnected().
        toClose.forEach(id -> transport.disconnect(id, "declared dead by membership"));
    }

    /** Changes a state and tells listeners, in order. Called holding the lock. */
    private void change(Member m, NodeState to) {
        NodeState from = m.state;
        if (from == to) {
            return;
        }
        m.state = to;
        if (from != null && to != NodeState.ALIVE) {
            LOG.info("node {}: {} -> {}", m.id, from, to);
        } else {
            LOG.info("node {} is {}", m.id, to);
        }
        NodeInfo info = m.snapshot(System.nanoTime());
        post(() -> listeners.forEach(l -> tell(l, info, from)));
    }

    @Override
    public AutoCloseable addListener(MembershipListener listener) {
        bindListener(listener);
        return () -> removeListener(listener);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeListener")
    void bindListener(MembershipListener listener) {
        synchronized (this) {
            List<NodeInfo> known = members.values().stream().map(m -> m.snapshot(System.nanoTime())).toList();
            // Queued behind earlier changes, so the listener sees a consistent sequence.
            events.execute(() -> {
                listeners.add(listener);
                for (NodeInfo n : known) {
                    tell(listener, n, null);
                }
            });
        }
    }

    void removeListener(MembershipListener listener) {
        // On the events thread too, so that a removal never runs before its own addition.
        if (!post(() -> listeners.remove(listener))) {
            listeners.remove(listener);
        }
    }

    /**
     * Runs {@code task} on the events thread, in order; false once this node's
     * membership has stopped (a late heartbeat reply, a listener removed while
     * stopping), when there is nobody left to tell.
     */
    private boolean post(Runnable task) {
        try {
            events.execute(task);
            return true;
        } catch (RejectedExecutionException stopped) {
            return false;
        }
    }

    private static void tell(MembershipListener l, NodeInfo info, NodeState from) {
        try {
            l.stateChanged(info, from);
        } catch (RuntimeException e) {
            LOG.warn("membership listener {} failed", l, e);
        }
    }
}
