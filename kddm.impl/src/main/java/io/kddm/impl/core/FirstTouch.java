package io.kddm.impl.core;

import io.kddm.api.set.KddmException;
import io.kddm.impl.core.Wire.Kind;

/**
 * The first touch of an object at the node that asked for it (or at its home,
 * for families that store their objects): the IO linker makes it, its backups
 * keep it before anyone is granted it, and the home hears it exists (DONE).
 */
final class FirstTouch {
    private final Coherence node;

    FirstTouch(Coherence node) {
        this.node = node;
    }

    /**
     * TOUCH: nobody has the object, so the IO linker makes it here, on a worker
     * (it may block), and this node becomes its owner. Rows O3, O9.
     */
    void touch(SetState s, long objectId, boolean write, long epoch, Version floor) {
        ObjectEntry e = s.entry(objectId);
        long askedIn;
        synchronized (e) {
            if (ObjectSide.stale(e, epoch)) {
                return;
            }
            if (!e.requested) {
                // Our request was given up (LOST crossed it): let the home move on.
                node.outbox.send(node.home(s, objectId), Kind.DONE, s.id, objectId, 0, 0, null);
                return;
            }
            e.filling = true;
            askedIn = e.requestEpoch; // in the monitor: a view moving the home after it is seen below (R15)
        }
        node.workers.execute(() -> {
            byte[] value;
            Version version = floor.next(node.view.epoch());
            Replication.Outcome backups;
            try {
                node.stores.requireQuorum(s, objectId, true); // S14 (a replicated store read here, its acting home)
                if (node.calls.touchesAtHome(s)) {
                    // S16: the store's value at the store's version; its store is its copy: no backup (R31)
                    StoreReplicas.Touched t = node.stores.firstTouch(s, objectId, floor);
                    value = t.value();
                    version = t.version();
                    backups = null;
                } else {
                    value = node.calls.firstTouch(s, objectId);
                    backups = backUpFirstTouch(s, e, version, value);
                }
            } catch (RuntimeException ex) {
                synchronized (e) {
                    e.filling = false;
                    e.requested = false;
                    node.object.failAll(e, ex instanceof KddmException k ? k
                            : new KddmException("first touch of object " + objectId + " failed: " + ex, ex));
                    if (e.voidedBy == null) { // (else asked by an incarnation that was taken out: nobody waits for it)
                        node.outbox.send(node.home(s, objectId), Kind.DONE, s.id, objectId, 0, 0, null);
                    }
                }
                return;
            }
            synchronized (e) {
                if (e.voidedBy != null) {
                    return; // this node was taken out (or stopped) meanwhile: the value was never seen
                }
                if (e.requestEpoch != askedIn) {
                    // R15: the home moved while the object was being made; the new one rebuilt its records
                    // without it (this node claimed nothing yet). Nobody saw this value: asked anew.
                    e.filling = false;
                    e.requested = false;
                    node.object.serve(s, e);
                    return;
                }
                node.eviction.hold(e, value);
                e.version = version;
                if (node.calls.touchesAtHome(s)) {
                    e.writtenBack = version; // R31: read from its store, which has it
                }
                e.backedUpOn = backups == null ? null : backups.acked();
                e.state = write ? ObjectState.WRITE_OWNER : ObjectState.READ_OWNER;
                e.collectedFor = null; // a new owner: its first round collects (R23)
                if (backups != null) {
                    node.replication.collection.roundDone(s, e, version, backups);
                }
                e.filling = false;
                e.requested = false;
                ObjectSide.arrived(e);
                node.outbox.send(node.home(s, objectId), Kind.DONE, s.id, objectId, node.self, 0, null);
                node.object.serve(s, e);
            }
        });
    }

    /**
     * A first touch of an object with backups: they have it before anyone is
     * granted it (one may read it, then see it made anew after this node died).
     * On a worker, holding no monitor. Row R1.
     */
    private Replication.Outcome backUpFirstTouch(SetState s, ObjectEntry e, Version version, byte[] value) {
        long objectId = e.objectId;
        int n = node.replication.backups(s);
        if (n == 0) {
            return null;
        }
        Replication.Outcome o = node.replication.backUp(s, e, version, node.calls.export(s, objectId, value),
                n, System.nanoTime() + node.operationTimeout().toNanos());
        if (o.missing() != null) {
            throw new KddmException("object " + objectId + " was not made: " + o.missing());
        }
        return o;
    }
}
