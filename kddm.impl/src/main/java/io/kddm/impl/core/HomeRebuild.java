package io.kddm.impl.core;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.View;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.SetIds;
import io.kddm.api.transport.Inbound;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * Homes that move (issue 14, slice 2), for families with backups: when the
 * view changes the node acting for a home's objects ({@link Coherence#actingHome}),
 * the new acting home asks every member what it holds of those objects
 * (CLAIMS, one batch per set and home) and rebuilds its records from the
 * answers before it serves any of them, as Ceph's peering: a live owner stays
 * owner, else the newest surviving version becomes the object here. The old
 * acting home, if alive, forgets its records. Rows R16-R18.
 */
final class HomeRebuild {
    private static final Logger LOG = LoggerFactory.getLogger(HomeRebuild.class);

    /** One home's objects being rebuilt here. Guarded by itself. */
    static final class Range {
        final int nominal;
        final long started = System.nanoTime();
        final Set<Integer> awaiting = new HashSet<>();
        final Map<Long, Claims> objects = new HashMap<>();
        /** Home messages for its objects that came meanwhile, replayed in order once it is rebuilt. */
        final java.util.List<Runnable> deferred = new java.util.ArrayList<>();
        boolean done;
        /**
         * One caller makes the records: the last two claims can come at once on two
         * threads, and each saw no claim awaited; a second pass, late, promoted the
         * claimed version again over what had been put since (two owners).
         */
        boolean finishing;

        Range(int nominal) {
            this.nominal = nominal;
        }

        /** It is rebuilt (or asked again): what was deferred, to run now; nothing is deferred any more. */
        synchronized java.util.List<Runnable> drain() {
            done = true;
            java.util.List<Runnable> out = java.util.List.copyOf(deferred);
            deferred.clear();
            return out;
        }
    }

    /** What the members hold of one object. */
    static final class Claims {
        int owner;
        Version best = Version.NONE;
        byte[] bestWire;
        /** A member knows the object was found lost (R29): why, and in which view. */
        String lost;
        long lostEpoch;
        /** The newest version a member says the object was removed at (R30). */
        Version floor = Version.NONE;
        final Set<Integer> copies = new TreeSet<>();
    }

    private final Coherence node;

    HomeRebuild(Coherence node) {
        this.node = node;
    }

    /**
     * A new view is installed here ({@code joined}: this node was not a member
     * before): ranges this node now acts for are rebuilt, ranges it no longer
     * acts for are forgotten. Under the admission lock. Row R16.
     */
    void homesMoved(View previous, View current, boolean joined) {
        joined |= previous.epoch() == 0 || !previous.members().containsKey(node.self);
        for (SetState s : node.allSets()) {
            if (!node.replication.homesMove(s)) {
                continue;
            }
            Set<Integer> candidates = new TreeSet<>(s.nodes);
            candidates.addAll(previous.members().keySet());
            candidates.addAll(current.members().keySet());
            candidates.addAll(s.actingFor); // (homes this node learned of only when asked for their objects: R21)
            for (int nominal : candidates) {
                boolean was = !joined && node.actingHome(previous, s, nominal) == node.self;
                boolean now = node.actingHome(current, s, nominal) == node.self;
                if (now && !was) {
                    synchronized (s) {
                        s.managed.values().removeIf(me -> inRange(s, me.objectId, nominal)); // from an earlier time
                        start(s, nominal);
                    }
                } else if (was && !now) {
                    forget(s, nominal);
                } else if (now) {
                    healFromJoined(s, nominal, previous, current);
                }
            }
        }
    }

    /**
     * A set with backups opened here once views are agreed: its ranges acted for
     * here are rebuilt (a well-known set may hold objects elsewhere already). What
     * requests recorded since it opened is kept, and completed by the claims.
     */
    void opened(SetState s) {
        for (Range r : List.copyOf(s.rebuilding.values())) {
            ask(s, r);
        }
    }

    /**
     * Before a set is seen by anyone here: its ranges this node acts for are
     * marked rebuilding, so that no request is served before the claims are in.
     */
    void gate(SetState s) {
        View v = node.view;
        if (v.epoch() == 0 || !node.replication.homesMove(s)) {
            return;
        }
        Set<Integer> candidates = new TreeSet<>(s.nodes);
        candidates.addAll(v.members().keySet());
        for (int nominal : candidates) {
            if (node.actingHome(v, s, nominal) == node.self) {
                synchronized (s) {
                    s.rebuilding.put(nominal, range(nominal));
                    s.actingFor.add(nominal);
                }
            }
        }
    }

    /**
     * A home message for an object of a range being rebuilt here: kept, and run
     * once it is rebuilt, in the order they came (a REMOVED must not be undone by
     * the claims). False if the range is not being rebuilt.
     */
    boolean defer(SetState s, long objectId, Runnable message) {
        int nominal = node.calls.home(s, objectId);
        if (!s.actingFor.contains(nominal) && node.view.epoch() != 0) {
            synchronized (s) {
                if (!s.actingFor.contains(nominal) && node.actingHome(node.view, s, nominal) == node.self) {
                    // R21: a home this node acts for in this view but did not know of when the view came (it
                    // joined after that home left): its records are rebuilt from the claims before it serves.
                    s.managed.values().removeIf(me -> inRange(s, me.objectId, nominal));
                    start(s, nominal);
                }
            }
        }
        if (s.rebuilding.isEmpty()) {
            return false;
        }
        Range r = s.rebuilding.get(nominal);
        if (r == null) {
            return false;
        }
        synchronized (r) {
            if (r.done) {
                return false;
            }
            r.deferred.add(message);
            return true;
        }
    }

    private boolean inRange(SetState s, long objectId, int nominal) {
        try {
            return node.calls.home(s, objectId) == nominal;
        } catch (KddmException unknownFamily) {
            return false;
        }
    }

    private void forget(SetState s, int nominal) {
        synchronized (s) {
            s.actingFor.remove(nominal);
            s.rebuilding.remove(nominal);
            s.healedBy.remove(nominal);
            s.managed.values().removeIf(me -> inRange(s, me.objectId, nominal));
        }
        LOG.debug("node {} no longer acts as home {} of set {}: its records are forgotten", node.self, nominal,
                SetIds.format(s.id));
    }

    private Range range(int nominal) {
        Range r = new Range(nominal);
        for (int m : node.replication.members()) {
            r.awaiting.add(m);
        }
        r.awaiting.add(node.self);
        return r;
    }

    private void start(SetState s, int nominal) {
        s.healedBy.put(nominal, java.util.concurrent.ConcurrentHashMap.newKeySet());
        Range r = range(nominal);
        Range was = s.rebuilding.put(nominal, r);
        s.actingFor.add(nominal); // after: whoever sees it acted for here finds the range gated
        if (was != null) {
            r.deferred.addAll(was.drain()); // asked again: what waited for the first round waits for this one
        }
        ask(s, r);
    }

    private void ask(SetState s, Range r) {
        Set<Integer> members;
        synchronized (r) {
            members = Set.copyOf(r.awaiting);
        }
        LOG.debug("node {} acts as home {} of set {}: asking nodes {} what they hold of its objects", node.self,
                r.nominal, SetIds.format(s.id), members); // (at every set opened, too: info once it is known)
        for (int m : members) {
            if (m != node.self) {
                ask(s, r, m);
            }
        }
        askSelf(s, r);
    }

    private void askSelf(SetState s, Range r) {
        try {
            claimed(s, r, node.self, claimsOf(s.id, r.nominal));
        } catch (RuntimeException linkerAway) {
            LOG.warn("home {} of set {}: this node's own claims cannot be made now ({}): tried again", r.nominal,
                    SetIds.format(s.id), linkerAway.toString());
            node.later(() -> {
                if (s.rebuilding.get(r.nominal) == r) {
                    askSelf(s, r);
                }
            }, 200);
        }
    }

    private void ask(SetState s, Range r, int to) {
        node.transport.request(to, Kind.CLAIMS.type(), node.outbox.request(s.id, 0, r.nominal, 0, null),
                node.operationTimeout()).whenComplete((bytes, failure) -> {
                    if (s.rebuilding.get(r.nominal) != r) {
                        return;
                    }
                    if (failure == null) {
                        claimed(s, r, to, bytes);
                    } else if (node.linkers.isUp(to)) {
                        node.later(() -> {
                            if (s.rebuilding.get(r.nominal) == r) {
                                ask(s, r, to);
                            }
                        }, 50);
                    } else {
                        memberDown(s, to);
                    }
                });
    }

    /** A member died: its claims will not come. Row R18. */
    void memberDown(SetState s, int down) {
        for (Range r : List.copyOf(s.rebuilding.values())) {
            boolean removed;
            boolean claimedOwnership;
            synchronized (r) {
                removed = r.awaiting.remove(down);
                claimedOwnership = r.objects.values().stream().anyMatch(c -> c.owner == down);
            }
            if (removed) {
                node.ledger.claimsLost(r.nominal, down); // R27: what it held is missing from the records
            }
            if (claimedOwnership) {
                // It owned objects, and may have put them since the others answered: everyone is asked again.
                start(s, r.nominal);
            } else if (removed) {
                finishIfComplete(s, r);
            }
        }
    }

    /**
     * This node keeps acting for {@code nominal}'s objects: a store node of them
     * that left the view is no longer counted as having healed it, and one that
     * joined is asked to (its CLAIMS, as S5, the claims themselves known), and
     * counted once it did (S14): alone, or with nodes that lacked them, this
     * node could lack stores a majority acknowledged while it was away.
     */
    private void healFromJoined(SetState s, int nominal, View previous, View current) {
        java.util.Set<Integer> healed = s.healedBy.get(nominal);
        if (healed == null || !node.stores.replicated(s)) {
            return;
        }
        healed.retainAll(current.members().keySet());
        for (int n : node.stores.group(s, nominal)) {
            if (n != node.self && current.members().containsKey(n) && !previous.members().containsKey(n)) {
                askHeal(s, nominal, n, current.epoch());
            }
        }
    }

    private void askHeal(SetState s, int nominal, int to, long epoch) {
        node.transport.request(to, Kind.CLAIMS.type(), node.outbox.request(s.id, 0, nominal, 0, null),
                node.operationTimeout()).whenComplete((bytes, failure) -> {
                    java.util.Set<Integer> healed = s.healedBy.get(nominal);
                    if (healed == null || node.view.epoch() != epoch && !node.inView(to)) {
                        return; // (no longer acting, or it left again: asked again when it is back)
                    }
                    if (failure == null) {
                        healed.add(to);
                    } else if (node.inView(to) && node.linkers.isUp(to)) {
                        node.later(() -> askHeal(s, nominal, to, epoch), 50);
                    }
                });
    }

    private void claimed(SetState s, Range r, int from, byte[] bytes) {
        java.util.Set<Integer> healedBy = s.healedBy.get(r.nominal);
        if (healedBy != null && s.rebuilding.get(r.nominal) == r) {
            healedBy.add(from); // (S5 ran there before the reply)
        }
        synchronized (r) {
            if (!r.awaiting.contains(from)) {
                return;
            }
            try {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    long objectId = b.getLong();
                    if (objectId == CrashLedger.MARK_CLAIM || objectId == CrashLedger.CLEARED_CLAIM) {
                        node.ledger.claimed(s.id, r.nominal, objectId, b); // R27: what the members know of it
                        continue;
                    }
                    Claims c = r.objects.computeIfAbsent(objectId, id -> new Claims());
                    int end = b.getInt() + b.position();
                    while (b.position() < end) {
                        byte kind = b.get();
                        Version v = Version.get(b);
                        byte[] wire = new byte[b.getInt()];
                        b.get(wire);
                        if (kind == OwnerFailover.OWNER) {
                            c.owner = from;
                        } else if (kind == OwnerFailover.LOST) {
                            c.lost = new String(wire, java.nio.charset.StandardCharsets.UTF_8);
                            c.lostEpoch = Math.max(c.lostEpoch, v.epoch());
                        } else if (kind == OwnerFailover.REMOVED) {
                            c.floor = c.floor.newest(v);
                        } else {
                            if (kind == OwnerFailover.COPY) {
                                c.copies.add(from);
                            }
                            if (c.bestWire == null || v.newerThan(c.best)) {
                                c.best = v;
                                c.bestWire = wire;
                            }
                        }
                    }
                }
            } catch (RuntimeException malformed) {
                LOG.error("malformed CLAIMS reply from node {} for home {} of set {}: {}: taken as none", from,
                        r.nominal, SetIds.format(s.id), malformed.toString());
            }
            r.awaiting.remove(from);
        }
        finishIfComplete(s, r);
    }

    /** Every member answered: the records of the range are made, and what waited for them is served. Row R17. */
    private void finishIfComplete(SetState s, Range r) {
        synchronized (r) {
            if (!r.awaiting.isEmpty() || s.rebuilding.get(r.nominal) != r || r.finishing) {
                return;
            }
            r.finishing = true;
        }
        if (s.destroyed || node.actingHome(node.view, s, r.nominal) != node.self) {
            s.rebuilding.remove(r.nominal, r); // the set went, or another view moved the home on meanwhile
            return;
        }
        Map<Long, byte[]> values = new HashMap<>();
        Map<Long, Version> fromStore = new HashMap<>(); // (the claims stay as they came: a retry decides anew)
        try {
            for (Map.Entry<Long, Claims> o : r.objects.entrySet()) {
                Claims c = o.getValue();
                if (c.bestWire != null && !c.best.newerThan(c.floor)) {
                    c.bestWire = null; // R30: a backup of a value removed since (a drop missed it), not promoted
                }
                if (c.owner != 0 || c.bestWire == null) {
                    continue;
                }
                if (!c.best.newerThan(node.stores.storedHere(s, o.getKey()))) {
                    // R31: the store here (healed, S5) has this value or a newer one; read copies of it are put in
                    // the copyset of the store's value, so that the next grab invalidates them
                    if (!c.copies.isEmpty()) {
                        try {
                            StoreReplicas.Touched t = node.stores.firstTouch(s, o.getKey(), c.floor);
                            values.put(o.getKey(), t.value());
                            fromStore.put(o.getKey(), t.version());
                        } catch (RuntimeException unreadable) {
                            // (one object the store cannot give now must not hold the whole range: its next
                            // request reads the store, and fails there as it would have)
                            LOG.error("home {} of set {}: object {} cannot be read from the store here ({}): its read "
                                    + "copies on {} are not recorded", r.nominal, SetIds.format(s.id), o.getKey(),
                                    unreadable.toString(), c.copies);
                        }
                    }
                } else {
                    values.put(o.getKey(), node.calls.importValue(s, o.getKey(), c.bestWire));
                }
            }
        } catch (RuntimeException linkerAway) {
            LOG.warn("home {} of set {}: copies cannot be read now ({}): tried again", r.nominal, SetIds.format(s.id),
                    linkerAway.toString());
            synchronized (r) {
                r.finishing = false;
            }
            node.later(() -> finishIfComplete(s, r), 200);
            return;
        }
        int owned = 0;
        int promoted = 0;
        for (Map.Entry<Long, Claims> o : r.objects.entrySet()) {
            Claims c = o.getValue();
            ManagerEntry me = s.managerEntry(o.getKey());
            synchronized (me) {
                me.floor = me.floor.newest(c.floor); // R30: the next first touch makes a version above it
                if (c.owner != 0 && node.inView(c.owner)) {
                    me.owner = c.owner;
                    owned++;
                } else if (c.lost != null && !node.ledger.clearedSince(s.id, r.nominal, c.lostEpoch)) {
                    // R29: found lost before; a copy left somewhere is older than what was lost
                    me.lost = c.lost;
                    me.owner = 0;
                    node.lostObjects.lost(s, o.getKey(), c.lost);
                } else if (values.containsKey(o.getKey())) {
                    Version stored = fromStore.get(o.getKey());
                    node.failover.promote(s, me, stored != null ? stored : c.best, values.get(o.getKey()), c.copies,
                            stored != null);
                    if (stored == null) {
                        node.stats.failovers.increment();
                        promoted++;
                    }
                }
            }
        }
        // Not gated from here on (a message now is handled at once), then what waited runs, then every queue.
        s.rebuilding.remove(r.nominal, r);
        java.util.List<Runnable> waited = r.drain();
        for (Runnable message : waited) {
            try {
                message.run();
            } catch (RuntimeException ex) {
                LOG.error("a home message deferred during the rebuild of home {} failed", r.nominal, ex);
            }
        }
        if (r.objects.isEmpty()) { // a set opened here, or a range nobody held anything of: routine
            LOG.debug("node {} acts as home {} of set {}: nothing held elsewhere ({} ms)", node.self, r.nominal,
                    SetIds.format(s.id), (System.nanoTime() - r.started) / 1_000_000);
        } else {
            LOG.info("node {} acts as home {} of set {}: {} objects rebuilt ({} with a live owner, {} taken over) in {} "
                    + "ms", node.self, r.nominal, SetIds.format(s.id), r.objects.size(), owned, promoted,
                    (System.nanoTime() - r.started) / 1_000_000);
        }
        node.stats.homeRebuilds.increment();
        for (ManagerEntry me : s.managed.values()) {
            node.home.resume(s, me);
        }
        node.heals.rebuilt(s); // S4: healed first (S5), this home heals the others of what they missed
    }

    /** CLAIMS at a member: what it holds of every object of the set whose home is {@code node}. Row R16. */
    void onClaims(Inbound in, Message m) {
        int asker = in.sender();
        node.workers.execute(() -> {
            try {
                // S5: what the asker missed of the set's replicated store is stored there before it serves
                node.heals.healBeforeClaims(m.setId(), asker, m.node());
                in.reply(claimsOf(m.setId(), m.node()));
            } catch (RuntimeException ex) {
                in.fail(ex.toString());
            }
        });
    }

    private byte[] claimsOf(long setId, int nominal) {
        SetState s = node.set(setId);
        Set<Long> ids = new TreeSet<>();
        if (s != null) {
            for (ObjectEntry e : s.objects.values()) {
                if (inRange(s, e.objectId, nominal)) {
                    ids.add(e.objectId);
                }
            }
            node.replication.store.forEach(setId, id -> {
                if (inRange(s, id, nominal)) {
                    ids.add(id);
                }
            });
            node.replication.store.forEachRemoved(setId, id -> {
                if (inRange(s, id, nominal)) {
                    ids.add(id);
                }
            });
        }
        Map<Long, byte[]> lost = node.lostObjects.lostIn(setId, nominal); // R29: (known here even of a set not open)
        ids.addAll(lost.keySet());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        node.ledger.claims(setId, nominal, out); // R27: the next acting home inherits the mark, and the clear
        for (long id : ids) {
            byte[] claims = node.failover.claims(setId, id);
            if (lost.containsKey(id)) {
                claims = java.util.Arrays.copyOf(claims, claims.length + lost.get(id).length);
                System.arraycopy(lost.get(id), 0, claims, claims.length - lost.get(id).length, lost.get(id).length);
            }
            if (claims.length > 0) {
                out.writeBytes(ByteBuffer.allocate(12).putLong(id).putInt(claims.length).array());
                out.writeBytes(claims);
            }
        }
        return out.toByteArray();
    }
}
