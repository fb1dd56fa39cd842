package io.kddm.impl.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.View;
import io.kddm.api.set.SetIds;
import io.kddm.api.transport.Inbound;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * What the survivors cannot know after more failures than backups (issue 14:
 * "an object is lost only when more than N copies died at once, and is then
 * never silently made anew"). A home's records die with it, so when its owner
 * and all N backups of an object die too, no survivor knows the object existed,
 * and its next access would make it anew. This ledger counts the crashes that
 * the cluster has not recovered from yet: a node that left the view without
 * having left in order (LEFT), until every member of the view it left reported
 * that it holds no object with fewer backups than asked and rebuilds no range
 * (REPLICATED, sent once per view when that holds). Those members, not the
 * current ones: when two nodes die at once and the views take them out one after
 * the other, the second was the acting home of the first one's range in the view
 * between, and never rebuilt it; its silence keeps the first crash counted. A range rebuilt (R17) while more crashes than
 * the family's backups are unrecovered is <em>uncertain</em>: what the claims
 * hold is served, but a first touch of an object none of them holds fails with
 * ObjectLostException until an operator clears the range ({@code kddm:lost
 * --clear}), as Ceph keeps a placement group down until its unfound objects are
 * marked lost. Every member keeps the marks (UNCERTAIN), and says so in its
 * CLAIMS, so that the next acting home of the range inherits them. Rows R25-R28.
 */
final class CrashLedger {
    private static final Logger LOG = LoggerFactory.getLogger(CrashLedger.class);
    /** LEDGER's count: this node left in order, everything handed over (R25). */
    static final int LEFT = 0;
    /** LEDGER's count: as of the view of the message's epoch, the sender is fully replicated (R26). */
    static final int REPLICATED = 1;
    /** LEDGER's count: home {@code node} of the set is uncertain ({@code bytes}: why) (R27). */
    static final int UNCERTAIN = 2;
    /** LEDGER's count: home {@code node} of the set (0: every home) is certain again (R28). */
    static final int CLEARED = 3;
    /** In a CLAIMS reply, in place of an object id: the answering node holds the range as uncertain. */
    static final long UNCERTAIN_CLAIM = -1L;

    /** A crash: a member that left the view without leaving in order; who must report after it, by incarnation. */
    record Crash(int node, long incarnation, long epoch, Map<Integer, Long> witnesses) {
    }

    private final Coherence node;
    private final List<Crash> unrecovered = new CopyOnWriteArrayList<>();
    /** Incarnations that said they left in order, as "node:incarnation". */
    private final java.util.Set<String> leftInOrder = ConcurrentHashMap.newKeySet();
    /** Of those, the ones gone from the view since: a witness that need not report (its ranges went to R19). */
    private final java.util.Set<String> departedInOrder = ConcurrentHashMap.newKeySet();
    /** Per member: its incarnation and the newest epoch it reported fully replicated. */
    private final Map<Integer, long[]> replicated = new ConcurrentHashMap<>();
    /** Uncertain ranges: set, then nominal home, then why. */
    private final Map<Long, Map<Integer, String>> uncertain = new ConcurrentHashMap<>();

    CrashLedger(Coherence node) {
        this.node = node;
    }

    /** A view is installed: who left it without leaving in order crashed. Before the ranges are rebuilt. */
    void departed(View previous, View current) {
        Map<Integer, Long> witnesses = new TreeMap<>();
        current.members().forEach((id, m) -> witnesses.put(id, m.incarnation()));
        for (Map.Entry<Integer, View.Member> gone : current.departedSince(previous).entrySet()) {
            View.Member m = gone.getValue();
            if (m.node() == node.self) {
                continue;
            }
            if (leftInOrder.remove(m.node() + ":" + m.incarnation())) {
                departedInOrder.add(m.node() + ":" + m.incarnation());
                LOG.debug("node {} left in order: not a crash", m.node());
            } else {
                unrecovered.add(new Crash(m.node(), m.incarnation(), current.epoch(), Map.copyOf(witnesses)));
            }
        }
    }

    /**
     * The crashes not recovered from: some member of the view that took the node
     * out has not reported itself fully replicated in that view or a later one
     * (nor left in order since).
     */
    int unrecovered() {
        unrecovered.removeIf(this::recovered);
        return unrecovered.size();
    }

    private boolean recovered(Crash c) {
        for (Map.Entry<Integer, Long> w : c.witnesses().entrySet()) {
            long[] r = replicated.get(w.getKey());
            boolean reported = r != null && r[0] == w.getValue() && r[1] >= c.epoch();
            if (!reported && !departedInOrder.contains(w.getKey() + ":" + w.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** A view is installed here: once this node is fully replicated in it, every member is told. Row R26. */
    void viewInstalled(View current) {
        if (current.epoch() != 0 && current.members().containsKey(node.self)) {
            node.later(() -> reportWhenReplicated(current.epoch(), 1), 50);
        }
    }

    private void reportWhenReplicated(long epoch, int attempt) {
        View v = node.view;
        if (v.epoch() != epoch || !node.isMember()) {
            return; // the next view reports for itself
        }
        if (!fullyReplicated()) {
            node.later(() -> reportWhenReplicated(epoch, attempt + 1), Math.min(1000, 50L * attempt));
            return;
        }
        View.Member me = v.members().get(node.self);
        replicated.merge(node.self, new long[] {me.incarnation(), epoch}, CrashLedger::newer);
        for (int m : node.replication.members()) {
            if (m != node.self) {
                send(m, REPLICATED, 0, 0, null);
            }
        }
    }

    /** Nothing here is being rebuilt or taken over, and every object owned here has its backups. */
    private boolean fullyReplicated() {
        for (SetState s : node.allSets()) {
            if (!s.rebuilding.isEmpty()) {
                return false;
            }
            for (ManagerEntry me : s.managed.values()) {
                if (me.recovering != null) {
                    return false;
                }
            }
        }
        return node.replication.underReplicatedCount() == 0;
    }

    private static long[] newer(long[] a, long[] b) {
        return a[0] != b[0] ? b : (a[1] >= b[1] ? a : b);
    }

    /** This node left in order, nothing kept: every member is told, so that its departure is no crash. Row R25. */
    void leftInOrder(long deadline) {
        List<java.util.concurrent.CompletableFuture<byte[]>> acks = new ArrayList<>();
        for (int m : node.replication.members()) {
            if (m != node.self) {
                acks.add(send(m, LEFT, 0, 0, null));
            }
        }
        for (var ack : acks) {
            try {
                ack.get(Math.max(1, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (Exception notTold) {
                // that member counts this departure as a crash: conservative, never unsafe
            }
        }
    }

    /**
     * A range was rebuilt here (R17): uncertain if a member said so in its claims,
     * or if more crashes than the family's backups are unrecovered. Row R27.
     */
    void rebuilt(SetState s, int nominal, boolean claimedUncertain) {
        if (!node.replication.homesMove(s) || node.stores.replicated(s)) {
            return; // a disk-backed range is read from its store: nothing is made anew
        }
        String why = uncertainty(s, nominal);
        if (why == null && claimedUncertain) {
            why = "a member holds home " + nominal + " of set " + SetIds.format(s.id) + " as uncertain";
        } else if (why == null) {
            int crashes = unrecovered();
            int backups = node.replication.backups(s);
            if (crashes <= backups) {
                return;
            }
            why = crashes + " nodes crashed (" + describe() + ") before the cluster had restored " + backups
                    + " backup" + (backups == 1 ? "" : "s") + " of every object";
        }
        if (uncertainty(s, nominal) == null) {
            LOG.warn("node {} acts as home {} of set {}, which is uncertain: {}; an object none of the survivors "
                    + "holds may have been lost, and is not made anew until an operator runs kddm:lost --clear",
                    node.self, nominal, SetIds.format(s.id), why);
        }
        mark(s.id, nominal, why);
        for (int m : node.replication.members()) {
            if (m != node.self) {
                send(m, UNCERTAIN, s.id, nominal, why);
            }
        }
    }

    private String describe() {
        StringBuilder b = new StringBuilder();
        for (Crash c : unrecovered) {
            b.append(b.length() == 0 ? "" : ", ").append("node ").append(c.node()).append(" in view ").append(c.epoch());
        }
        return b.toString();
    }

    private void mark(long setId, int nominal, String why) {
        uncertain.computeIfAbsent(setId, id -> new ConcurrentHashMap<>()).putIfAbsent(nominal, why);
    }

    /** Why home {@code nominal} of the set is uncertain; null if it is not. */
    String uncertainty(SetState s, int nominal) {
        Map<Integer, String> homes = uncertain.get(s.id);
        return homes == null ? null : homes.get(nominal);
    }

    /** Every uncertain range known here: set, then home, then why. */
    Map<Long, Map<Integer, String>> uncertainRanges() {
        Map<Long, Map<Integer, String>> out = new TreeMap<>();
        uncertain.forEach((set, homes) -> {
            if (!homes.isEmpty()) {
                out.put(set, new TreeMap<>(homes));
            }
        });
        return out;
    }

    /** An operator accepts what was lost: the ranges (home 0: every home of the set) are certain again everywhere. */
    int clear(long setId, int nominal) {
        int cleared = forget(setId, nominal);
        for (int m : node.replication.members()) {
            if (m != node.self) {
                send(m, CLEARED, setId, nominal, null);
            }
        }
        return cleared;
    }

    private int forget(long setId, int nominal) {
        Map<Integer, String> homes = uncertain.get(setId);
        if (homes == null) {
            return 0;
        }
        int before = homes.size();
        if (nominal == 0) {
            homes.clear();
        } else {
            homes.remove(nominal);
        }
        return before - homes.size();
    }

    /** LEDGER from a member. */
    void onLedger(Inbound in, Message m) {
        int sender = in.sender();
        View.Member member = node.view.members().get(sender);
        switch (m.count()) {
            case LEFT -> {
                if (member != null) {
                    leftInOrder.add(sender + ":" + member.incarnation());
                }
            }
            case REPLICATED -> {
                if (member != null) {
                    replicated.merge(sender, new long[] {member.incarnation(), m.epoch()}, CrashLedger::newer);
                }
            }
            case UNCERTAIN -> mark(m.setId(), m.node(), new String(m.bytes(), StandardCharsets.UTF_8));
            case CLEARED -> {
                if (forget(m.setId(), m.node()) > 0) {
                    LOG.info("node {} cleared home {} of set {}: its objects may be made anew", sender,
                            m.node() == 0 ? "(every)" : m.node(), SetIds.format(m.setId()));
                }
            }
            default -> {
                in.fail("LEDGER of unknown kind " + m.count());
                return;
            }
        }
        in.reply(Wire.EMPTY);
    }

    private java.util.concurrent.CompletableFuture<byte[]> send(int to, int kind, long setId, int nominal, String why) {
        var answer = node.transport.request(to, Kind.LEDGER.type(), node.outbox.request(setId, 0, nominal, kind,
                why == null ? null : why.getBytes(StandardCharsets.UTF_8)), node.operationTimeout());
        answer.whenComplete((reply, failure) -> {
            if (failure != null) {
                LOG.debug("LEDGER {} to node {} failed: {}", kind, to, failure.toString());
            }
        });
        return answer;
    }
}
