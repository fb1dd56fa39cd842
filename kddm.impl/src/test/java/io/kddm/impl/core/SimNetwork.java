package io.kddm.impl.core;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.MembershipListener;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.NodeState;
import io.kddm.api.membership.View;
import io.kddm.api.membership.ViewListener;
import io.kddm.api.transport.ConnectionListener;
import io.kddm.api.transport.Inbound;
import io.kddm.api.transport.MessageHandler;
import io.kddm.api.transport.NodeUnreachableException;
import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.Transport;

/**
 * An in-memory network for protocol tests. Like the real transport it keeps
 * FIFO order per pair of nodes, but every message waits a random delay, so
 * messages on different channels overtake each other in many more orders than
 * loopback TCP produces. A node can be cut off as if it had crashed.
 */
public final class SimNetwork implements AutoCloseable {
    private final Map<Integer, Node> nodes = new ConcurrentHashMap<>();
    private final Map<Long, ExecutorService> channels = new ConcurrentHashMap<>();
    private final long maxDelayNanos;
    /** The delays' source; which message gets which delay still depends on thread scheduling. */
    private final Random random;
    private final AtomicLong messages = new AtomicLong();
    private View view = View.NONE;
    /**
     * The kDDM messages handled, per object, the last {@value #JOURNAL} of each, and
     * the views installed: what a test prints when an object hangs.
     */
    private final Map<Long, java.util.Deque<String>> journal = new ConcurrentHashMap<>();
    private final java.util.Deque<String> views = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private static final int JOURNAL = 60;
    private final long born = System.nanoTime();

    public SimNetwork(long seed, Duration maxDelay) {
        this.random = new Random(seed);
        this.maxDelayNanos = maxDelay.toNanos();
    }

    private String ms() {
        long us = (System.nanoTime() - born) / 1000;
        return us / 1000 + "." + (us % 1000) / 100 + " ms";
    }

    private void note(int from, int to, int type, byte[] payload, boolean request) {
        Wire.Message m;
        try {
            m = Wire.decode(type, payload);
        } catch (RuntimeException notKddm) {
            return;
        }
        java.util.Deque<String> d = journal.computeIfAbsent(m.objectId(), k -> new java.util.concurrent.ConcurrentLinkedDeque<>());
        d.add(ms() + " " + from + "->" + to + " " + m.kind() + (request ? "(request)" : "") + " e" + m.epoch()
                + " node=" + m.node() + " count=" + m.count() + " bytes=" + m.bytes().length);
        while (d.size() > JOURNAL) {
            d.poll();
        }
    }

    /** The views and the last messages handled for {@code objectId}, in order. */
    String journal(long objectId) {
        StringBuilder b = new StringBuilder();
        views.forEach(v -> b.append(v).append('\n'));
        java.util.Deque<String> d = journal.get(objectId);
        if (d != null) {
            d.forEach(l -> b.append(l).append('\n'));
        }
        return b.toString();
    }

    long born() {
        return born;
    }

    long messages() {
        return messages.get();
    }

    /** Node {@code id}, made (and let into the view) on first use. */
    public synchronized Node node(int id) {
        Node n = nodes.get(id);
        if (n == null) {
            n = new Node(id);
            nodes.put(id, n);
            newView();
        }
        return n;
    }

    /** Crash: the nodes' messages stop, and the others install one view without any of them (they died at once). */
    public synchronized void crash(int... ids) {
        for (int id : ids) {
            nodes.get(id).up = false;
        }
        newView();
    }

    /** The next view: every node up, each as incarnation 1 from the epoch it joined in; installed on each up node. */
    private void newView() {
        java.util.SortedMap<Integer, View.Member> members = new java.util.TreeMap<>();
        long epoch = view.epoch() + 1;
        for (Node n : nodes.values()) {
            if (n.up) {
                View.Member was = view.members().get(n.id);
                members.put(n.id, was != null ? was : new View.Member(n.id, 1, epoch));
            }
        }
        view = new View(epoch, members);
        views.add(ms() + " view " + view);
        for (Node n : nodes.values()) {
            if (n.up) {
                n.membership.install(view);
            }
        }
    }

    private ExecutorService channel(int from, int to) {
        return channels.computeIfAbsent(((long) from << 32) | to, k -> Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sim-" + from + "->" + to);
            t.setDaemon(true);
            return t;
        }));
    }

    private void deliver(int from, int to, int type, byte[] payload, CompletableFuture<byte[]> reply) {
        Node target = nodes.get(to);
        Node source = nodes.get(from);
        if (target == null || !target.up || !source.up) {
            throw new NodeUnreachableException(to, "not connected");
        }
        messages.incrementAndGet();
        long delay = maxDelayNanos == 0 ? 0 : (long) (random.nextDouble() * maxDelayNanos);
        channel(from, to).execute(() -> {
            if (delay > 0) {
                long until = System.nanoTime() + delay;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
            if (!target.up || !source.up) {
                return;
            }
            note(from, to, type, payload, reply != null);
            MessageHandler h = target.handlers.get(type);
            if (h == null) {
                if (reply != null) {
                    reply.completeExceptionally(new IllegalStateException("no handler"));
                }
                return;
            }
            h.onMessage(new Inbound() {
                @Override
                public int sender() {
                    return from;
                }

                @Override
                public int type() {
                    return type;
                }

                @Override
                public byte[] payload() {
                    return payload;
                }

                @Override
                public boolean isRequest() {
                    return reply != null;
                }

                @Override
                public void reply(byte[] p) {
                    reply.complete(p);
                }

                @Override
                public void fail(String reason) {
                    reply.completeExceptionally(new IllegalStateException(reason));
                }
            });
        });
    }

    /** {@code count} nodes, each with a kDDM core that has {@code family} and {@code linker}; index = node id - 1. */
    List<KddmService> cluster(int count, Duration timeout, io.kddm.api.linker.SetFamily family,
            io.kddm.api.linker.IoLinker linker) {
        for (int id = 1; id <= count; id++) {
            node(id);
        }
        List<KddmService> services = new java.util.ArrayList<>();
        for (int id = 1; id <= count; id++) {
            Node n = node(id);
            KddmService k = new KddmService(n, n.membership, timeout);
            k.addFamily(family);
            k.addIoLinker(linker);
            services.add(k);
        }
        return services;
    }

    /** The end of a test: every node goes quiet, then its core and the network stop. */
    static void stop(SimNetwork network, List<KddmService> services) {
        if (network != null) {
            network.shutdown();
        }
        services.forEach(KddmService::close);
        if (network != null) {
            network.close();
        }
    }

    /** Every node goes quiet at once (end of a test): nothing is handed anywhere any more. */
    public void shutdown() {
        nodes.values().forEach(n -> n.up = false);
    }

    @Override
    public void close() {
        channels.values().forEach(ExecutorService::shutdownNow);
    }

    /** One node's transport and membership. */
    public final class Node implements Transport {
        final int id;
        volatile boolean up = true;
        final Map<Integer, MessageHandler> handlers = new ConcurrentHashMap<>();
        public final SimMembership membership = new SimMembership(this);

        Node(int id) {
            this.id = id;
        }

        @Override
        public int localNode() {
            return id;
        }

        @Override
        public void send(int node, int type, byte[] payload) {
            deliver(id, node, type, payload, null);
        }

        @Override
        public CompletableFuture<byte[]> request(int node, int type, byte[] payload, Duration timeout) {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            try {
                deliver(id, node, type, payload, f);
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
            return f.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public AutoCloseable addHandler(int type, MessageHandler handler) {
            handlers.put(type, handler);
            return () -> handlers.remove(type, handler);
        }

        @Override
        public AutoCloseable addConnectionListener(ConnectionListener listener) {
            return () -> { };
        }

        @Override
        public Set<Integer> connectedNodes() {
            Set<Integer> out = new TreeSet<>();
            nodes.values().stream().filter(n -> n.up && n.id != id).forEach(n -> out.add(n.id));
            return out;
        }

        @Override
        public Optional<InetSocketAddress> addressOf(int node) {
            return Optional.empty();
        }

        @Override
        public List<PeerStatus> peers() {
            return List.of();
        }

        @Override
        public void disconnect(int node, String reason) {
        }
    }

    /**
     * Agreed membership as a perfect failure detector would give it: one view for
     * the whole network (every node created and not crashed), installed on every
     * node at once when it changes; every node up holds a lease.
     */
    public final class SimMembership implements Membership {
        private final Node self;
        private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
        private final List<ViewListener> viewListeners = new CopyOnWriteArrayList<>();
        private volatile View installed = View.NONE;

        SimMembership(Node self) {
            this.self = self;
        }

        synchronized void install(View next) {
            View previous = installed;
            installed = next;
            viewListeners.forEach(l -> l.installed(previous, next));
            for (Integer gone : next.departedSince(previous).keySet()) {
                NodeInfo info = info(gone);
                listeners.forEach(l -> l.stateChanged(info, NodeState.ALIVE));
            }
        }

        private NodeInfo info(int node) {
            NodeState s = installed.contains(node) ? NodeState.ALIVE : NodeState.DEAD;
            return new NodeInfo(node, "sim:" + node, s, 1, Duration.ZERO, Optional.empty(), node == self.id);
        }

        @Override
        public int localNode() {
            return self.id;
        }

        @Override
        public List<NodeInfo> nodes() {
            return nodes.keySet().stream().sorted().map(this::info).toList();
        }

        @Override
        public Optional<NodeInfo> node(int id) {
            return nodes.containsKey(id) ? Optional.of(info(id)) : Optional.empty();
        }

        @Override
        public boolean isUp(int id) {
            return installed.contains(id);
        }

        @Override
        public View view() {
            return installed;
        }

        @Override
        public boolean hasLease() {
            return self.up;
        }

        @Override
        public SortedSet<Integer> voters() {
            return new TreeSet<>(nodes.keySet());
        }

        @Override
        public synchronized AutoCloseable addViewListener(ViewListener listener) {
            viewListeners.add(listener);
            listener.installed(View.NONE, installed);
            return () -> viewListeners.remove(listener);
        }

        @Override
        public AutoCloseable addListener(MembershipListener listener) {
            listeners.add(listener);
            return () -> listeners.remove(listener);
        }
    }
}
