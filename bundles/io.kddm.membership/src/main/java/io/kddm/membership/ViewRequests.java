package io.kddm.membership;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import io.kddm.api.membership.View;
import io.kddm.api.transport.Inbound;
import io.kddm.api.transport.MessageTypes;
import io.kddm.api.transport.Transport;

/**
 * A node's requests to the voters to change the view (join, leave in order):
 * to the Raft leader a voter named lately, else to any voter in turn, which
 * relays it to its leader (the asking node may not reach the leader). A node
 * may only ask about itself. Exclusions are not asked for: the leader decides
 * them from silence ({@link Voter#excludeSilent}).
 */
final class ViewRequests {
    private static final int BYTES = 1 + 1 + 8;

    private final Transport transport;
    private volatile MembershipSettings settings;
    private final int self;
    /** This node's voter, {@code null} if it does not vote. */
    private final Voter voter;
    /** The voters' last reports, for the leader they name. */
    private final Map<Integer, VoterReport> reports;
    private final Executor events;
    private int nextVoter;

    ViewRequests(Transport transport, MembershipSettings settings, Voter voter, Map<Integer, VoterReport> reports,
            Executor events) {
        this.transport = transport;
        this.settings = settings;
        this.self = transport.localNode();
        this.voter = voter;
        this.reports = reports;
        this.events = events;
    }

    /** New timings (a configuration changed live). */
    void settings(MembershipSettings next) {
        settings = next;
    }

    /** Asks the voters for {@code op}: this node's voter if it leads, else the leader a voter names, else any voter. */
    CompletableFuture<View> change(ViewOp op) {
        if (voter != null && voter.isLeader()) {
            return voter.propose(op);
        }
        int to = leaderHint();
        if (to == self) {
            return CompletableFuture.failedFuture(new IllegalStateException("no voter reachable"));
        }
        byte[] payload = ByteBuffer.allocate(BYTES).put((byte) op.kind().ordinal()).put((byte) op.node())
                .putLong(op.incarnation()).array();
        return transport.request(to, MessageTypes.VIEW_CHANGE, payload, settings.deadAfter())
                .thenApply(RaftCodec::decodeView);
    }

    /** The leader a voter named lately if connected, else the next connected voter in turn (this node if none). */
    private int leaderHint() {
        var connected = transport.connectedNodes();
        for (VoterReport r : reports.values()) {
            if (r.leader() != 0 && connected.contains(r.leader())) {
                return r.leader();
            }
        }
        List<Integer> voters = new ArrayList<>(settings.voters());
        for (int i = 0; i < voters.size(); i++) {
            int v = voters.get(Math.floorMod(nextVoter++, voters.size()));
            if (connected.contains(v)) {
                return v;
            }
        }
        return self;
    }

    /** VIEW_CHANGE at this node: a voter proposes it if it leads, relays it to its leader if not. */
    void onViewChange(Inbound in) {
        if (voter == null) {
            in.fail("node " + self + " is not a voter");
            return;
        }
        ByteBuffer p = ByteBuffer.wrap(in.payload());
        if (in.payload().length != BYTES) {
            in.fail("malformed view change");
            return;
        }
        int kind = Byte.toUnsignedInt(p.get());
        int node = Byte.toUnsignedInt(p.get());
        long inc = p.getLong();
        if (node != in.sender() || kind > ViewOp.Kind.LEAVE.ordinal()) {
            in.fail("node " + in.sender() + " may only ask to join or leave itself");
            return;
        }
        ViewOp op = new ViewOp(ViewOp.Kind.values()[kind], node, inc);
        try {
            events.execute(() -> propose(in, op));
        } catch (RejectedExecutionException stopping) {
            in.fail("node " + self + " is stopping");
        }
    }

    private void propose(Inbound in, ViewOp op) {
        voter.propose(op).whenComplete((view, failure) -> {
            if (failure == null) {
                in.reply(RaftCodec.encode(view));
            } else if (failure instanceof Voter.NotLeader nl && nl.leader != 0 && nl.leader != self) {
                transport.request(nl.leader, MessageTypes.VIEW_CHANGE, in.payload(), settings.deadAfter())
                        .whenComplete((reply, f) -> {
                            if (f == null) {
                                in.reply(reply);
                            } else {
                                in.fail(f.getMessage());
                            }
                        });
            } else {
                in.fail(failure.getMessage() == null ? failure.toString() : failure.getMessage());
            }
        });
    }
}
