package io.kddm.impl.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.kddm.api.linker.BackupMode;
import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.OperationTimeoutException;
import io.kddm.api.set.OutcomeUnknownException;
import io.kddm.api.set.SetIds;
import io.kddm.api.set.UnknownSetException;
import io.kddm.impl.core.ObjectEntry.Forward;
import io.kddm.impl.core.ObjectEntry.Waiter;
import io.kddm.impl.core.Wire.Kind;

/**
 * The manipulation functions as this node's threads call them: get and grab
 * (acquire), put (release), find, remove, flush, sync, prefetch, holders, and
 * the evacuation of an orderly leave. A local thread queues on the object like
 * any forwarded request, and {@link ObjectSide#serve} grants it.
 */
final class LocalOperations {
    private final Coherence node;

    LocalOperations(Coherence node) {
        this.node = node;
    }

    /**
     * get or grab: queues this thread on the object and blocks until
     * {@link ObjectSide#serve} grants it (rows O1, O2, O10-O14) or the timeout
     * ends (row L6).
     *
     * @param timeoutNanos how long to wait
     * @param quiet        on timeout return null instead of throwing
     */
    Handle acquire(SetState s, long objectId, boolean write, long timeoutNanos, boolean quiet) {
        if (node.leaving) {
            throw new KddmException("node " + node.self + " is leaving the cluster");
        }
        return acquireWhileLeaving(s, objectId, write, timeoutNanos, quiet);
    }

    /** {@link #acquire}, also while this node leaves (for what its leave does itself). */
    Handle acquireWhileLeaving(SetState s, long objectId, boolean write, long timeoutNanos, boolean quiet) {
        checkObjectId(objectId);
        if (s.destroyed) {
            throw new UnknownSetException("set " + SetIds.format(s.id) + " was destroyed");
        }
        // Without a lease, serve() fails the waiter at once (F14): one clock read per get or grab, there.
        // A linker bundle being updated is waited for (bounded); one that is gone fails fast.
        SetFamily f = node.linkers.awaitFamily(s.family);
        node.linkers.awaitIoLinker(f.ioLinker());
        if (write) {
            node.replication.checkCopies(s, objectId);
        }
        (write ? node.stats.grabs : node.stats.gets).increment();
        long start = System.nanoTime();
        ObjectEntry e = s.entry(objectId);
        Waiter w = new Waiter(write);
        synchronized (e) {
            e.queue.add(w);
            boolean hit = e.queue.size() == 1 && e.state != ObjectState.INV_COPY;
            node.object.serve(s, e);
            if (!w.done()) {
                node.stats.queueWaits.increment();
                hit = false;
            }
            long deadline = start + timeoutNanos;
            while (!w.done()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    e.queue.remove(w);
                    node.object.serve(s, e);
                    node.stats.timeouts.increment();
                    if (quiet) {
                        return null;
                    }
                    throw new OperationTimeoutException((write ? "grab" : "get") + " of object " + objectId
                            + " in set " + SetIds.format(s.id) + " did not complete within "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"
                            + (e.refusal == null ? "" : ": " + e.refusal));
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(e, left);
                } catch (InterruptedException ie) {
                    e.queue.remove(w);
                    node.object.serve(s, e);
                    Thread.currentThread().interrupt();
                    throw new KddmException("interrupted while waiting for object " + objectId);
                }
            }
            if (w.granted && e.voidedBy != null) {
                // Granted, then voided before this thread woke: the bytes it was granted are gone.
                if (write) {
                    e.writers--;
                } else {
                    e.readers--;
                }
                w.failure = e.voidedBy;
            }
            if (w.failure != null) {
                node.stats.failures.increment();
                throw w.failure;
            }
            if (hit) {
                node.stats.localHits.increment();
            }
            e.lastUse = start;
            e.handedIn = false;
            (write ? node.stats.grabLatency : node.stats.getLatency).record(System.nanoTime() - start);
            return new Handle(node, s, e, write, f.maxObjectSize(), e.value);
        }
    }

    /**
     * put: the holder lets the object go, and the queue is served. A changed
     * object with backups is backed up first, still held, so that no other
     * thread or node is served a value a crash of this node could lose; in
     * visible mode the holder goes at once and other nodes wait. A backup not
     * kept within the operation timeout fails the put, and the object stays
     * unserved to other nodes while it is tried again. Rows O15, R1, R13.
     */
    void release(Handle h) {
        SetState s = h.set;
        ObjectEntry e = h.entry;
        Version version = null;
        byte[] wire = null;
        int backups = 0;
        boolean waitForBackups = false;
        synchronized (e) {
            try {
                if (s.destroyed || e.voidedBy != null) {
                    if (h.write && h.changed && !s.destroyed) {
                        // This node was taken out (or stopped) while the value was held: it never left the node.
                        throw new KddmException("put of object " + e.objectId + " in set " + SetIds.format(s.id)
                                + " did not take effect: " + e.voidedBy.getMessage(), e.voidedBy);
                    }
                    return; // its objects were dropped (and their waiters failed): nothing to publish
                }
                if (h.write) {
                    if (h.changed) {
                        node.eviction.hold(e, h.newValue);
                        e.version = e.version.next(node.view.epoch());
                    }
                    node.calls.tell(s, l -> l.put(s.context, e.objectId, e.value));
                }
                backups = h.write && h.changed ? node.replication.backups(s) : 0;
                if (backups > 0 && node.replication.mode(s) == BackupMode.VISIBLE) {
                    node.replication.backUpInBackground(s, e, backups); // R13: this node's threads go on, other nodes wait
                    return;
                }
                if (backups == 0) {
                    return;
                }
                version = e.version;
                wire = node.calls.export(s, e);
                waitForBackups = true; // still held: nobody is served the value before it is backed up
            } finally {
                if (!waitForBackups) {
                    leave(h);
                    node.object.serve(s, e);
                }
            }
        }
        Replication.Outcome o;
        try {
            o = node.replication.backUp(s, e, version, wire, backups,
                    System.nanoTime() + node.operationTimeout().toNanos());
        } catch (RuntimeException ex) {
            o = new Replication.Outcome(List.of(), ex.toString());
        }
        boolean leased = node.linkers.hasLease();
        RuntimeException voided;
        synchronized (e) {
            voided = e.voidedBy;
            if (voided == null) {
                node.replication.collection.roundDone(s, e, version, o); // R23
                if (o.missing() != null) {
                    node.replication.backUpInBackground(s, e, backups); // other nodes are served once a backup is kept
                }
            }
            leave(h);
            node.object.serve(s, e);
        }
        if (voided != null) {
            // R20: this node was taken out (or stopped) meanwhile: its copy is void and the others went on from
            // what they held, maybe this value if a backup was kept before, maybe not.
            throw new OutcomeUnknownException("put of object " + e.objectId + " in set " + SetIds.format(s.id)
                    + " while its backups were awaited: " + voided.getMessage()
                    + "; whether the cluster kept this value is unknown");
        }
        if (o.missing() != null) {
            throw new OutcomeUnknownException("put of object " + e.objectId + " in set " + SetIds.format(s.id)
                    + ": " + o.missing() + "; the value is here, not served to other nodes until a backup is kept");
        }
        if (!leased) {
            throw new OutcomeUnknownException("put of object " + e.objectId + " in set " + SetIds.format(s.id)
                    + ": node " + node.self + " lost its lease while backing it up: whether the cluster kept this value is unknown");
        }
    }

    /** Holding the monitor: the handle no longer holds the object. */
    private static void leave(Handle h) {
        if (h.write) {
            h.entry.writers--;
        } else {
            h.entry.readers--;
        }
    }

    Optional<byte[]> find(SetState s, long objectId) {
        ObjectEntry e = s.objects.get(objectId);
        if (e == null) {
            return Optional.empty();
        }
        synchronized (e) {
            return e.state == ObjectState.INV_COPY || e.value == null ? Optional.empty()
                    : Optional.of(Arrays.copyOf(e.value, e.value.length));
        }
    }

    /** Removes the object cluster-wide, holding it grabbed. Row L3. */
    void remove(SetState s, long objectId) {
        long since = node.excludedAt;
        Handle h = acquire(s, objectId, true, node.operationTimeout().toNanos(), false);
        ObjectEntry e = h.entry;
        int home = node.home(s, objectId);
        boolean stored = node.calls.touchesAtHome(s);
        // S16: the removal is newer than the value it removes, in the object's own sequence
        Version removal = h.version().next(node.view.epoch());
        if (stored) {
            try {
                // The store is the home's, and a first touch there must not find the object again.
                if (home != node.self) {
                    atHome(s, objectId, null, removal, Store.REMOVE, "removal");
                } else {
                    node.stores.store(s, objectId, Store.REMOVE, null, since, removal); // (and its other store nodes)
                }
            } catch (RuntimeException ex) {
                synchronized (e) {
                    // (the removal may be stored at the home though it failed here: the value, still live, goes
                    // on above it, so that its next write-back is not older than the store's removal: S16)
                    e.version = e.version.newest(removal);
                }
                h.close();
                throw ex;
            }
        }
        if (stored && !node.stores.replicated(s)) {
            // R31: the removal stored at its only store node outranks every backup of the object, which no failover
            // promotes over it: they are collected without waiting (an awaited drop on every member made rm -r
            // 1.6 x slower). A replicated store keeps R3's awaited drop and floors: a store node that missed the
            // removal may act next, and its store would not outrank them.
            node.replication.collection.writtenBack(s, objectId, removal); // (nothing if it keeps no backups)
        } else if (node.replication.backups(s) > 0) {
            Version removedAt;
            synchronized (e) {
                removedAt = e.version;
            }
            node.replication.dropEverywhere(s, objectId, removedAt,
                    System.nanoTime() + node.operationTimeout().toNanos());
        }
        synchronized (e) {
            e.writers--;
            node.calls.tell(s, l -> l.remove(s.context, objectId));
            e.state = ObjectState.INV_COPY;
            node.eviction.hold(e, null);
            e.copyset.clear();
            // Forwards waiting here are restarted by the home, which now has no owner.
            e.queue.removeIf(i -> i instanceof Forward);
            // R3: the home keeps its version as a floor for the next first touch, so that no backup
            // of the removed value (a drop that failed, a late one) can outrank the new object.
            node.outbox.send(home, Kind.REMOVED, s.id, objectId, node.self, 0,
                    e.version.bytes());
            node.object.serve(s, e);
        }
    }

    /**
     * Writes the object back while holding it read-locked. A disk-backed family's
     * store is at the object's home, so the bytes go there. Row L4.
     */
    void sync(SetState s, long objectId, boolean durable) {
        long since = node.excludedAt; // S8: a value held by an incarnation taken out since is not stored
        try (Handle h = acquire(s, objectId, false, node.operationTimeout().toNanos(), false)) {
            Version version = h.version(); // S16: stored at its own version
            boolean atHomeStore = node.calls.touchesAtHome(s);
            if (node.home(s, objectId) == node.self || !atHomeStore) {
                node.stores.store(s, objectId, Store.of(durable), h.current(), since, version);
            } else {
                atHome(s, objectId, h.current(), version, Store.of(durable), "sync");
            }
            if (atHomeStore) {
                // R31: its backups of this version and older are not needed any more: the store has it (a store
                // not made throws above). Collected once: an object read from its store, or written back at this
                // version already, has none to collect.
                boolean had;
                synchronized (h.entry) {
                    had = !version.newerThan(h.entry.writtenBack);
                    h.entry.writtenBack = h.entry.writtenBack.newest(version);
                }
                if (!had) {
                    node.replication.collection.writtenBack(s, objectId, version);
                }
            }
        }
    }

    /** What a SYNC asks of the home's store (its count field), and the IO linker call that does it. */
    enum Store {
        SYNC, REMOVE, WRITE_BACK;

        private static final Store[] KINDS = values();

        static Store of(boolean durable) {
            return durable ? SYNC : WRITE_BACK;
        }

        /** The kind a SYNC's count field names; null if none. */
        static Store of(int count) {
            return count >= 0 && count < KINDS.length ? KINDS[count] : null;
        }

        void apply(IoLinker linker, io.kddm.api.linker.SetContext context, long objectId, byte[] value) {
            switch (this) {
                case SYNC -> linker.sync(context, objectId, value);
                case WRITE_BACK -> linker.writeBack(context, objectId, value);
                case REMOVE -> linker.remove(context, objectId);
            }
        }
    }

    /**
     * Asks the object's home to store {@code value} (or delete it) and waits until
     * it has. When the acting home moves meanwhile (it left the view: paused,
     * crashed), the store is asked of the new one, at once: the old one's answer
     * may never come, and it will not store it any more (S8). A request lost with
     * its connection is asked again until the home answers or the view moves it.
     * Rows L4, S9.
     */
    private void atHome(SetState s, long objectId, byte[] value, Version version, Store store, String what) {
        long deadline = System.nanoTime() + node.operationTimeout().toNanos();
        long since = node.excludedAt;
        while (true) {
            int home = node.home(s, objectId);
            if (home == node.self) {
                node.stores.store(s, objectId, store, value, since, version); // this node acts for it now
                return;
            }
            java.util.concurrent.CompletableFuture<byte[]> reply = node.transport.request(home, Kind.SYNC.type(),
                    node.outbox.request(s.id, objectId, node.self, store.ordinal() | StoreReplicas.VERSIONED,
                            Wire.copy(value == null ? Wire.EMPTY : value, version)), node.operationTimeout());
            while (true) {
                try {
                    reply.get(Math.max(1, Math.min(50_000_000L, deadline - System.nanoTime())), TimeUnit.NANOSECONDS);
                    return;
                } catch (java.util.concurrent.TimeoutException wait) {
                    if (node.home(s, objectId) != home) {
                        break; // asked anew of the new acting home
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        throw new KddmException("the " + what + " of object " + objectId + " at its home, node " + home
                                + ", got no reply within " + node.operationTimeout().toMillis() + " ms");
                    }
                } catch (java.util.concurrent.ExecutionException failed) {
                    if (node.home(s, objectId) != home && System.nanoTime() - deadline < 0) {
                        break; // refused by a home that no longer acts for it (S8): asked of the new one
                    }
                    if (failed.getCause() instanceof io.kddm.api.transport.NodeUnreachableException
                            && System.nanoTime() - deadline < 0) {
                        // Lost with the connection before the view decides: asked again until the home answers
                        // or the view moves it (a crash would otherwise fail a store its replica can take).
                        pause(TimeUnit.MILLISECONDS.toNanos(20));
                        break;
                    }
                    throw new KddmException("the " + what + " of object " + objectId + " at node " + home
                            + " failed: " + failed.getCause().getMessage(), failed.getCause());
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    throw new KddmException("interrupted during the " + what + " of object " + objectId);
                }
            }
        }
    }

    private static void pause(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
            throw new KddmException("interrupted");
        }
    }

    /**
     * Drops the local copy. A read copy is simply dropped (see Kind.DROPPED); an
     * owner hands the object to another node through the home, or keeps it if
     * no other node is up (after writing it back through the linker). Rows L1, L2.
     */
    boolean flush(SetState s, long objectId) {
        ObjectEntry e = s.objects.get(objectId);
        if (e == null) {
            return false;
        }
        synchronized (e) {
            if (!e.idle()) {
                return false; // held or in motion: flushing now would only race with its users
            }
            if (e.state == ObjectState.READ_COPY) {
                node.object.dropCopy(s, e); // silently: see Kind.DROPPED
                return false;
            }
            if (!e.state.owner()) {
                return false;
            }
        }
        if (handOff(s, e)) {
            return true;
        }
        if (handoffTarget(s, e) == 0) {
            sync(s, objectId, true); // alone in the cluster: the object stays here, written back
        }
        return false;
    }

    /** Asks the home to move an owned object to another node that is up; false if none can take it. Rows L2, B3, F1. */
    boolean handOff(SetState s, ObjectEntry e) {
        return handOff(s, e, false);
    }

    /**
     * As {@link #handOff(SetState, ObjectEntry)}; {@code toHome}: to the object's
     * home itself when it is another node (a leave: the home surely knows the
     * set, and the object goes back where its requests go).
     */
    boolean handOff(SetState s, ObjectEntry e, boolean toHome) {
        int home = node.home(s, e.objectId);
        int target = toHome && home != node.self ? home : handoffTarget(s, e);
        if (target == 0 || !node.linkers.isUp(home)) {
            return false;
        }
        node.stats.handoffs.increment();
        return node.outbox.send(home, Kind.HANDOFF_REQ, s.id, e.objectId, target, 0, null);
    }

    private int handoffTarget(SetState s, ObjectEntry e) {
        synchronized (e) {
            for (int n : e.copyset) {
                if (node.linkers.isUp(n)) {
                    return n;
                }
            }
        }
        for (int n : s.nodes) {
            if (n != node.self && node.linkers.isUp(n)) {
                return n;
            }
        }
        for (int n : node.transport.connectedNodes()) {
            if (node.linkers.isUp(n)) {
                return n;
            }
        }
        return 0;
    }

    CompletableFuture<Void> prefetch(SetState s, long objectId) {
        ObjectEntry e = s.objects.get(objectId);
        if (e != null) {
            synchronized (e) {
                if (e.state != ObjectState.INV_COPY) {
                    return CompletableFuture.completedFuture(null); // here already: no task, no message
                }
            }
        }
        return CompletableFuture.runAsync(() -> acquire(s, objectId, false, node.operationTimeout().toNanos(), false)
                .close(), node.prefetchers);
    }

    private static void checkObjectId(long objectId) {
        if (objectId < 0 || objectId > KddmSet.MAX_OBJECT_ID) {
            throw new IllegalArgumentException("object id must be 0.." + KddmSet.MAX_OBJECT_ID + ", not " + objectId);
        }
    }

    // ---- the owner/requester state machine -----------------------------------

    /**
     * The nodes that hold a copy of an object, its owner first: the home names
     * the owner, the owner its copyset. A snapshot for administrators, stale once
     * returned; a copy dropped by a flush stays listed until the next grab
     * invalidates it (see {@link Kind#DROPPED}). Empty if nobody holds it. While
     * the ownership moves, the node the home names may no longer own the object:
     * the question is asked again, with a growing pause, up to the operation timeout.
     * Row L5.
     */
    List<Integer> holders(SetState s, long objectId) {
        int home = node.home(s, objectId);
        byte[] payload = node.outbox.request(s.id, objectId, node.self, 0, null);
        long deadline = System.nanoTime() + node.operationTimeout().toNanos();
        for (long pause = 5; ; pause = Math.min(pause * 2, 200)) {
            byte[] owner = ask(home, Kind.WHO_OWNS, s, objectId, payload);
            if (owner.length == 0) {
                return List.of();
            }
            byte[] holders = ask(Byte.toUnsignedInt(owner[0]), Kind.WHO_HOLDS, s, objectId, payload);
            if (holders.length > 0) {
                List<Integer> out = new ArrayList<>();
                for (byte holder : holders) {
                    out.add(Byte.toUnsignedInt(holder));
                }
                return out;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new KddmException("object " + objectId + " kept changing owner while its holders were asked");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new KddmException("interrupted while asking who holds object " + objectId);
            }
        }
    }

    private byte[] ask(int to, Kind kind, SetState s, long objectId, byte[] payload) {
        return to == node.self ? node.dispatch.answer(kind, s, objectId)
                : node.outbox.call(to, kind, payload, "the question who " + (kind == Kind.WHO_OWNS ? "owns" : "holds"), objectId);
    }
}
