package io.kddm.membership;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.MembershipListener;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.NodeState;
import io.kddm.api.membership.View;
import io.kddm.api.membership.ViewListener;
import io.kddm.api.transport.ConnectionListener;
import io.kddm.api.transport.Inbound;
import io.kddm.api.transport.MessageTypes;
import io.kddm.api.transport.NodeUnreachableException;
import io.kddm.api.transport.Transport;

/**
 * Membership by agreed views. The voters run a Raft group whose state is the
 * view ({@link Voter}); every node heartbeats every other, learns the views,
 * installs them in epoch order once they are safe to act upon, and holds a
 * lease while a majority of the voters grants it ({@link Lease}).
 * <p>
 * A node joins by asking a voter (JOIN), leaves in order by asking again
 * (LEAVE), and is taken out by the Raft leader when silent longer than
 * {@code dead.after} (EXCLUDE). A node that finds itself out of the view while
 * it thought it was in (it was paused or cut off) tells its listeners that
 * everything it held is void and joins again as a new incarnation. Everything
 * but the transport's threads runs on one membership thread, in order.
 */
@Component(service = Membership.class, configurationPid = {"io.kddm.node", "io.kddm.membership"}, immediate = true)
public final class RaftMembership implements Membership, ConnectionListener {
    private static final Logger LOG = LoggerFactory.getLogger(RaftMembership.class);
    private static final byte[] EMPTY = new byte[0];
    private static final String DATA_DIR = "kddm.data.dir";

    /** Where this node stands in the cluster. */
    private enum Status {
        JOINING, MEMBER, LEAVING, LEFT
    }

    private final Transport transport;
    private final int self;
    /** The settings in force: the timings may change live ({@link #modified}). */
    private volatile MembershipSettings settings;
    private final ScheduledExecutorService events;
    private final Observations seen;
    private final Lease lease;
    private final Voter voter;
    private final ViewRequests requests;
    private final List<AutoCloseable> registrations = new ArrayList<>();
    private final Listeners listeners = new Listeners();
    private final Map<Integer, VoterReport> reports = new ConcurrentHashMap<>();
    /** Nodes that said they leave in order (their departure is LEFT, not DEAD). */
    private final Map<Integer, Long> leaving = new ConcurrentHashMap<>();
    private volatile long incarnation = System.currentTimeMillis();
    private volatile Status status = Status.JOINING;
    /** The newest view this node has heard of, and the one it acts upon. */
    private volatile View known = View.NONE;
    private volatile View installed = View.NONE;
    private boolean leaseReported;
    private long lastJoinAttempt;
    private boolean fetching;
    /** The periodic tick, every heartbeat; rescheduled when the heartbeat changes. */
    private ScheduledFuture<?> ticking;

    @Activate
    public RaftMembership(@Reference Transport transport, MembershipConfig config, BundleContext context)
            throws IOException {
        this(transport, MembershipSettings.of(config, transport.localNode()), stateFile(context, transport));
    }

    private static Path stateFile(BundleContext context, Transport transport) {
        String dir = context.getProperty(DATA_DIR);
        Path base = dir != null ? Path.of(dir) : context.getDataFile("").toPath();
        return base.resolve("membership").resolve("raft-node-" + transport.localNode() + ".state");
    }

    /**
     * Outside a framework (benchmarks): default timings, {@code voters} voting,
     * a voter's Raft state in {@code raftState}.
     */
    public RaftMembership(Transport transport, SortedSet<Integer> voters, Path raftState) throws IOException {
        this(transport, new MembershipSettings(voters, Duration.ofMillis(MembershipConfig.HEARTBEAT_MS),
                Duration.ofMillis(MembershipConfig.SUSPECT_MS), Duration.ofMillis(MembershipConfig.DEAD_MS),
                Duration.ofMillis(MembershipConfig.LEASE_MS)), raftState);
    }

    RaftMembership(Transport transport, MembershipSettings settings, Path raftState) throws IOException {
        this.transport = transport;
        this.self = transport.localNode();
        this.settings = settings;
        this.events = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kddm-membership-" + self);
            t.setDaemon(true);
            return t;
        });
        this.seen = new Observations(settings, listeners::stateChanged);
        this.lease = new Lease(settings);
        this.voter = settings.isVoter(self) ? new Voter(transport, settings, raftState, events, this::applied) : null;
        registrations.add(transport.addHandler(MessageTypes.HEARTBEAT, this::onHeartbeat));
        registrations.add(transport.addHandler(MessageTypes.VIEW, this::onView));
        this.requests = new ViewRequests(transport, settings, voter, reports, events);
        registrations.add(transport.addHandler(MessageTypes.VIEW_CHANGE, requests::onViewChange));
        registrations.add(transport.addHandler(MessageTypes.LEAVE, in -> leaving.put(in.sender(), System.nanoTime())));
        registrations.add(transport.addConnectionListener(this));
        long period = settings.heartbeat().toNanos();
        ticking = events.scheduleAtFixedRate(this::tick, 0, period, TimeUnit.NANOSECONDS);
        LOG.info("membership of node {}: voters {}{}, heartbeat {} ms, suspect after {} ms, dead after {} ms, "
                + "lease {} ms", self, settings.voters(), voter != null ? " (this node votes)" : "",
                settings.heartbeat().toMillis(), settings.suspectAfter().toMillis(), settings.deadAfter().toMillis(),
                settings.lease().toMillis());
    }

    /**
     * A change of {@code io.kddm.node} or {@code io.kddm.membership} while the node
     * runs: the component stays active (the core above it too); the timings apply
     * live, the voters and the lease are refused ({@link SettingsChange}). The
     * transport's keys of {@code io.kddm.node} are the transport's business.
     */
    @Modified
    void modified(MembershipConfig config) {
        reconfigure(SettingsChange.of(settings, config, self));
    }

    /** Runs with {@code next} from now on (the same voters and lease as before). */
    synchronized void reconfigure(MembershipSettings next) {
        MembershipSettings now = settings;
        if (next == now) {
            return;
        }
        settings = next;
        seen.settings(next);
        requests.settings(next);
        if (voter != null) {
            voter.settings(next);
        }
        if (!next.heartbeat().equals(now.heartbeat())) {
            long period = next.heartbeat().toNanos();
            post(() -> {
                ticking.cancel(false);
                ticking = events.scheduleAtFixedRate(this::tick, period, period, TimeUnit.NANOSECONDS);
            });
        }
    }

    /** The settings in force. */
    MembershipSettings settings() {
        return settings;
    }

    /**
     * Leaves in order: gives the lease up (the core has handed everything off
     * before this component stops: it depends on it), tells every node, and asks
     * the voters to take this node out of the view; waits for that (bounded).
     */
    @Deactivate
    public void close() {
        stop(true);
    }

    /** Stops; {@code leave} false stops as a crash would (tests, benchmarks): nobody is told. */
    public void stop(boolean leave) {
        if (leave && status == Status.MEMBER) {
            leave(Duration.ofSeconds(5));
        }
        for (int i = registrations.size() - 1; i >= 0; i--) {
            try {
                registrations.get(i).close();
            } catch (Exception e) {
                LOG.debug("closing a registration", e);
            }
        }
        events.shutdownNow();
        if (voter != null) {
            voter.close();
        }
    }

    private void leave(Duration limit) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        post(() -> {
            status = Status.LEAVING;
            lease.drop();
            reportLease();
            for (int node : transport.connectedNodes()) {
                send(node, MessageTypes.LEAVE, EMPTY);
            }
            askLeave(done, System.nanoTime() + limit.toNanos());
        });
        try {
            done.get(limit.toMillis() + 500, TimeUnit.MILLISECONDS);
            LOG.info("node {} left the cluster", self);
        } catch (Exception e) {
            LOG.warn("node {} stops without the voters' agreement that it left ({}): they will take it out when "
                    + "they notice its silence", self, e.getMessage());
        }
    }

    private void askLeave(CompletableFuture<Void> done, long deadline) {
        requests.change(new ViewOp(ViewOp.Kind.LEAVE, self, incarnation)).whenCompleteAsync((view, failure) -> {
            if (failure == null) {
                status = Status.LEFT;
                offer(view);
                done.complete(null);
            } else if (System.nanoTime() - deadline < 0) {
                events.schedule(() -> askLeave(done, deadline), 100, TimeUnit.MILLISECONDS);
            } else {
                done.completeExceptionally(failure);
            }
        }, events);
    }

    // ---- the membership thread's work -----------------------------------------------------

    private void tick() {
        try {
            for (int node : transport.connectedNodes()) {
                heartbeat(node);
            }
            if (voter != null) {
                if (voter.grants(self, incarnation) && status != Status.LEAVING && status != Status.LEFT) {
                    lease.granted(self, System.nanoTime());
                }
                offer(voter.applied());
                voter.excludeSilent(seen);
                voter.standIfLeaderSilent(seen, hasLease());
            }
            if (status == Status.JOINING) {
                join();
            }
            tryInstall();
            seen.tick();
            reportLease();
        } catch (RuntimeException e) {
            LOG.warn("membership tick failed", e);
        }
    }

    private void heartbeat(int node) {
        long sent = System.nanoTime();
        byte[] ping = ByteBuffer.allocate(VoterReport.PING).putLong(incarnation).putLong(installed.epoch()).array();
        transport.request(node, MessageTypes.HEARTBEAT, ping, settings.deadAfter()).whenComplete((reply, failure) -> {
            if (failure == null) {
                post(() -> answered(node, sent, reply));
            }
        });
    }

    /** A heartbeat's answer: the node is alive; a voter's also says whether it grants and what it applied. */
    private void answered(int node, long sent, byte[] reply) {
        ByteBuffer b = ByteBuffer.wrap(reply);
        VoterReport r;
        try {
            seen.heard(node, b.getLong());
            r = VoterReport.read(b);
        } catch (RuntimeException malformed) {
            LOG.warn("malformed heartbeat answer from node {} ({} bytes)", node, reply.length);
            return;
        }
        seen.roundTrip(node, System.nanoTime() - sent);
        if (r == null || !settings.isVoter(node)) {
            return;
        }
        reports.put(node, r);
        if (r.granted() && status != Status.LEAVING && status != Status.LEFT) {
            lease.granted(node, sent);
        } else {
            lease.refused(node);
        }
        if (r.appliedEpoch() > known.epoch()) {
            fetchView(node);
        }
    }

    private void onHeartbeat(Inbound in) {
        if (in.payload().length != VoterReport.PING) {
            in.fail("malformed heartbeat");
            return;
        }
        long theirs = ByteBuffer.wrap(in.payload()).getLong();
        seen.heard(in.sender(), theirs);
        in.reply(VoterReport.answer(incarnation, voter == null ? null : new VoterReport(voter.grants(in.sender(),
                theirs), voter.appliedEpoch(), voter.safeEpoch(), voter.leader().orElse(0))));
    }

    /** Asks {@code node} (a voter that applied a newer view) for its view; one question at a time. */
    private void fetchView(int node) {
        if (fetching) {
            return;
        }
        fetching = true;
        transport.request(node, MessageTypes.VIEW, EMPTY, settings.deadAfter()).whenComplete((reply, failure) -> post(
                () -> {
                    fetching = false;
                    if (failure == null) {
                        offerBytes(node, reply);
                    }
                }));
    }

    /** VIEW: pushed by the leader after every change (one-way), or asked for (a request, empty). */
    private void onView(Inbound in) {
        if (in.isRequest() && in.payload().length == 0) {
            in.reply(RaftCodec.encode(voter != null ? voter.applied() : known));
            return;
        }
        post(() -> offerBytes(in.sender(), in.payload()));
    }

    private void offerBytes(int from, byte[] bytes) {
        try {
            offer(RaftCodec.decodeView(bytes));
        } catch (IllegalArgumentException e) {
            LOG.warn("dropping a view from node {}: {}", from, e.getMessage());
        }
    }

    /** A view heard of: the newest is kept, and installed once safe. On the membership thread. */
    private void offer(View view) {
        if (view.epoch() <= known.epoch()) {
            return;
        }
        known = view;
        if (status == Status.MEMBER && !view.contains(self, incarnation)) {
            excluded(view);
        }
        tryInstall();
    }

    /** This voter applied a view (on the membership thread): the leader tells every node. */
    private void applied(View view) {
        offer(view);
        if (voter.isLeader()) {
            byte[] bytes = RaftCodec.encode(view);
            for (int node : transport.connectedNodes()) {
                send(node, MessageTypes.VIEW, bytes);
            }
        }
    }

    /**
     * Installs the newest view known once it is safe: at once if it takes nobody
     * out, else when a majority of the voters say that every lease it ended has
     * run out.
     */
    private void tryInstall() {
        View next = known;
        View now = installed;
        if (next.epoch() <= now.epoch()) {
            return;
        }
        if (status == Status.JOINING && next.members().containsKey(self) && !next.contains(self, incarnation)) {
            // A view with an earlier incarnation of this node (a restarted voter's own Raft state has
            // them first, or the others have not yet taken the old one out): what that incarnation held
            // is gone with it, yet the core above would take the view as its own membership and carry
            // on from it (NemesisIT: a home restarted on such a view kept no records and made an object
            // anew). Installed only once a view has this incarnation, or none of it.
            return;
        }
        Map<Integer, View.Member> gone = next.departedSince(now);
        if (!gone.isEmpty() && safeVoters(next.epoch()) < settings.majority()) {
            return;
        }
        installed = next;
        Map<Integer, Boolean> how = new TreeMap<>();
        gone.keySet().forEach(n -> how.put(n, leaving.remove(n) != null));
        LOG.info("node {} installed {}", self, next);
        if (next.contains(self, incarnation) && status == Status.JOINING) {
            status = Status.MEMBER;
            LOG.info("node {} joined the cluster as incarnation {}", self, incarnation);
        }
        how.forEach((node, inOrder) -> {
            if (node != self) {
                LOG.info(inOrder ? "node {} left the cluster" : "node {} is out of the cluster: silent longer than "
                        + settings.deadAfter().toMillis() + " ms (crashed, paused or cut off)", node);
            }
        });
        next.members().values().forEach(m -> {
            if (m.node() != self && !now.contains(m.node(), m.incarnation())) {
                LOG.info("node {} joined the cluster (incarnation {})", m.node(), m.incarnation());
            }
        });
        seen.installed(next, how);
        listeners.installed(now, next);
    }

    private int safeVoters(long epoch) {
        int safe = 0;
        for (int v : settings.voters()) {
            long s = v == self && voter != null ? voter.safeEpoch()
                    : Optional.ofNullable(reports.get(v)).map(VoterReport::safeEpoch).orElse(0L);
            if (s >= epoch) {
                safe++;
            }
        }
        return safe;
    }

    /**
     * This node is not in a view it should be in: it was taken out (it was
     * paused, or cut off, longer than the failure bound). What it holds is void;
     * it joins again as a new incarnation.
     */
    private void excluded(View view) {
        long old = incarnation;
        incarnation = Math.max(System.currentTimeMillis(), old + 1);
        status = Status.JOINING;
        lease.drop();
        reportLease();
        LOG.warn("node {} was taken out of the cluster ({} has no incarnation {} of it): it drops everything it held "
                + "and joins again as incarnation {}", self, view, old, incarnation);
        listeners.excluded(view);
    }

    /** Asks a voter to let this node in, every half second until it is. */
    private void join() {
        long now = System.nanoTime();
        if (now - lastJoinAttempt < TimeUnit.MILLISECONDS.toNanos(500)) {
            return;
        }
        lastJoinAttempt = now;
        requests.change(new ViewOp(ViewOp.Kind.JOIN, self, incarnation)).whenCompleteAsync((view, failure) -> {
            if (failure == null) {
                offer(view);
            } else {
                LOG.debug("join of node {} not agreed yet: {}", self, failure.toString());
            }
        }, events);
    }

    private void reportLease() {
        boolean held = hasLease();
        if (held != leaseReported) {
            leaseReported = held;
            LOG.info("node {} {} a lease from a majority of the voters {}", self, held ? "holds" : "lost",
                    settings.voters());
            listeners.leaseChanged(held);
        }
    }

    private void send(int node, int type, byte[] payload) {
        try {
            transport.send(node, type, payload);
        } catch (NodeUnreachableException e) {
            LOG.debug("{} to node {} not sent: {}", type, node, e.getMessage());
        }
    }

    private boolean post(Runnable task) {
        try {
            events.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("membership task failed", e);
                }
            });
            return true;
        } catch (RejectedExecutionException stopped) {
            return false;
        }
    }

    // ---- transport events --------------------------------------------------------------------

    @Override
    public void connected(int node, long transportIncarnation, InetSocketAddress address) {
        post(() -> seen.connected(node, address.getHostString() + ":" + address.getPort()));
    }

    @Override
    public void disconnected(int node, String reason) {
        post(() -> seen.disconnected(node));
    }

    // ---- Membership --------------------------------------------------------------------------

    @Override
    public int localNode() {
        return self;
    }

    @Override
    public List<NodeInfo> nodes() {
        List<NodeInfo> out = new ArrayList<>(seen.all());
        out.removeIf(n -> n.id() == self);
        out.add(selfInfo());
        out.sort((a, b) -> Integer.compare(a.id(), b.id()));
        return out;
    }

    @Override
    public Optional<NodeInfo> node(int id) {
        return id == self ? Optional.of(selfInfo()) : seen.get(id);
    }

    private NodeInfo selfInfo() {
        String address = transport.addressOf(self).map(a -> a.getHostString() + ":" + a.getPort()).orElse("?");
        NodeState state = switch (status) {
            case MEMBER -> NodeState.ALIVE;
            case LEFT -> NodeState.LEFT;
            default -> NodeState.JOINING;
        };
        return new NodeInfo(self, address, state, incarnation, Duration.ZERO, Optional.empty(), true);
    }

    @Override
    public boolean isUp(int id) {
        return id == self ? status == Status.MEMBER : installed.contains(id);
    }

    @Override
    public View view() {
        return installed;
    }

    /** A member with a lease: it joined (installed a view with itself) and a majority of the voters grants it. */
    @Override
    public boolean hasLease() {
        return status == Status.MEMBER && lease.held();
    }

    @Override
    public SortedSet<Integer> voters() {
        return settings.voters();
    }

    @Override
    public AutoCloseable addViewListener(ViewListener listener) {
        post(() -> listeners.add(listener, installed, hasLease()));
        return () -> {
            if (!post(() -> listeners.remove(listener))) {
                listeners.remove(listener);
            }
        };
    }

    @Override
    public AutoCloseable addListener(MembershipListener listener) {
        bindListener(listener);
        return () -> removeListener(listener);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeListener")
    void bindListener(MembershipListener listener) {
        // On the membership thread, behind earlier changes: the listener sees a consistent sequence.
        post(() -> listeners.add(listener, seen.all()));
    }

    void removeListener(MembershipListener listener) {
        if (!post(() -> listeners.remove(listener))) {
            listeners.remove(listener);
        }
    }

    /** Whether this node is the voters' Raft leader (for tests and diagnostics). */
    boolean leads() {
        return voter != null && voter.isLeader();
    }

    /** For diagnostics and tests: this node's lease, ms left (negative: none). */
    long leaseMillis() {
        return lease.remainingMillis();
    }
}
