package io.kddm.impl.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.KddmException;
import io.kddm.api.set.NodeDeadException;
import io.kddm.impl.core.ObjectEntry.Forward;
import io.kddm.impl.core.ObjectEntry.Item;
import io.kddm.impl.core.ObjectEntry.Waiter;
import io.kddm.impl.core.Wire.Kind;

/**
 * The object's side of the protocol, on every node that holds or wants an
 * object ({@link ObjectEntry}): the queue of local threads and forwarded
 * requests, served in order; copies, ownership and its transfer; invalidations
 * and their acknowledgements. A first touch is {@link FirstTouch}'s; what it
 * does when an answer will not come (loss, a node down, a home moved) is
 * {@link ObjectRecovery}'s.
 */
final class ObjectSide {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectSide.class);

    private final Coherence node;

    ObjectSide(Coherence node) {
        this.node = node;
    }

    /**
     * Serves the queue's head items while the state allows, in arrival order:
     * local threads are granted, forwarded requests answered, and a head that
     * needs the object asks the home. Called holding the entry's monitor, after
     * every change of state. Rows O10-O12, O16, O23, F10, F14, F15; it starts O1, O2, O13, O17.
     */
    void serve(SetState s, ObjectEntry e) {
        if (e.voidedBy != null) {
            // A thread that found the entry before it was voided queues here afterwards.
            failAll(e, e.voidedBy);
            e.queue.clear();
            return;
        }
        if (e.homeDown && e.readers == 0 && e.writers == 0 && e.state != ObjectState.INV_COPY) {
            dropCopy(s, e);
        }
        boolean granted = false;
        int lease = -1; // read once, and only if something waits: a clock read is much of a cached get's cost
        while (!e.queue.isEmpty()) {
            Item head = e.queue.peek();
            if (lease < 0) {
                lease = node.linkers.hasLease() ? 1 : 0;
            }
            if (head instanceof Waiter && lease == 0) {
                failAll(e, node.changes.noQuorum()); // F14: nothing is granted without a lease, and nobody waits
                continue;
            }
            if (head instanceof Waiter w) {
                if (!w.write) {
                    if (e.readable() && (e.writers == 0 || !node.calls.localExclusion(s))) {
                        e.readers++;
                        w.granted = true;
                        e.queue.poll();
                        granted = true;
                        continue;
                    }
                    if ((e.state == ObjectState.INV_COPY || e.homeDown) && !e.requested && e.incoming == null) {
                        request(s, e, false);
                    }
                    break;
                }
                boolean free = e.readers == 0 && (e.writers == 0 || !node.calls.localExclusion(s));
                if (e.state == ObjectState.WRITE_OWNER && !e.upgrading && !e.homeDown && free) {
                    e.writers++;
                    w.granted = true;
                    e.queue.poll();
                    granted = true;
                    continue;
                }
                if (e.state == ObjectState.READ_OWNER && !e.upgrading && !e.homeDown && free) {
                    if (e.copyset.isEmpty()) {
                        e.state = ObjectState.WRITE_OWNER;
                        continue;
                    }
                    upgrade(s, e);
                    break;
                }
                if ((!e.state.owner() || e.homeDown) && !e.requested && e.incoming == null) {
                    request(s, e, true);
                }
                break;
            }
            Forward f = (Forward) head;
            if (!e.state.owner() || e.upgrading || lease == 0 || e.pendingBackups > 0) {
                break; // (without a lease, F14: served when it is back, F15, or dropped with this node's state)
            }
            if (f.requester() != node.self && !node.linkers.isUp(f.requester())) {
                e.queue.poll(); // F7: its home gave it up; handing the object to a dead node would lose it
                continue;
            }
            if (f.write()) {
                if (e.readers > 0 || e.writers > 0) {
                    break;
                }
                e.queue.poll();
                handOver(s, e, f.requester(), f.handoff());
            } else {
                if (e.writers > 0) {
                    break;
                }
                e.queue.poll();
                e.state = ObjectState.READ_OWNER;
                e.copyset.add(f.requester());
                node.outbox.send(f.requester(), Kind.COPY, s.id, e.objectId, node.self, 0,
                        Wire.copy(node.calls.export(s, e), e.version));
            }
        }
        if (e.invalidateAckTo != 0 && e.readers == 0 && e.writers == 0) {
            int ackTo = e.invalidateAckTo;
            e.invalidateAckTo = 0;
            dropCopy(s, e);
            if (ackTo != ObjectEntry.ACK_NOBODY) {
                node.outbox.send(ackTo, Kind.INV_ACK, s.id, e.objectId, node.self, 0, null);
            }
            if (!e.queue.isEmpty()) {
                serve(s, e);
                return;
            }
        }
        if (granted) {
            e.notifyAll();
        }
    }

    /**
     * Asks the home for a copy or the ownership. Called holding the entry's monitor.
     * Rows O1, O2, F11, F17.
     */
    void request(SetState s, ObjectEntry e, boolean write) {
        int home;
        try {
            home = node.home(s, e.objectId);
        } catch (KddmException ex) {
            failAll(e, ex);
            return;
        }
        if (!node.linkers.isUp(home)) {
            if (waitsForHomeToMove(s, e, home)) {
                return;
            }
            failAll(e, new NodeDeadException("the home of object " + e.objectId + ", node " + home + ", is down"));
            return;
        }
        if (!node.isMember()) {
            // F17: the home would drop it (D2) and nobody would ask again; asked once a view has this node
            e.refusal = "node " + node.self + " is not in the view installed here (" + node.view
                    + "): it is joining the cluster";
            return;
        }
        if (e.homeDown) {
            if (e.readers > 0 || e.writers > 0) {
                return; // the old copy goes first, when its holders release it
            }
            e.homeDown = false; // the home is back, with no record of the object: ask it anew
        }
        e.requested = true;
        e.requestedWrite = write;
        e.requestedFrom = home;
        e.requestedInEpoch = node.view.epoch();
        node.stats.remoteFetches.increment();
        if (!node.outbox.send(home, write ? Kind.GRAB_REQ : Kind.GET_REQ, s.id, e.objectId, node.self, 0, null)) {
            e.requested = false;
            if (!waitsForHomeToMove(s, e, home)) {
                failAll(e, new NodeDeadException("cannot reach node " + home + ", the home of object " + e.objectId));
            }
        }
    }

    /**
     * Holding the monitor: the home cannot be reached, but the object has
     * backups: the view without it will move its home (R15, which asks again),
     * so the waiters wait, each within its timeout, instead of failing.
     */
    private boolean waitsForHomeToMove(SetState s, ObjectEntry e, int home) {
        if (!node.replication.homesMove(s)) {
            return false;
        }
        e.refusal = "its home, node " + home + ", cannot be reached; waiting for the view without it";
        return true;
    }

    /** An owner with copies elsewhere wants to write: it invalidates them first. Row O13. */
    void upgrade(SetState s, ObjectEntry e) {
        node.stats.ownerUpgrades.increment();
        e.upgrading = true;
        e.awaiting.clear();
        for (int n : e.copyset) {
            e.awaiting.add(n);
            node.stats.invalidationsSent.increment();
            if (!node.outbox.send(n, Kind.INV, s.id, e.objectId, node.self, 0, null)) {
                e.awaiting.remove(n);
            }
        }
        e.copyset.clear();
        if (e.awaiting.isEmpty()) {
            e.upgrading = false;
            e.state = ObjectState.WRITE_OWNER;
        }
    }

    /**
     * Gives the ownership to {@code to}; every other copy acknowledges its
     * invalidation to {@code to}, which waits for them all (O5). With backups,
     * the value stays here as one. Rows O17, R10.
     */
    void handOver(SetState s, ObjectEntry e, int to, boolean handoff) {
        List<Integer> ackers = new ArrayList<>();
        for (int n : e.copyset) {
            if (n != to) {
                ackers.add(n);
            }
        }
        byte[] value = node.calls.export(s, e);
        if (node.replication.backups(s) > 0 && !e.storeHasIt()) {
            // The new owner may be the node that kept this value's backup: with this copy kept
            // here too, a crash of the new owner does not take the newest version with it (R10).
            node.replication.store.keep(s.id, e.objectId, new BackupStore.Backup(e.version, value, to));
        }
        int[] list = ackers.stream().mapToInt(Integer::intValue).toArray();
        node.outbox.send(to, Kind.OWNERSHIP, s.id, e.objectId, handoff ? 1 : 0, value.length, Wire.ownership(value, e.version, list));
        for (int n : ackers) {
            node.stats.invalidationsSent.increment();
            node.outbox.send(n, Kind.INV, s.id, e.objectId, to, 0, null);
        }
        e.copyset.clear();
        dropCopy(s, e);
    }

    /** The home's go-ahead: the object goes to the home's store, unless it is in use here again. Rows O25, O26. */
    void ownerWriteBack(SetState s, long objectId) {
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            int home = node.home(s, objectId);
            if (e.state.owner() && e.idle() && e.copyset.isEmpty()) {
                node.outbox.send(home, Kind.WRITTEN_BACK, s.id, objectId, node.self, StoreReplicas.VERSIONED,
                        Wire.copy(node.calls.export(s, e), e.version)); // S16: stored at its version
                dropCopy(s, e);
                node.stats.budgetFlushes.increment();
            } else {
                node.outbox.send(home, Kind.DONE, s.id, objectId, 0, 0, null); // kept: used again meanwhile
            }
        }
    }

    /** Holding the monitor: this node's copy is gone (the IO linker is told). */
    void dropCopy(SetState s, ObjectEntry e) {
        e.state = ObjectState.INV_COPY;
        node.eviction.hold(e, null);
        node.calls.tell(s, l -> l.invalidate(s.context, e.objectId));
    }

    /**
     * Holding the monitor: the entry is void for good (its set destroyed here, this
     * node stopping or taken out of the cluster). Waiters fail with {@code failure},
     * and so does every thread that queues on it later (it may have found the entry
     * just before). Its bytes no longer count against the budget; a handle still
     * open keeps its own. Rows F13, L7.
     */
    void discard(ObjectEntry e, RuntimeException failure) {
        e.voidedBy = failure;
        failAll(e, failure);
        ObjectRecovery.abandonRequest(e);
        e.queue.clear();
        e.upgrading = false;
        e.invalidateAckTo = 0;
        e.homeDown = false;
        e.copyset.clear();
        e.state = ObjectState.INV_COPY;
        node.eviction.hold(e, null);
        e.notifyAll();
    }

    /** Holding the monitor: every local thread waiting for the object fails with {@code failure}. */
    void failAll(ObjectEntry e, RuntimeException failure) {
        boolean any = false;
        for (Iterator<Item> it = e.queue.iterator(); it.hasNext();) {
            if (it.next() instanceof Waiter w) {
                w.failure = failure;
                it.remove();
                any = true;
            }
        }
        if (any) {
            e.notifyAll();
        }
    }

    /** FWD_GET or FWD_GRAB from the home: queued, and served in order by {@link #serve}. Rows O18-O20. */
    void ownerForward(SetState s, long objectId, int from, Forward f) {
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            if (node.replication.homesMove(s) && from != node.home(s, objectId)) {
                // R15: from a node that no longer acts as the object's home (its records were rebuilt elsewhere),
                // this one included: a forward it sent itself as acting home, still on its loopback when a view
                // moved the home on, would hand the object over behind the back of the new home, which rebuilt its
                // records from this node's claim to own it (NemesisIT: the object was served to nobody after).
                LOG.debug("forward for object {} from node {}, not its acting home: dropped", objectId, from);
                return;
            }
            if (!e.state.owner()) {
                // Queued here it would never be served: the home's record is wrong, so the
                // object cannot be trusted anywhere. Say so, and let the home fail it fast.
                LOG.error("{} for object {} reached node {} in state {}, which does not own it: NOT_OWNER",
                        f.write() ? Kind.FWD_GRAB : Kind.FWD_GET, objectId, node.self, e.name());
                node.outbox.send(node.home(s, objectId), Kind.NOT_OWNER, s.id, objectId, node.self, 0, null);
                return;
            }
            if (f.requester() == node.self) {
                // Our own request, overtaken by a handoff that made us the owner: it is
                // satisfied here, and the local waiters are served (or upgrade) as owner's.
                e.requested = false;
                node.outbox.send(node.home(s, objectId), Kind.DONE, s.id, objectId, 0, 0, null);
                serve(s, e);
                return;
            }
            e.queue.add(f);
            serve(s, e);
        }
    }

    /** COPY from the owner answers our get. Rows O4, O9. */
    void copy(SetState s, long objectId, int owner, byte[] bytes, long epoch) {
        ObjectEntry e = s.entry(objectId);
        Version version = Wire.version(bytes, bytes.length - Version.BYTES);
        byte[] value = node.calls.importValue(s, objectId, Arrays.copyOf(bytes, bytes.length - Version.BYTES));
        synchronized (e) {
            if (!e.requested || e.state.owner() || !node.inView(owner) || stale(e, epoch)) {
                LOG.debug("COPY of object {} from node {} in state {} ignored: no request of ours, or its sender left",
                        objectId, owner, e.name());
                return; // the home gave our request up (LOST overtook this copy), or took its claims (R6)
            }
            node.eviction.hold(e, value);
            e.version = version;
            e.state = ObjectState.READ_COPY;
            e.requested = false;
            arrived(e);
            node.calls.tell(s, l -> l.insert(s.context, objectId, value));
            node.outbox.send(node.home(s, objectId), Kind.DONE, s.id, objectId, 0, 0, null);
            serve(s, e);
        }
    }

    /**
     * OWNERSHIP from the old owner (our grab, or a handoff we did not ask for):
     * the object is ours once every copy it lists has acknowledged. Rows O5, O9.
     */
    void ownership(SetState s, long objectId, int from, int valueLength, byte[] bytes, boolean handoff, long epoch) {
        ObjectEntry e = s.entry(objectId);
        Version version = Wire.version(bytes, valueLength);
        byte[] value = node.calls.importValue(s, objectId, Arrays.copyOf(bytes, valueLength));
        synchronized (e) {
            if (!handoff && !(e.requested && e.requestedWrite) || !node.inView(from) || stale(e, epoch)) {
                LOG.debug("OWNERSHIP of object {} from node {} in state {} ignored: no grab of ours, or its sender left",
                        objectId, from, e.name());
                return; // the home gave our request up (LOST overtook this transfer), or took its claims (R6)
            }
            e.incoming = value;
            e.incomingVersion = version;
            e.incomingFrom = from;
            e.incomingHandoff = handoff;
            e.handedIn = handoff;
            e.awaiting.clear();
            for (int i = valueLength + Version.BYTES; i < bytes.length; i++) {
                int n = Byte.toUnsignedInt(bytes[i]);
                if (!e.earlyAcks.remove(n) && node.linkers.isUp(n)) {
                    e.awaiting.add(n);
                }
            }
            e.earlyAcks.clear();
            completeIfAcked(s, e);
        }
    }

    /** INV: a new owner writes; the copy goes, acknowledged to {@code ackTo} once no local reader holds it. Rows O21, O22, O24. */
    void invalidate(SetState s, long objectId, int ackTo) {
        node.stats.invalidationsReceived.increment();
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            if (e.state == ObjectState.READ_COPY && (e.readers > 0 || e.writers > 0)) {
                e.invalidateAckTo = ackTo; // acked when the local readers leave
                node.stats.deferredInvalidations.increment();
                return;
            }
            if (e.state == ObjectState.READ_COPY) {
                dropCopy(s, e);
            }
            node.outbox.send(ackTo, Kind.INV_ACK, s.id, objectId, node.self, 0, null);
        }
    }

    /** INV_ACK: one copy fewer to wait for. Rows O6, O7, O14. */
    void invalidationAck(SetState s, long objectId, int from) {
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            if (e.incoming == null && !e.upgrading) {
                e.earlyAcks.add(from); // the OWNERSHIP that lists it is still on its way
                node.stats.acksBeforeObject.increment();
                return;
            }
            e.awaiting.remove(from);
            completeIfAcked(s, e);
        }
    }

    /** Holding the monitor: finish an incoming ownership or a local upgrade once every ack is in. Rows O7, O14. */
    void completeIfAcked(SetState s, ObjectEntry e) {
        if (!e.awaiting.isEmpty()) {
            return;
        }
        if (e.upgrading) {
            e.upgrading = false;
            e.state = ObjectState.WRITE_OWNER;
        } else if (e.incoming != null) {
            node.eviction.hold(e, e.incoming);
            e.version = e.incomingVersion;
            // Its sender kept the value as a backup (R10): one copy elsewhere, until a put or re-replication adds more.
            e.backedUpOn = List.of(e.incomingFrom);
            e.collectedFor = null; // a new owner: its first round collects (R23)
            e.incoming = null;
            e.state = ObjectState.WRITE_OWNER;
            e.copyset.clear();
            if (!e.incomingHandoff) {
                e.requested = false; // else our own request is still queued at the home: it comes back to us
                arrived(e);
            }
            e.incomingHandoff = false;
            byte[] value = e.value;
            node.calls.tell(s, l -> l.insert(s.context, e.objectId, value));
            node.outbox.send(node.home(s, e.objectId), Kind.DONE, s.id, e.objectId, node.self, 0, null);
        }
        serve(s, e);
    }

    /**
     * Holding the monitor: whether a message sent in view {@code epoch} answers a
     * request this node gave up when the object's acting home moved (R15).
     */
    static boolean stale(ObjectEntry e, long epoch) {
        return epoch != 0 && epoch < e.requestEpoch;
    }

    /** Holding the monitor: the object came; no refusal to wait out any more. */
    static void arrived(ObjectEntry e) {
        e.refusal = null;
        e.retryDelayMs = 0;
        e.retry = null;
    }

    /** WHO_HOLDS: this node then its copyset (a byte each) if it owns the object, else nothing. Row O27. */
    byte[] whoHolds(SetState s, long objectId) {
        ObjectEntry e = s.objects.get(objectId);
        if (e != null) {
            synchronized (e) {
                if (e.state.owner()) {
                    byte[] out = new byte[1 + e.copyset.size()];
                    out[0] = (byte) node.self;
                    int i = 1;
                    for (int n : e.copyset) {
                        out[i++] = (byte) n;
                    }
                    return out;
                }
            }
        }
        return Wire.EMPTY;
    }
}
