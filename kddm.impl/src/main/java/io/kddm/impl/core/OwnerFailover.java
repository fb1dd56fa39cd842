package io.kddm.impl.core;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.SetIds;
import io.kddm.api.transport.Inbound;
import io.kddm.impl.core.ManagerEntry.Request;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * The owner of an object with backups died: its home asks every survivor what
 * it holds of the object (CLAIM), then makes the newest surviving version the
 * object (its own, as READ_OWNER, every read copy in its copyset), or keeps a
 * survivor that completed the ownership as owner, and serves the requests that
 * waited. An object is lost only when no survivor has any copy of it, and is
 * never made anew. Rows R5-R9.
 */
final class OwnerFailover {
    private static final Logger LOG = LoggerFactory.getLogger(OwnerFailover.class);
    /** What a survivor holds, in a CLAIM reply: each claim is kind, version, length, wire bytes. */
    static final byte OWNER = 1;
    static final byte INCOMING = 2;
    static final byte COPY = 3;
    static final byte BACKUP = 4;
    /** A claim that the object was found lost, and must stay so ({@code wire}: why, UTF-8; R29). */
    static final byte LOST = 5;
    /** A claim that the object was removed at this version (no bytes): no older copy may be promoted (R30). */
    static final byte REMOVED = 6;

    /** A home's recovery of one object: the survivors it waits for and the best claim so far. Guarded by the ManagerEntry. */
    static final class Recovery {
        final int dead;
        final long started = System.nanoTime();
        final Set<Integer> awaiting = new HashSet<>();
        Version best = Version.NONE;
        byte[] bestWire;
        final Set<Integer> copies = new TreeSet<>();
        /** The newest version a survivor says the object was removed at (R30). */
        Version floor = Version.NONE;
        /** A survivor that completed the ownership the dead node was handing it (0: none). */
        int owner;
        /** The request in flight when the owner died; it stays the home's current one until decided. */
        Request request;
        /** Its requester's claim shows it was served before the owner died: its DONE is on its way. */
        boolean requesterServed;

        Recovery(int dead) {
            this.dead = dead;
        }
    }

    private final Coherence node;

    OwnerFailover(Coherence node) {
        this.node = node;
    }

    /**
     * Holding the home entry's monitor: the owner {@code dead} died. Nothing is
     * served until every survivor has said what it holds. The request in flight
     * stays current meanwhile (its requester may have been served before the
     * owner died, and its DONE is then on its way), unless it was the dead
     * node's own, its requester is down, or it was a handoff or a write-back.
     * {@code alive}: {@code dead} answered NOT_OWNER (the home took it for the
     * owner): its own request stays, as dropped it would never be answered
     * (that node asks nobody else). A node that died is never {@code alive},
     * even back in the view as a new incarnation, which knows nothing of its
     * old incarnation's request. Row R5.
     */
    void begin(SetState s, ManagerEntry me, int dead, boolean alive) {
        Request r = me.current;
        if (r != null && (r.requester == dead && !alive || r.handoffFrom != 0 || r.writeBack
                || !node.linkers.isUp(r.requester))) {
            me.finish();
            r = null;
        }
        me.owner = 0;
        Recovery rec = new Recovery(dead);
        rec.request = r;
        me.recovering = rec;
        for (int m : node.replication.members()) {
            if (m != dead || node.linkers.isUp(m)) { // (a forward's NOT_OWNER: the node lives, and says what it has)
                rec.awaiting.add(m);
            }
        }
        LOG.info("home of object {} of set {}: its owner, node {}, died; asking nodes {} for their copies", me.objectId,
                SetIds.format(s.id), dead, rec.awaiting);
        for (int m : Set.copyOf(rec.awaiting)) {
            if (m != node.self) {
                ask(s, me, rec, m);
            }
        }
        if (rec.awaiting.contains(node.self)) {
            claimed(s, me, rec, node.self, claims(s.id, me.objectId));
        }
    }

    private void ask(SetState s, ManagerEntry me, Recovery rec, int to) {
        node.transport.request(to, Kind.CLAIM.type(), node.outbox.request(s.id, me.objectId, rec.dead, 0, null),
                node.operationTimeout()).whenComplete((bytes, failure) -> {
                    synchronized (me) {
                        if (me.recovering != rec || !rec.awaiting.contains(to)) {
                            return;
                        }
                        if (failure == null) {
                            claimed(s, me, rec, to, bytes);
                        } else if (node.linkers.isUp(to)) {
                            // Its claim may hold the only copy: ask until it answers or leaves the view.
                            LOG.debug("CLAIM of object {} at node {} failed ({}): asked again", me.objectId, to,
                                    failure.toString());
                            node.later(() -> {
                                synchronized (me) {
                                    if (me.recovering == rec && rec.awaiting.contains(to)) {
                                        ask(s, me, rec, to);
                                    }
                                }
                            }, 50);
                        } else {
                            survivorDown(s, me, to);
                        }
                    }
                });
    }

    /** Holding the monitor: another node died during the recovery: its claim will not come. Row R9. */
    void survivorDown(SetState s, ManagerEntry me, int down) {
        Recovery rec = me.recovering;
        if (rec != null && me.current != null && me.current.requester == down) {
            me.finish();
            rec.request = null;
        }
        if (rec == null) {
            return;
        }
        rec.copies.remove(down);
        if (rec.owner == down) {
            // It said it owns the object, then died: what it put since may be on backups that already
            // answered. Every member is asked again, as for the first death.
            me.recovering = null;
            begin(s, me, down, false);
            return;
        }
        if (rec.awaiting.remove(down)) {
            finishIfComplete(s, me, rec);
        }
    }

    /** Holding the monitor: one survivor's claims are in. Row R6. */
    private void claimed(SetState s, ManagerEntry me, Recovery rec, int from, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            while (b.hasRemaining()) {
                byte kind = b.get();
                Version v = Version.get(b);
                byte[] wire = new byte[b.getInt()];
                b.get(wire);
                Request r = rec.request;
                if (r != null && r.requester == from && (kind == OWNER || kind == COPY && !r.write)) {
                    rec.requesterServed = true;
                }
                switch (kind) {
                    case OWNER -> rec.owner = from;
                    case COPY -> {
                        rec.copies.add(from);
                        consider(rec, v, wire);
                    }
                    case INCOMING, BACKUP -> consider(rec, v, wire);
                    case REMOVED -> rec.floor = rec.floor.newest(v);
                    default -> throw new IllegalArgumentException("claim kind " + kind);
                }
            }
        } catch (RuntimeException malformed) {
            LOG.error("malformed CLAIM reply from node {} for object {}: {}: taken as no claim", from, me.objectId,
                    malformed.toString());
        }
        rec.awaiting.remove(from);
        finishIfComplete(s, me, rec);
    }

    private static void consider(Recovery rec, Version v, byte[] wire) {
        if (rec.bestWire == null || v.newerThan(rec.best)) {
            rec.best = v;
            rec.bestWire = wire;
        }
    }

    /** Holding the monitor: every survivor answered: the object's owner is decided, and the queue served. Rows R7, R8. */
    private void finishIfComplete(SetState s, ManagerEntry me, Recovery rec) {
        if (!rec.awaiting.isEmpty() || me.recovering != rec) {
            return;
        }
        if (s.destroyed || s.managed.get(me.objectId) != me || node.home(s, me.objectId) != node.self) {
            me.recovering = null; // the set was destroyed here, this node taken out, or it no longer acts as home
            return;
        }
        byte[] value = null;
        Version stored = null; // (set when the store had the newest copy's version or a newer one: R31)
        StoreReplicas.Touched fromStore = null;
        if (rec.bestWire != null && !rec.best.newerThan(rec.floor.newest(me.floor))) {
            rec.bestWire = null; // R30: a copy of a value removed since, not of what the dead owner held
        }
        if (rec.owner == 0 && rec.bestWire != null) {
            try {
                Version here = node.stores.storedHere(s, me.objectId);
                if (!rec.best.newerThan(here)) {
                    if (!rec.copies.isEmpty()) {
                        // read copies of it are left: the home owns the store's value with them in its copyset,
                        // so that the next grab invalidates them (read first: a failure is tried again, as it was)
                        fromStore = node.stores.firstTouch(s, me.objectId, rec.floor.newest(me.floor));
                    }
                    rec.bestWire = null; // R31: the store has this value or a newer one: it is read from there
                    stored = here;
                } else {
                    value = node.calls.importValue(s, me.objectId, rec.bestWire);
                }
            } catch (RuntimeException linkerAway) {
                LOG.warn("object {} of set {}: its newest copy cannot be read now ({}): tried again", me.objectId,
                        SetIds.format(s.id), linkerAway.toString());
                node.later(() -> {
                    synchronized (me) {
                        finishIfComplete(s, me, rec);
                    }
                }, 200);
                return;
            }
        }
        me.recovering = null;
        long ms = (System.nanoTime() - rec.started) / 1_000_000;
        if (rec.owner != 0) {
            me.owner = rec.owner; // it completed the transfer the dead node started: it has the newest value
            LOG.info("object {} of set {}: node {} completed the ownership node {} handed it before dying ({} ms)",
                    me.objectId, SetIds.format(s.id), rec.owner, rec.dead, ms);
        } else if (fromStore != null) {
            promote(s, me, fromStore.version(), fromStore.value(), rec.copies, true);
            LOG.info("object {} of set {}: its owner, node {}, died; its newest copy left, version {}, is no newer "
                    + "than its store's, version {}: served from there, with the read copies on {} ({} ms)",
                    me.objectId, SetIds.format(s.id), rec.dead, rec.best, stored, rec.copies, ms);
        } else if (value != null) {
            promote(s, me, rec.best, value, rec.copies, false);
            node.stats.failovers.increment();
            LOG.info("object {} of set {}: version {} promoted at its home, node {}, after its owner, node {}, died "
                    + "({} ms; read copies on {})", me.objectId, SetIds.format(s.id), rec.best, node.self, rec.dead, ms,
                    rec.copies);
        } else if (stored != null) {
            LOG.info("object {} of set {}: its owner, node {}, died; its newest copy left, version {}, is no newer "
                    + "than its store's, version {}: it is read again from there", me.objectId, SetIds.format(s.id),
                    rec.dead, rec.best, stored);
        } else if (node.calls.diskBacked(s)) {
            // R22: its store has what was last written back (a closed or synced file's pages): the next
            // request reads that. What the dead node changed since was seen by nobody alive (no copy).
            LOG.warn("object {} of set {}: its owner, node {}, died and no survivor holds a copy: it is read again "
                    + "from its store (changes not written back died with that node)", me.objectId,
                    SetIds.format(s.id), rec.dead);
        } else {
            node.home.markLost(s, me, rec.dead);
            node.stats.objectsLost.increment();
            LOG.error("object {} of set {} was lost with node {}: no survivor holds a copy or a backup", me.objectId,
                    SetIds.format(s.id), rec.dead);
        }
        Request r = rec.request;
        if (r != null && me.current == r && !rec.requesterServed) {
            me.finish(); // not served: it starts again, at the head of the queue
            r.forwardedTo = 0;
            me.queue.addFirst(r);
        }
        node.home.resume(s, me);
    }

    /**
     * Holding the home entry's monitor: this home becomes the owner of {@code value}
     * (imported already), version {@code best}, with the read copies.
     */
    void promote(SetState s, ManagerEntry me, Version best, byte[] value, Set<Integer> copies, boolean fromStore) {
        ObjectEntry e = s.entry(me.objectId);
        synchronized (e) {
            ObjectRecovery.abandonTransfer(e);
            node.eviction.hold(e, value);
            e.version = best;
            e.state = ObjectState.READ_OWNER;
            e.copyset.clear();
            copies.stream().filter(node::inView).forEach(e.copyset::add); // (one gone since would never ack)
            e.copyset.remove(node.self);
            e.invalidateAckTo = 0;
            e.backedUpOn = null; // its backups are wherever the dead owner put them: backed up again (R12)
            e.collectedFor = null; // a new owner: its first round collects (R23)
            e.writtenBack = fromStore ? best : Version.NONE;
            me.owner = node.self;
            node.object.serve(s, e);
        }
        node.replication.reReplicateSoon();
        if (!fromStore && node.calls.diskBacked(s)) {
            // R31: newer than its store (a change the dead node had not written back): stored now, so that it
            // outlives this node too, and its backups go (not on the workers: a rebuild of many objects would
            // hold them all, and the first touches and SYNCs that run there would wait)
            try {
                node.backupWorkers.execute(() -> {
                    try {
                        node.local.sync(s, me.objectId, false);
                    } catch (RuntimeException ex) {
                        LOG.warn("object {} of set {}: version {} taken over here and not written back yet: {}",
                                me.objectId, SetIds.format(s.id), best, ex.toString());
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                LOG.debug("object {}: not written back, this node stops", me.objectId);
            }
        }
    }

    /** CLAIM at a survivor: what it holds of the object. Row R6. */
    void onClaim(Inbound in, Message m) {
        in.reply(claims(m.setId(), m.objectId()));
    }

    /**
     * This node's claims on an object whose owner died: the ownership if it
     * completed it, else an incoming ownership (given up: the home decides now),
     * a read copy, and a backup.
     */
    byte[] claims(long setId, long objectId) {
        ByteBuffer out = ByteBuffer.allocate(0);
        SetState s = node.set(setId);
        ObjectEntry e = s == null ? null : s.objects.get(objectId);
        if (e != null) {
            synchronized (e) {
                if (e.voidedBy == null && e.incoming == null && e.state.owner()) {
                    out = claim(out, OWNER, e.version, Wire.EMPTY);
                } else if (e.voidedBy == null && e.incoming != null) {
                    out = claim(out, INCOMING, e.incomingVersion, node.calls.export(s, objectId, e.incoming));
                    ObjectRecovery.abandonTransfer(e); // its sender died: the acks it waits for may never come
                    node.object.serve(s, e);
                } else if (e.voidedBy == null && e.state == ObjectState.READ_COPY && e.value != null) {
                    out = claim(out, COPY, e.version, node.calls.export(s, e));
                }
            }
        }
        BackupStore.Backup b = node.replication.store.get(setId, objectId);
        if (b != null) {
            out = claim(out, BACKUP, b.version(), b.wire());
        }
        Version removed = node.replication.store.removedAt(setId, objectId);
        if (removed != null) {
            out = claim(out, REMOVED, removed, Wire.EMPTY);
        }
        return out.array();
    }

    private static ByteBuffer claim(ByteBuffer to, byte kind, Version v, byte[] wire) {
        ByteBuffer b = ByteBuffer.allocate(to.capacity() + 1 + Version.BYTES + 4 + wire.length);
        b.put(to.array()).put(kind);
        return v.put(b).putInt(wire.length).put(wire);
    }
}
