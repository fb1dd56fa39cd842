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
 * having left in order (LEDGER, count 0), until every member of the view it left
 * reported that it holds no object with fewer backups than asked and rebuilds no
 * range (count 1, sent once per view when that holds), or every member of a
 * later view did. The members of the view the node left, not only the current
 * ones: when two nodes die at once and the views take them out one after the
 * other, the second was the acting home of the first one's range in the view
 * between, and never rebuilt it; its silence keeps the first crash counted.
 * <p>
 * At every view, each home whose acting home crashed (its range moves) while
 * k &ge; 2 crashes are unrecovered is marked, on every node that sees it, whether
 * or not that node has the sets open (a set opened later is rebuilt from the
 * same claims, and must know too). A set whose family keeps fewer than k backups
 * is <em>uncertain</em> in that home's range: what the claims hold is served,
 * but a first touch of an object none of them holds fails with
 * ObjectLostException, until an operator clears it ({@code kddm:lost --clear},
 * count 2 to every member), as Ceph keeps a placement group down until its
 * unfound objects are marked lost. Marks and clears travel in the CLAIMS, so
 * that a node that joins later, or a home that comes back, inherits them. Rows
 * R25-R28.
 */
final class CrashLedger {
    private static final Logger LOG = LoggerFactory.getLogger(CrashLedger.class);
    /** LEDGER's count: this node left in order, everything handed over (R25). */
    static final int LEFT = 0;
    /** LEDGER's count: as of the view of the message's epoch, the sender is fully replicated (R26). */
    static final int REPLICATED = 1;
    /** LEDGER's count: the set (its home {@code node}; 0: every home) is certain again as of the message's epoch (R28). */
    static final int CLEARED = 2;
    /** LEDGER's count: object {@code objectId} of the set, homed on {@code node}, was found lost (see {@link LostObjects}). */
    static final int LOST = 3;
    /** In a CLAIMS reply, in place of an object id: the range's mark (epoch, crashes, then who, UTF-8). */
    static final long MARK_CLAIM = -1L;
    /** In a CLAIMS reply, in place of an object id: the epoch as of which the set is clear in that range. */
    static final long CLEARED_CLAIM = -2L;

    /** A home whose range moved while {@code crashes} crashes were unrecovered, in the view of {@code epoch}. */
    record Mark(long epoch, int crashes, String who) {
        Mark merge(Mark o) {
            return o == null ? this : new Mark(Math.max(epoch, o.epoch), Math.max(crashes, o.crashes),
                    crashes >= o.crashes ? who : o.who);
        }
    }

    /** A crash: a member that left the view without leaving in order; who must report after it, by incarnation. */
    record Crash(int node, long incarnation, long epoch, Map<Integer, Long> witnesses) {
    }

    private final Coherence node;
    private final List<Crash> unrecovered = new CopyOnWriteArrayList<>();
    /** Incarnations that said they left in order, as "node:incarnation", until their departure. */
    private final java.util.Set<String> leftInOrder = ConcurrentHashMap.newKeySet();
    /** Per member: its incarnation and the newest epoch it reported fully replicated. */
    private final Map<Integer, long[]> replicated = new ConcurrentHashMap<>();
    /** Some departure was not recovered from when last counted (its end is logged, for operators and the nemesis). */
    private volatile boolean pending;
    /** The newest view every member of which reported itself fully replicated in it. */
    private volatile long wholeEpoch;
    /** Marks, by nominal home. */
    private final Map<Integer, Mark> marks = new ConcurrentHashMap<>();
    /** Per set, per nominal home (0: every home): the epoch as of which an operator cleared it. */
    private final Map<Long, Map<Integer, Long>> cleared = new ConcurrentHashMap<>();

    CrashLedger(Coherence node) {
        this.node = node;
    }

    /**
     * A view is installed: who left it without leaving in order crashed, and
     * every home whose acting home was one of them is marked if more than one
     * crash is unrecovered. Before any range is rebuilt. Row R27.
     */
    void departed(View previous, View current) {
        View.Member was = previous.members().get(node.self);
        View.Member is = current.members().get(node.self);
        if (was == null || is == null || was.incarnation() != is.incarnation()) {
            // Not a member of both as this incarnation: a restarted node's first view after one from its stored
            // state showed every other node "departed" (newer incarnations), and marked every home (the nemesis).
            return;
        }
        Map<Integer, Long> witnesses = new TreeMap<>();
        current.members().forEach((id, m) -> witnesses.put(id, m.incarnation()));
        java.util.Set<Integer> crashed = new java.util.TreeSet<>();
        for (Map.Entry<Integer, View.Member> gone : current.departedSince(previous).entrySet()) {
            View.Member m = gone.getValue();
            if (m.node() == node.self) {
                continue;
            }
            // Counted either way until recovered from: a node that left in order handed over what it owned,
            // but the backups it kept for others are gone until their owners back them up again.
            unrecovered.add(new Crash(m.node(), m.incarnation(), current.epoch(), Map.copyOf(witnesses)));
            if (leftInOrder.remove(m.node() + ":" + m.incarnation())) {
                LOG.debug("node {} left in order: its records were handed over", m.node());
            } else {
                crashed.add(m.node());
            }
        }
        int k = crashed.isEmpty() ? 0 : unrecovered();
        if (k < 2) {
            return;
        }
        Mark mark = new Mark(current.epoch(), k, describe());
        java.util.List<Integer> moved = new ArrayList<>();
        for (int home = 1; home <= 255; home++) {
            // (also when the same id acts again: a node restarted in place lost its records too)
            if (crashed.contains(acting(previous, home))) {
                marks.merge(home, mark, Mark::merge);
                moved.add(home);
            }
        }
        LOG.warn("node {}: {} crashes the cluster has not recovered from ({}); the homes {} moved: in the sets "
                + "whose families keep fewer than {} backups, an object nobody holds there may have been lost, and "
                + "is not made anew until an operator runs kddm:lost --clear", node.self, k, mark.who(),
                ranges(moved), k);
    }

    /**
     * A member whose claims a rebuild of home {@code nominal} awaited died (R18):
     * what it held is not in the records. With more than one crash unrecovered,
     * the home is marked as if its acting home had crashed. Row R27.
     */
    void claimsLost(int nominal, int member) {
        int k = unrecovered();
        if (k >= 2) {
            marks.merge(nominal, new Mark(node.view.epoch(), k, describe()), Mark::merge);
            LOG.warn("node {}: node {} died before it said what it holds of home {}, with {} crashes unrecovered ({}): "
                    + "home {} is marked", node.self, member, nominal, k, describe(), nominal);
        }
    }

    /** The acting home of a memory family's objects homed on {@code home} (R14), without a set. */
    private static int acting(View v, int home) {
        if (v.members().isEmpty() || v.members().containsKey(home)) {
            return home;
        }
        java.util.SortedMap<Integer, View.Member> after = v.members().tailMap(home + 1);
        return after.isEmpty() ? v.members().firstKey() : after.firstKey();
    }

    private static String ranges(List<Integer> homes) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < homes.size(); i++) {
            int j = i;
            while (j + 1 < homes.size() && homes.get(j + 1) == homes.get(j) + 1) {
                j++;
            }
            b.append(b.length() == 0 ? "" : ",").append(homes.get(i)).append(j > i ? "-" + homes.get(j) : "");
            i = j;
        }
        return b.toString();
    }

    /**
     * The crashes not recovered from: some member of the view that took the node
     * out has not reported itself fully replicated in that view or a later one
     * (nor left in order since), and not every member of the view installed here
     * has in this one (which covers every crash before it: a witness that died or
     * restarted before it reported would otherwise keep a crash counted for ever).
     */
    int unrecovered() {
        long whole = wholeEpoch;
        unrecovered.removeIf(c -> c.epoch() <= whole || recovered(c));
        // Distinct nodes, not incarnations: when the cluster last recovered, every object had its N + 1 copies on
        // N + 1 distinct nodes, and each of those must have departed for it to be lost; a node that restarts, or
        // is cut off again right after it rejoined, counts once (the nemesis's cut counted one node three times).
        int k = (int) unrecovered.stream().mapToInt(Crash::node).distinct().count();
        if (k > 0) {
            pending = true;
        } else if (pending) {
            pending = false;
            LOG.info("node {}: every departure is recovered from (view {})", node.self, node.view.epoch());
        }
        return k;
    }

    /** After a report: if every member of the view installed here reported in it, it is the newest whole one. */
    private void checkWhole() {
        View v = node.view;
        if (v.epoch() > wholeEpoch && v.members().values().stream()
                .allMatch(m -> reported(m.node(), m.incarnation(), v.epoch()))) {
            wholeEpoch = v.epoch();
        }
        if (pending) {
            unrecovered(); // (logs when none is left)
        }
    }

    private boolean reported(int member, long incarnation, long epoch) {
        long[] r = replicated.get(member);
        return r != null && r[0] == incarnation && r[1] >= epoch;
    }

    private boolean recovered(Crash c) {
        for (Map.Entry<Integer, Long> w : c.witnesses().entrySet()) {
            if (!reported(w.getKey(), w.getValue(), c.epoch())) {
                return false; // (a witness that left since keeps it counted until a later view is whole)
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
        String why = notReplicated();
        if (why != null || node.view.epoch() != epoch) {
            if (attempt == 20) { // (some 10 s: a crash stays counted meanwhile)
                LOG.info("node {} is not fully replicated in view {} yet: {}", node.self, epoch, why);
            }
            if (why != null && why.endsWith("under-replicated") && attempt % 5 == 0) {
                // R12 again: a backup that failed (its target paused, or leaving) was otherwise sent anew only
                // at the next departure, and this node's crash count stayed up until then (the nemesis: its
                // rounds came faster, and three pauses in a row marked homes that had lost nothing).
                node.replication.reReplicateSoon();
            }
            node.later(() -> reportWhenReplicated(epoch, attempt + 1), Math.min(1000, 50L * attempt));
            return;
        }
        View.Member me = v.members().get(node.self);
        replicated.merge(node.self, new long[] {me.incarnation(), epoch}, CrashLedger::newer);
        checkWhole();
        for (int m : node.replication.members()) {
            if (m != node.self) {
                tellReplicated(m, epoch, 1);
            }
        }
    }

    /** REPLICATED, the epoch checked in its bytes (the header's is the view when sent); asked again if lost. */
    private void tellReplicated(int to, long epoch, int attempt) {
        send(to, REPLICATED, 0, 0, java.nio.ByteBuffer.allocate(8).putLong(epoch).array()).whenComplete((r, failed) -> {
            if (failed != null && node.view.epoch() == epoch && node.inView(to) && attempt < 20) {
                node.later(() -> tellReplicated(to, epoch, attempt + 1), 500); // (a paused or cut member)
            }
        });
    }

    /**
     * Nothing here is being rebuilt or taken over, every object owned here has
     * its backups, and no backup here is of an owner gone from the view that no
     * home has taken over yet (it may be the last copy: the set may not even be
     * open at its acting home, which then never rebuilt it).
     */
    private boolean fullyReplicated() {
        return notReplicated() == null;
    }

    /** Why this node is not fully replicated (for the log); null if it is. */
    private String notReplicated() {
        String[] orphan = {null};
        node.replication.store.forEachBackup((setId, objectId, b) -> {
            if (!node.inView(b.owner())) {
                orphan[0] = "a backup of object " + objectId + " of set " + SetIds.format(setId) + " from node "
                        + b.owner() + ", gone";
                resolve(setId, objectId, b);
            }
        });
        if (orphan[0] != null) {
            return orphan[0];
        }
        for (SetState s : node.allSets()) {
            if (!s.rebuilding.isEmpty()) {
                return "set " + SetIds.format(s.id) + " rebuilds homes " + s.rebuilding.keySet();
            }
            for (ManagerEntry me : s.managed.values()) {
                if (me.recovering != null) {
                    return "object " + me.objectId + " of set " + SetIds.format(s.id) + " is taken over";
                }
            }
        }
        int under = node.replication.underReplicatedCount();
        return under == 0 ? null : under + " objects owned here under-replicated";
    }

    /**
     * A backup whose owner left: its acting home is asked who owns the object
     * now (a set not open here is opened first: if this node acts for it, that
     * rebuilds it); a live owner is recorded with the backup.
     */
    private void resolve(long setId, long objectId, BackupStore.Backup b) {
        node.workers.execute(() -> {
            SetState s = node.known(setId);
            if (s == null) {
                return; // not claimable here: the backup stays unresolved, the crash counted (conservative)
            }
            int acting;
            try {
                acting = node.home(s, objectId);
            } catch (RuntimeException unknownFamily) {
                return;
            }
            if (acting == node.self) {
                bind(s, objectId, b, node.home.whoOwns(s, objectId));
                return;
            }
            node.transport.request(acting, Kind.WHO_OWNS.type(), node.outbox.request(setId, objectId, node.self, 0,
                    null), node.operationTimeout()).whenComplete((owner, failed) -> {
                        if (failed == null) {
                            bind(s, objectId, b, owner);
                        }
                    });
        });
    }

    private void bind(SetState s, long objectId, BackupStore.Backup b, byte[] owner) {
        if (owner.length == 1 && node.inView(Byte.toUnsignedInt(owner[0]))) {
            node.replication.store.rebind(s.id, objectId, b.version(), Byte.toUnsignedInt(owner[0]));
        }
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

    private String describe() {
        StringBuilder b = new StringBuilder();
        for (Crash c : unrecovered) {
            b.append(b.length() == 0 ? "" : ", ").append("node ").append(c.node()).append(" in view ").append(c.epoch());
        }
        return b.toString();
    }

    /**
     * Why a first touch of an object of the set homed on {@code nominal} must not
     * make it anew (R27); null if it may: no mark of more crashes than the set's
     * backups since an operator last cleared it.
     */
    String uncertainty(SetState s, int nominal) {
        Mark m = marks.get(nominal);
        if (m == null || m.crashes() <= node.replication.backups(s) || m.epoch() <= clearedAt(s.id, nominal)
                || !node.replication.homesMove(s) || node.stores.replicated(s)) {
            return null; // (a disk-backed object is read from its store, H3: nothing is made anew)
        }
        return m.crashes() + " nodes crashed (" + m.who() + ") before the cluster had restored the backups "
                + "of every object, and the acting home of home " + nominal + " was one of them (view " + m.epoch() + ")";
    }

    /** The epoch as of which an operator cleared the set in home {@code nominal}'s range; 0: never. */
    long clearedAt(long setId, int nominal) {
        Map<Integer, Long> c = cleared.get(setId);
        return c == null ? 0 : Math.max(c.getOrDefault(nominal, 0L), c.getOrDefault(0, 0L));
    }

    /** Whether an object of the set homed on {@code nominal}, found lost in view {@code epoch}, was cleared since. */
    boolean clearedSince(long setId, int nominal, long epoch) {
        return epoch <= clearedAt(setId, nominal);
    }

    /** Every mark known here: nominal home, then what it says. */
    Map<Integer, Mark> marks() {
        return new TreeMap<>(marks);
    }

    /** The sets cleared here: set, then home (0: every home), then as of which epoch. */
    Map<Long, Map<Integer, Long>> clears() {
        Map<Long, Map<Integer, Long>> out = new TreeMap<>();
        cleared.forEach((set, homes) -> out.put(set, new TreeMap<>(homes)));
        return out;
    }

    /**
     * An operator accepts what was lost of the set in home {@code nominal}'s range
     * (0: every home), as of the view installed here, on every member. Row R28.
     */
    void clear(long setId, int nominal) {
        long epoch = node.view.epoch();
        clearAt(setId, nominal, epoch);
        forgetLost(setId, nominal);
        for (int m : node.replication.members()) {
            if (m != node.self) {
                send(m, CLEARED, setId, nominal, java.nio.ByteBuffer.allocate(8).putLong(epoch).array());
            }
        }
    }

    /** The home entries here of the set's objects homed on {@code nominal} (0: all) found lost may be made anew. */
    private void forgetLost(long setId, int nominal) {
        SetState s = node.set(setId);
        if (s == null) {
            return;
        }
        for (ManagerEntry me : s.managed.values()) {
            synchronized (me) {
                if (me.lost != null && (nominal == 0 || home(s, me.objectId) == nominal)) {
                    me.lost = null;
                    node.home.resume(s, me);
                }
            }
        }
    }

    private int home(SetState s, long objectId) {
        try {
            return node.calls.home(s, objectId);
        } catch (RuntimeException unknownFamily) {
            return -1;
        }
    }

    private void clearAt(long setId, int nominal, long epoch) {
        cleared.computeIfAbsent(setId, id -> new ConcurrentHashMap<>()).merge(nominal, epoch, Math::max);
    }

    /** What a CLAIMS reply for the set's home {@code nominal} says of it here: its mark and its clear, if any. */
    void claims(long setId, int nominal, java.io.ByteArrayOutputStream out) {
        Mark m = marks.get(nominal);
        if (m != null) {
            byte[] who = m.who().getBytes(StandardCharsets.UTF_8);
            out.writeBytes(java.nio.ByteBuffer.allocate(8 + 4 + 12 + who.length).putLong(MARK_CLAIM)
                    .putInt(12 + who.length).putLong(m.epoch()).putInt(m.crashes()).put(who).array());
        }
        long at = clearedAt(setId, nominal);
        if (at > 0) {
            out.writeBytes(java.nio.ByteBuffer.allocate(20).putLong(CLEARED_CLAIM).putInt(8).putLong(at).array());
        }
    }

    /** A CLAIMS entry of a mark or a clear ({@code kind}), read from {@code b}: merged here. */
    void claimed(long setId, int nominal, long kind, java.nio.ByteBuffer b) {
        int length = b.getInt();
        int end = b.position() + length;
        if (kind == MARK_CLAIM) {
            long epoch = b.getLong();
            int crashes = b.getInt();
            byte[] who = new byte[end - b.position()];
            b.get(who);
            marks.merge(nominal, new Mark(epoch, crashes, new String(who, StandardCharsets.UTF_8)), Mark::merge);
        } else {
            clearAt(setId, nominal, b.getLong());
        }
        b.position(end);
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
                if (member != null && m.bytes().length == 8) {
                    long epoch = java.nio.ByteBuffer.wrap(m.bytes()).getLong();
                    replicated.merge(sender, new long[] {member.incarnation(), epoch}, CrashLedger::newer);
                    checkWhole();
                }
            }
            case LOST -> node.lostObjects.told(m);
            case CLEARED -> {
                clearAt(m.setId(), m.node(), m.bytes().length == 8 ? java.nio.ByteBuffer.wrap(m.bytes()).getLong()
                        : m.epoch());
                forgetLost(m.setId(), m.node());
                LOG.info("node {} cleared home {} of set {}: its objects nobody holds may be made anew", sender,
                        m.node() == 0 ? "(every)" : m.node(), SetIds.format(m.setId()));
            }
            default -> {
                in.fail("LEDGER of unknown kind " + m.count());
                return;
            }
        }
        in.reply(Wire.EMPTY);
    }

    private java.util.concurrent.CompletableFuture<byte[]> send(int to, int kind, long setId, int nominal, byte[] bytes) {
        var answer = node.transport.request(to, Kind.LEDGER.type(), node.outbox.request(setId, 0, nominal, kind,
                bytes), node.operationTimeout());
        answer.whenComplete((reply, failure) -> {
            if (failure != null) {
                LOG.debug("LEDGER {} to node {} failed: {}", kind, to, failure.toString());
            }
        });
        return answer;
    }
}
