package io.kddm.impl.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.KddmException;
import io.kddm.api.set.SetIds;
import io.kddm.api.transport.Inbound;
import io.kddm.impl.core.ManagerEntry.Request;
import io.kddm.impl.core.ObjectEntry.Forward;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * The home's side of the protocol (IVY's fixed distributed manager): the record
 * of who owns each object homed here ({@link ManagerEntry}), and the requests
 * for it, served one at a time so that ownership never moves under a request
 * in flight. An object nobody owns is touched first at the requester, or here
 * for a disk-backed family, whose store is the home's.
 */
final class HomeSide {
    private static final Logger LOG = LoggerFactory.getLogger(HomeSide.class);

    private final Coherence node;

    HomeSide(Coherence node) {
        this.node = node;
    }

    /** SYNC: a holder of a disk-backed object asks its home to store it, or delete it: the store is the home's. Row H15. */
    void sync(Inbound in, Message m) {
        SetState s = node.known(m.setId());
        if (s == null) {
            in.fail("set " + SetIds.format(m.setId()) + " is unknown on node " + node.self);
            return;
        }
        long since = node.excludedAt; // S8: a store asked of this incarnation only
        node.workers.execute(() -> {
            try {
                LocalOperations.Store store = LocalOperations.Store.of(m.count() & ~StoreReplicas.VERSIONED);
                boolean versioned = (m.count() & StoreReplicas.VERSIONED) != 0;
                if (store == null || versioned && m.bytes().length < Version.BYTES) {
                    in.fail("SYNC of object " + m.objectId() + " is malformed: store kind " + m.count() + ", "
                            + m.bytes().length + " bytes");
                    return;
                }
                Wire.Versioned v = Wire.versioned(m.bytes(), versioned); // S16 (no version: S13's)
                node.stores.store(s, m.objectId(), store, v.value(), since, v.version()); // S1: and its store nodes
                in.reply(new byte[0]);
            } catch (RuntimeException ex) {
                in.fail(ex.toString());
            }
        });
    }

    /** A request (GET_REQ, GRAB_REQ, HANDOFF_REQ, WRITEBACK_REQ) joins the object's queue. Row H1. */
    void request(SetState s, long objectId, Request r) {
        ManagerEntry me = s.managerEntry(objectId);
        synchronized (me) {
            me.queue.add(r);
            if (me.current == null) {
                startNext(s, me);
            }
        }
    }

    /**
     * Starts queued requests until one is in flight. Called holding the home
     * entry's monitor. Rows H2, H4-H8, H14 (and H3 through {@link #touchAtHome}).
     */
    private void startNext(SetState s, ManagerEntry me) {
        if (!node.linkers.hasLease()) {
            return; // F14: a home without a lease serves nothing; the queue waits for it (F15) or the node's reset
        }
        if (me.recovering != null) {
            return; // R5: served once the survivors have said what they hold
        }
        if (!s.rebuilding.isEmpty() && s.rebuilding.containsKey(node.calls.home(s, me.objectId))) {
            return; // R16: served once the records of its home's objects are rebuilt here
        }
        if (node.replication.homesMove(s) && node.home(s, me.objectId) != node.self) {
            return; // R15: this node stopped acting for it (a view came meanwhile): its records are forgotten
        }
        while (me.current == null && me.recovering == null && !me.queue.isEmpty()) {
            Request r = me.queue.poll();
            if (!node.linkers.isUp(r.requester)) {
                continue;
            }
            if (node.leaving && r.requester != node.self) {
                // F1: this home stores what it homes and leaves; the requester asks again, and finds it gone.
                node.outbox.send(r.requester, Kind.UNKNOWN_SET, s.id, me.objectId, node.self, 0,
                        ("node " + node.self + ", the home of object " + me.objectId + ", is leaving the cluster")
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                continue;
            }
            if (me.lost != null) { // H14
                node.outbox.sendLost(r.requester, s.id, me.objectId, me.lost);
                continue;
            }
            if (me.owner == 0 && !r.writeBack && r.forwardedTo >= 0) {
                String uncertain = uncertain(s, me.objectId);
                if (uncertain != null) { // R27: nobody holds it, and it may have existed: not made anew
                    node.outbox.sendLost(r.requester, s.id, me.objectId, uncertain);
                    continue;
                }
            }
            if (r.writeBack) { // H8, or H7
                if (me.owner == r.requester) {
                    me.current = r;
                    r.forwardedTo = r.requester;
                    node.outbox.send(r.requester, Kind.FWD_WRITEBACK, s.id, me.objectId, node.self, 0, null);
                }
                continue; // or no longer its owner: nothing to write back
            }
            boolean handoff = r.forwardedTo < 0;
            if (handoff && -r.forwardedTo != me.owner) {
                // H7: the flushing node no longer owns the object: a grab took it between its look and this
                // request, and this home knows who owns it now. A leave waits for this word (O29): say it.
                LOG.info("home of object {} in state {} (owner {}): HANDOFF_REQ of node {}, which no longer owns it: "
                        + "nothing to hand off", me.objectId, me.name(), me.owner, -r.forwardedTo);
                node.outbox.send(-r.forwardedTo, Kind.HANDED_OFF, s.id, me.objectId, node.self, 0, null);
                continue;
            }
            boolean atHome;
            try {
                atHome = me.owner == 0 && r.requester != node.self && node.calls.touchesAtHome(s);
            } catch (KddmException unknownHere) {
                // H4: a first touch elsewhere could hide what this home has stored: refuse instead.
                node.outbox.sendLost(r.requester, s.id, me.objectId, "its home, node " + node.self + ", cannot serve it: "
                        + unknownHere.getMessage());
                continue;
            }
            me.current = r;
            if (atHome) { // H3
                r.forwardedTo = Request.AT_HOME;
                node.stats.firstTouches.increment();
                touchAtHome(s, me.objectId, r, me.floor);
            } else if (me.owner == 0) { // H2
                r.forwardedTo = 0;
                node.outbox.send(r.requester, Kind.TOUCH, s.id, me.objectId, r.write ? 1 : 0, 0,
                        me.floor.bytes());
                node.stats.firstTouches.increment();
            } else { // H5, H6 (a handoff: FWD_GRAB marked as such)
                r.forwardedTo = me.owner;
                if (!node.outbox.send(me.owner, r.write ? Kind.FWD_GRAB : Kind.FWD_GET, s.id, me.objectId, r.requester,
                        handoff ? 1 : 0, null)) {
                    ownerGone(s, me, me.owner, false);
                }
            }
        }
    }

    /** Why a first touch of the object must not make it anew (its range is uncertain, R27); null if it may. */
    private String uncertain(SetState s, long objectId) {
        int nominal;
        try {
            nominal = node.calls.home(s, objectId);
        } catch (KddmException unknownFamily) {
            return null;
        }
        String why = node.ledger.uncertainty(s, nominal);
        return why == null ? null : "object " + objectId + " of set " + SetIds.format(s.id) + " may have been lost, "
                + "and is not made anew: its home " + nominal + " is uncertain (" + why + "); kddm:lost --clear "
                + SetIds.format(s.id) + " " + nominal + " accepts the loss";
    }

    /**
     * First touch at the home (disk-backed families: the store is here), then the
     * home serves the request as the object's owner. The linker runs on a worker,
     * holding no monitor. Row H3.
     */
    private void touchAtHome(SetState s, long objectId, Request r, Version floor) {
        node.workers.execute(() -> {
            StoreReplicas.Touched touched;
            try {
                node.stores.requireQuorum(s, objectId, true); // S14: alone, this store may lack what the others stored
                touched = node.stores.firstTouch(s, objectId, floor); // S16: at the store's version
            } catch (RuntimeException ex) {
                ManagerEntry me = s.managerEntry(objectId);
                synchronized (me) {
                    if (me.current == r) {
                        me.finish();
                        node.outbox.sendLost(r.requester, s.id, objectId, "first touch at the home, node " + node.self + ", failed: "
                                + ex.getMessage());
                        startNext(s, me);
                    }
                }
                return;
            }
            ObjectEntry e = s.entry(objectId);
            ManagerEntry me = s.managerEntry(objectId);
            // Both monitors (home, then object): the object must never be seen idle and
            // owned here before the request is queued on it, or a flush could take it.
            synchronized (me) {
                boolean served = me.current == r;
                if (!served && (me.owner != 0 || me.lost != null)) {
                    return;
                }
                me.owner = node.self;
                boolean forward = served && node.linkers.isUp(r.requester);
                synchronized (e) {
                    node.eviction.hold(e, touched.value());
                    e.version = touched.version();
                    e.writtenBack = touched.version(); // R31: read from its store, which has it
                    e.state = ObjectState.READ_OWNER;
                    if (forward) {
                        r.forwardedTo = node.self;
                        e.queue.add(new Forward(r.requester, r.write, false));
                        node.object.serve(s, e);
                    }
                }
                if (served && !forward) {
                    me.finish(); // the requester died meanwhile: the object stays here, owned
                    startNext(s, me);
                }
            }
        });
    }

    /** DONE: the request in flight was served; the owner is now {@code newOwner} (0: unchanged). Rows H9, H10. */
    void done(SetState s, long objectId, int requester, int newOwner) {
        ManagerEntry me = s.managerEntry(objectId);
        synchronized (me) {
            if (me.current == null || me.current.requester != requester) {
                LOG.warn("home of object {} in state {} (owner {}): DONE from node {}, which has no request in "
                        + "flight: ignored", objectId, me.name(), me.owner, requester);
                return;
            }
            if (newOwner != 0) {
                me.owner = newOwner;
            }
            if (me.current.handoffFrom != 0 && me.current.handoffFrom != newOwner) {
                // F1: the node that handed it off (it may be leaving) learns that the home knows the new owner.
                node.outbox.send(me.current.handoffFrom, Kind.HANDED_OFF, s.id, objectId, node.self, 0, null);
            }
            me.finish();
            startNext(s, me);
        }
    }

    /** REMOVED: the owner removed the object cluster-wide. Row H12. */
    void removed(SetState s, long objectId, int remover, byte[] version) {
        ManagerEntry me = s.managerEntry(objectId);
        synchronized (me) {
            if (version.length >= Version.BYTES) {
                Version v = Wire.version(version, 0);
                if (v.newerThan(me.floor)) {
                    me.floor = v;
                }
            }
            if (me.owner == remover) {
                me.owner = 0;
                me.lost = null;
            }
            Request r = me.current;
            if (r != null && r.forwardedTo == remover) {
                // It was waiting at the remover: start it again, as a first touch now.
                me.finish();
                r.forwardedTo = 0;
                me.queue.addFirst(r);
                startNext(s, me);
            }
        }
    }

    /**
     * The owner dropped the object after sending it here to be stored (its
     * write-back is the home's current request). Requests wait until the store
     * has it; if storing fails, the home keeps the object as its owner instead,
     * so nothing is lost. Row H11.
     */
    void writtenBack(SetState s, long objectId, int owner, int flags, byte[] wire) {
        ManagerEntry me = s.managerEntry(objectId);
        Request r;
        synchronized (me) {
            r = me.current;
            if (r == null || !r.writeBack || r.requester != owner) {
                LOG.error("home of object {} in state {}: WRITTEN_BACK from node {} without the home's go-ahead: "
                        + "ignored", objectId, me.name(), owner);
                return;
            }
            me.owner = 0;
            r.forwardedTo = Request.AT_HOME;
        }
        long since = node.excludedAt;
        node.workers.execute(() -> {
            byte[] value = null;
            Version version = null;
            try {
                node.calls.awaitLinker(s); // a worker may wait for a linker being updated, also for the import
                Wire.Versioned v = Wire.versioned(wire, (flags & StoreReplicas.VERSIONED) != 0); // S16 (or S13)
                version = v.version();
                value = node.calls.importValue(s, objectId, v.value());
                // (its other store nodes too, when replicated: S1)
                node.stores.store(s, objectId, LocalOperations.Store.SYNC, value, since, version);
                if (version != null) {
                    node.replication.collection.writtenBack(s, objectId, version); // R31: the store has it
                }
            } catch (RuntimeException ex) {
                LOG.error("storing written-back object {} of set {} failed; {}: {}", objectId, SetIds.format(s.id),
                        value != null ? "node " + node.self + " keeps it in memory" : "its bytes could not be read",
                        ex.toString());
                ObjectEntry e = s.entry(objectId);
                synchronized (me) {
                    if (value == null) {
                        me.lost = "object " + objectId + " was lost: its linker could not read it back at node " + node.self;
                    } else {
                        me.owner = node.self;
                        synchronized (e) {
                            node.eviction.hold(e, value);
                            e.version = version != null ? version : e.version;
                            e.state = ObjectState.WRITE_OWNER;
                        }
                    }
                }
            } finally {
                synchronized (me) {
                    if (me.current == r) {
                        me.finish();
                        startNext(s, me);
                    }
                }
            }
        });
    }

    /** NOT_OWNER: a forward reached a node that does not own the object: the home's record is wrong. Row H13. */
    void notOwner(SetState s, long objectId, int from) {
        ManagerEntry me = s.managerEntry(objectId);
        synchronized (me) {
            if (me.current != null && me.current.forwardedTo == from) {
                ownerGone(s, me, from, true);
            }
        }
    }

    /**
     * Holding the home entry's monitor: the object is lost, and stays lost (never
     * made anew); where homes move, every member is told, so that the next acting
     * home knows it too (R29).
     */
    void markLost(SetState s, ManagerEntry me, int with) {
        me.lost = "object " + me.objectId + " was lost with node " + with;
        me.owner = 0;
        node.lostObjects.lost(s, me.objectId, me.lost);
    }

    /**
     * The owner of a home entry died or cannot be reached, or a forward found it
     * does not own the object ({@code alive}: that node answered NOT_OWNER): with backups, the survivors' claims decide (R5);
     * without, the object is lost. Holding the monitor. Rows F3, H13.
     */
    void ownerGone(SetState s, ManagerEntry me, int owner, boolean alive) {
        if (failsOver(s)) {
            node.failover.begin(s, me, owner, alive);
            return;
        }
        markLost(s, me, owner);
        Request r = me.current;
        me.finish();
        if (r != null) {
            node.outbox.sendLost(r.requester, s.id, me.objectId, me.lost);
        }
        startNext(s, me);
    }

    /** WHO_OWNS: the owner this home knows (one byte), nothing if none. Row H16. */
    byte[] whoOwns(SetState s, long objectId) {
        ManagerEntry me = s.managed.get(objectId);
        if (me != null) {
            synchronized (me) {
                if (me.owner != 0) {
                    return new byte[] {(byte) me.owner};
                }
            }
        }
        return Wire.EMPTY;
    }

    /**
     * A node died or left: nothing it held or was asked for here will come. With
     * backups, what the dead node owned or was being given goes to the survivors'
     * claims instead of being lost. Rows F2-F6, R5, R9.
     */
    void nodeDown(SetState s, int down) {
        boolean failover = failsOver(s);
        for (ManagerEntry me : s.managed.values()) {
            synchronized (me) {
                me.queue.removeIf(r -> r.requester == down);
                if (me.recovering != null) {
                    node.failover.survivorDown(s, me, down);
                    continue;
                }
                Request r = me.current;
                boolean mayHaveIt = me.owner == down || r != null && (r.forwardedTo == down || r.requester == down
                        && r.forwardedTo != Request.AT_HOME && (r.forwardedTo == 0 || r.write));
                if (failover && mayHaveIt && me.lost == null) {
                    node.failover.begin(s, me, down, false);
                    continue;
                }
                if (me.owner == down && (r == null || r.forwardedTo != down)) {
                    markLost(s, me, down);
                }
                if (r != null && r.forwardedTo == down) {
                    ownerGone(s, me, down, false);
                } else if (r != null && r.requester == down && r.forwardedTo != Request.AT_HOME) {
                    // (Work the home does itself, a first touch or a store, ends by itself.)
                    // A first touch, or the ownership, may have reached the dead node, and
                    // what it did with the object may have been seen: never make it anew.
                    if (r.forwardedTo == 0 || r.write) {
                        markLost(s, me, down);
                    }
                    me.finish();
                    startNext(s, me);
                }
            }
        }
    }

    /**
     * Whether a dead owner's object is taken over from what the survivors hold
     * (R5): with backups, and in a disk-backed family, whose store has the value
     * last written back when no survivor holds a copy (R22).
     */
    private boolean failsOver(SetState s) {
        return node.replication.backups(s) > 0 || node.calls.diskBacked(s);
    }

    /** The lease is back: the requests that waited for it start. Row F15. */
    void resume(SetState s, ManagerEntry me) {
        synchronized (me) {
            if (me.current == null) {
                startNext(s, me);
            }
        }
    }
}
