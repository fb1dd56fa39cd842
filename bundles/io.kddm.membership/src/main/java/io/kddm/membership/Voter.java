package io.kddm.membership;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.View;
import io.kddm.api.transport.Transport;
import io.microraft.RaftConfig;
import io.microraft.RaftEndpoint;
import io.microraft.RaftNode;
import io.microraft.RaftRole;
import io.microraft.model.RaftModelFactory;
import io.microraft.persistence.RestoredRaftState;
import io.microraft.report.RaftNodeReport;

/**
 * A voting node: it runs the Raft group of the voters (MicroRaft, its state on
 * disk), whose state machine is the view. It grants leases to the members of the
 * view it has applied, and says from which epoch on every exclusion is safe to
 * act upon. The leader turns silence into exclusions and serves joins and leaves.
 */
final class Voter {
    private static final Logger LOG = LoggerFactory.getLogger(Voter.class);
    /** MicroRaft's leader heartbeat timeout and period, in seconds (see the RaftConfig below). */
    private static final int RAFT_HEARTBEAT_TIMEOUT_S = 2;
    private static final int RAFT_HEARTBEAT_PERIOD_S = 1;
    /** Past this, MicroRaft's own check would have stood for election if it could ({@link #standIfLeaderSilent}). */
    private static final long STAND_AFTER_NANOS = TimeUnit.SECONDS.toNanos(RAFT_HEARTBEAT_TIMEOUT_S
            + RAFT_HEARTBEAT_PERIOD_S);

    /** Told of every view this voter applies, on the membership thread. */
    interface Applied {
        void applied(View view);
    }

    private final int self;
    private volatile MembershipSettings settings;
    private final RaftRuntime runtime;
    private final ViewMachine machine;
    private final RaftNode raft;
    private final AutoCloseable listening;
    /** Exclusions applied here, not yet safe to act upon: epoch to nanoTime applied. */
    private final TreeMap<Long, Long> unsafe = new TreeMap<>();
    /** Exclusions proposed and not yet applied, by node: so that one silence makes one proposal. */
    private final Set<Integer> excluding = new HashSet<>();
    private final Executor events;
    private final RaftModelFactory factory;
    private volatile long appliedEpoch;
    /** When this voter last stood for election by itself (nanoTime; on the membership thread). */
    private long stoodAt = System.nanoTime() - STAND_AFTER_NANOS;

    Voter(Transport transport, MembershipSettings settings, Path stateFile, Executor events, Applied applied)
            throws IOException {
        this.self = transport.localNode();
        this.settings = settings;
        this.events = events;
        RaftCodec codec = new RaftCodec();
        this.factory = codec.factory();
        this.runtime = new RaftRuntime(transport, codec, settings);
        this.machine = new ViewMachine((view, op) -> {
            long now = System.nanoTime();
            try {
                deliver(view, op, now, applied);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // Raft applies entries until it is terminated, after the membership thread stopped (this node's
                // own LEAVE, typically): nobody here is left to tell, and it is no failure of the entry.
                LOG.debug("voter {}: view {} applied while this node stops: not delivered", self, view.epoch());
            }
        });
        FileRaftStore store = new FileRaftStore(stateFile, codec);
        RestoredRaftState restored = store.restore();
        List<RaftEndpoint> voters = new ArrayList<>();
        settings.voters().forEach(v -> voters.add(new NodeEndpoint(v)));
        if (restored == null) {
            LOG.info("voter {}: no Raft state in {}: starting as a new voter (a voter that forgot the state it "
                    + "had in this cluster no longer counts toward a majority)", self, stateFile);
        } else {
            List<Integer> stored = new ArrayList<>();
            restored.getInitialGroupMembers().getVotingMembers().forEach(e -> stored.add(((NodeEndpoint) e).node()));
            if (!stored.equals(new ArrayList<>(settings.voters()))) {
                throw new IllegalArgumentException("the voters are " + settings.voters() + " but this node's Raft "
                        + "state (" + stateFile + ") was made with " + stored + ": changing the voters of a cluster "
                        + "is not supported; delete that file on every voter to start the cluster afresh");
            }
            LOG.info("voter {}: Raft state restored from {}", self, stateFile);
        }
        RaftConfig config = RaftConfig.newBuilder().setLeaderElectionTimeoutMillis(500)
                .setLeaderHeartbeatPeriodSecs(RAFT_HEARTBEAT_PERIOD_S)
                .setLeaderHeartbeatTimeoutSecs(RAFT_HEARTBEAT_TIMEOUT_S).setCommitCountToTakeSnapshot(50)
                .setAppendEntriesRequestBatchSize(100).setRaftNodeReportPublishPeriodSecs(60).build();
        RaftNode.RaftNodeBuilder b = RaftNode.newBuilder().setGroupId(RaftCodec.GROUP).setConfig(config)
                .setTransport(runtime).setExecutor(runtime).setStateMachine(machine).setStore(store)
                .setModelFactory(codec.factory()).setClock(new RaftRuntime.MonotonicClock());
        if (restored == null) {
            b.setLocalEndpoint(new NodeEndpoint(self)).setInitialGroupMembers(voters);
        } else {
            b.setRestoredState(restored);
        }
        this.raft = b.build();
        this.listening = runtime.listen(raft);
        raft.start();
    }

    void close() {
        try {
            listening.close();
        } catch (Exception e) {
            LOG.debug("closing the Raft handler", e);
        }
        try {
            raft.terminate().get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("terminating Raft: {}", e.toString());
        }
        runtime.shutdown();
    }

    /** Hands a view this voter applied to the membership thread. */
    private void deliver(View view, ViewOp op, long now, Applied applied) {
        events.execute(() -> {
            if (op.kind() != ViewOp.Kind.JOIN && op.kind() != ViewOp.Kind.LEAVE) {
                // An exclusion (or a view taken whole from a snapshot): leases it ended may still run.
                synchronized (unsafe) {
                    unsafe.put(view.epoch(), now);
                }
            }
            appliedEpoch = view.epoch();
            excluding.remove(op.node());
            applied.applied(view);
        });
    }

    /** The view as this voter has applied it. */
    View applied() {
        return machine.view();
    }

    /** Whether this voter grants a lease to {@code node} running as {@code incarnation}: it is in the view applied here. */
    boolean grants(int node, long incarnation) {
        return machine.view().contains(node, incarnation);
    }

    /** New timings (a configuration changed live); the voters and the lease stay. */
    void settings(MembershipSettings next) {
        settings = next;
    }

    /**
     * The epoch up to which every exclusion applied here is safe to act upon:
     * this voter stopped granting the excluded node when it applied it, and its
     * lease bound has passed since.
     */
    long safeEpoch() {
        long bound = settings.leaseBound().toNanos();
        long now = System.nanoTime();
        synchronized (unsafe) {
            unsafe.values().removeIf(appliedAt -> now - appliedAt > bound);
            return unsafe.isEmpty() ? appliedEpoch : unsafe.firstKey() - 1;
        }
    }

    long appliedEpoch() {
        return appliedEpoch;
    }

    /** The leader, as this voter knows it. */
    Optional<Integer> leader() {
        var term = raft.getTerm();
        RaftEndpoint l = term == null ? null : term.getLeaderEndpoint();
        return l == null ? Optional.empty() : Optional.of(((NodeEndpoint) l).node());
    }

    boolean isLeader() {
        return leader().map(l -> l == self).orElse(false);
    }

    /**
     * Proposes {@code op} if this voter leads; completes with the view once it is
     * committed (on the membership thread). Fails with {@link NotLeader} naming the
     * leader otherwise.
     */
    CompletableFuture<View> propose(ViewOp op) {
        if (!isLeader()) {
            return CompletableFuture.failedFuture(new NotLeader(leader().orElse(0)));
        }
        return raft.<View>replicate(op).thenApplyAsync(o -> o.getResult(), events);
    }

    /** The leader's part of failure detection: a member silent longer than dead.after is taken out. */
    void excludeSilent(Observations seen) {
        if (!isLeader()) {
            excluding.clear();
            return;
        }
        for (Map.Entry<Integer, View.Member> m : machine.view().members().entrySet()) {
            int node = m.getKey();
            long silence = seen.silence(node);
            if (node == self || silence <= settings.deadAfter().toNanos() || !excluding.add(node)) {
                continue;
            }
            LOG.warn("node {} is silent for {} ms: taking it out of the view", node,
                    TimeUnit.NANOSECONDS.toMillis(silence));
            propose(new ViewOp(ViewOp.Kind.EXCLUDE, node, m.getValue().incarnation())).whenComplete((v, e) -> {
                if (e != null) {
                    excluding.remove(node);
                    LOG.info("excluding node {} failed: {}", node, e.toString());
                }
            });
        }
    }

    /**
     * Stands for election when the leader Raft still names has gone silent and
     * MicroRaft does not. MicroRaft 0.7 suspects a leader only while no pre-vote
     * of its own is under way, and a follower that began a pre-vote, then heard
     * of the leader in the same term, keeps that pre-vote's state until the term
     * changes. Every voter that restarts does so (it pre-votes before the
     * leader's first heartbeat reaches it): when the leader then died with only
     * such voters left, no election ever came (NemesisIT, RaftMembershipTest).
     * <p>
     * So, on the membership thread, every tick: if the leader has been silent
     * here past MicroRaft's own bound, MicroRaft's last heartbeat from it is as
     * old, and it still calls itself a follower of that leader, this voter asks
     * MicroRaft to stand, as a leadership transfer from that leader would. Only
     * while {@code leaseHeld}: a majority of the voters hears this node, so it is
     * not the one cut off, whose term would only go up for nothing. At most once
     * per bound; an election is safe in Raft at any time, this is about liveness.
     */
    void standIfLeaderSilent(Observations seen, boolean leaseHeld) {
        Optional<Integer> named = leader();
        long now = System.nanoTime();
        if (!leaseHeld || named.isEmpty() || named.get() == self || seen.silence(named.get()) < STAND_AFTER_NANOS
                || now - stoodAt < STAND_AFTER_NANOS) {
            return;
        }
        stoodAt = now;
        int silent = named.get();
        raft.getReport().thenAccept(o -> {
            RaftNodeReport r = o.getResult();
            RaftEndpoint l = r.getTerm().getLeaderEndpoint();
            long heard = r.getLeaderHeartbeatTimestamp().orElse(0L); // (none: never heard from it)
            long sinceMs = RaftRuntime.MonotonicClock.nowMillis() - heard;
            if (r.getRole() != RaftRole.FOLLOWER || l == null || ((NodeEndpoint) l).node() != silent
                    || sinceMs < TimeUnit.NANOSECONDS.toMillis(STAND_AFTER_NANOS)) {
                return; // MicroRaft moved on by itself, or heard the leader after all
            }
            LOG.warn("voter {}: Raft still follows node {}, silent for {} ms, in term {}, and stands for no election: "
                    + "standing for one", self, silent, sinceMs, r.getTerm().getTerm());
            raft.handle(factory.createTriggerLeaderElectionRequestBuilder().setGroupId(RaftCodec.GROUP).setSender(l)
                    .setTerm(r.getTerm().getTerm()).setLastLogTerm(r.getLog().getLastLogOrSnapshotTerm())
                    .setLastLogIndex(r.getLog().getLastLogOrSnapshotIndex()).build());
        });
    }

    /** A request that reached a voter that does not lead. */
    static final class NotLeader extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int leader;

        NotLeader(int leader) {
            super(leader == 0 ? "no leader yet" : "not the leader: node " + leader + " is");
            this.leader = leader;
        }
    }
}
