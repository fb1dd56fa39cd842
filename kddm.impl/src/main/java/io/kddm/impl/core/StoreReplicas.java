package io.kddm.impl.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.SetIds;
import io.kddm.api.transport.Inbound;
import io.kddm.impl.core.LocalOperations.Store;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * The replicated stores of disk-backed families whose IO linker stores each
 * object on several nodes (kDFS made with {@code --replicas 2} or {@code 3}),
 * as Gluster's replica sets: the acting home stores at a new version (S13),
 * then sends STORE to the other store nodes of the object's home in the view
 * and waits for them; a store node out of the view, or that does not answer,
 * is recorded by the linker as having missed the object (a heal index on disk)
 * before the store returns. From three store nodes a store needs a majority,
 * and every store node marks the others before it stores (S14, S15). While a
 * home is out of the view, the first of its store nodes in the view acts for
 * it ({@link Coherence#actingHome}), reading the objects from its replica.
 * Store nodes keep the newest version they are sent; {@link StoreHeal} heals
 * them from the index. Rows S1-S3, S8, S11, S13-S15.
 */
final class StoreReplicas {
    private static final Logger LOG = LoggerFactory.getLogger(StoreReplicas.class);
    /**
     * Most store nodes per home. From three on, a store needs a majority (S14) and every store node marks the
     * others as possibly missing it before it stores (S15), as Gluster AFR's pre-op: a healer need then be
     * neither the acting home nor awaited by it, versions (S13) ordering what it sends.
     */
    static final int MAX = 3;
    /** In a STORE's count, with the store kind: a heal (S4, S5), not a store of the acting home (S1). */
    static final int HEAL = 0x100;
    /**
     * In a STORE's count, with {@link #HEAL}: of a full heal (S10); the store node compares first, rewrites only
     * a copy that differs (or that it cannot read), and replies one byte: 1 if it rewrote it, 0 if not.
     */
    static final int CHECK = 0x200;
    /**
     * In a STORE's count: its bytes end with the {@link Version} of the value (S13), which the store node
     * records beside it; a store node keeping a newer one keeps it and acknowledges (stores and heals commute).
     */
    static final int VERSIONED = 0x400;
    /**
     * In a STORE's count (post-op, S15): its bytes are a version, then the ids of the store nodes known to have
     * stored the object at that version or later (4 bytes each); the receiver forgets its marks naming them,
     * unless it stored a newer version since (whose own marks they are).
     */
    static final int CLEAR = 0x800;

    private final Coherence node;
    /** One store or heal of an object at a time, here: striped by set and object. */
    private final Object[] stripes = new Object[64];
    /**
     * One write of an object to this node's store at a time, compared with the version stored (S13). Taken
     * inside {@link #stripes} and never around a wait for another node: a STORE taken here never waits for
     * this node's own stores, which wait for other nodes.
     */
    private final Object[] writes = new Object[64];

    StoreReplicas(Coherence node) {
        this.node = node;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
            writes[i] = new Object();
        }
    }

    Object stripe(long setId, long objectId) {
        return stripes[(int) Math.floorMod(setId * 31 + objectId, (long) stripes.length)];
    }

    Object write(long setId, long objectId) {
        return writes[(int) Math.floorMod(setId * 31 + objectId, (long) writes.length)];
    }

    /** The version of the object stored here; {@link Version#NONE} if its linker recorded none. */
    static Version storedVersion(IoLinker linker, SetState s, long objectId) {
        byte[] v = linker.storedVersion(s.context, objectId);
        return v == null || v.length < Version.BYTES ? Version.NONE : Wire.version(v, 0);
    }

    /**
     * The version stored here of an object of a disk-backed family: below it, a
     * backup or a read copy is no newer than the store, and is not promoted (R31);
     * {@link Version#NONE} for other families or a store that recorded none.
     *
     * @throws KddmException if its IO linker is away (asked again later)
     */
    Version storedHere(SetState s, long objectId) {
        if (!node.calls.diskBacked(s)) {
            return Version.NONE;
        }
        return storedVersion(node.calls.linker(s), s, objectId);
    }

    /**
     * The version a first touch from the store here gives the object: the one
     * stored (the store's value is that version's), or above the floor when the
     * store has nothing newer (made anew). So the versions of memory and of the
     * store are one sequence, and a backup is ordered against the store. Row S16.
     */
    private Version firstTouched(SetState s, long objectId, Version floor) {
        Version stored = storedHere(s, objectId);
        return stored.newerThan(floor) ? stored : floor.next(node.view.epoch());
    }

    /** A value read from the store here, and its version. */
    record Touched(byte[] value, Version version) {
    }

    /**
     * A first touch from the store here: the value and its version read under
     * the object's write lock, so that a heal landing meanwhile cannot pair one
     * store's value with another's version. Row S16.
     */
    Touched firstTouch(SetState s, long objectId, Version floor) {
        node.calls.awaitLinker(s); // (a linker being updated is waited for before the lock, not under it)
        synchronized (write(s.id, objectId)) {
            byte[] value = node.calls.firstTouch(s, objectId);
            return new Touched(value, firstTouched(s, objectId, floor));
        }
    }

    /**
     * Stores the object here as {@code kind} at {@code version}, unless the
     * version stored here is newer (S13); then records the version. Returns
     * whether it was stored. {@code version} null: stored unconditionally, no
     * version recorded (a STORE from a node that sends none).
     */
    private boolean writeHere(IoLinker linker, SetState s, long objectId, Store kind, byte[] value, Version version,
            List<Integer> mark) {
        synchronized (write(s.id, objectId)) {
            if (version != null && storedVersion(linker, s, objectId).newerThan(version)) {
                node.stats.storesKeptNewer.increment();
                return false;
            }
            for (int n : mark) { // S15: durably, before the store itself
                linker.missed(s.context, objectId, n);
            }
            kind.apply(linker, s.context, objectId, value);
            if (version != null && version.newerThan(Version.NONE)) { // (NONE: none recorded, as before)
                linker.storedAs(s.context, objectId, version.bytes(),
                        kind != Store.WRITE_BACK);
            }
            return true;
        }
    }

    /**
     * S16: a holder's store of a version older than the one stored at the acting
     * home is not written, and fails: either it comes late (its holder gave up
     * waiting and a newer value was stored since: nobody waits for this answer),
     * or the object's versions went apart, and the holder must not take its
     * value for stored (nor collect its backups).
     */
    private static KddmException keptNewer(SetState s, long objectId, Version given, Version stored) {
        LOG.warn("object {} of set {}: a store of version {} came after version {} was stored: not written", objectId,
                SetIds.format(s.id), given, stored);
        return new KddmException("object " + objectId + " of set " + SetIds.format(s.id) + " was not stored: its "
                + "home's store has version " + stored + ", newer than this value's " + given);
    }

    /**
     * How many store nodes of a group of {@code size} must have stored a store before it is acknowledged:
     * a majority from three on (S14); with two, one (availability first, as Gluster's replica 2 without
     * quorum: the heal index and the gate of S5 order the other).
     */
    static int quorum(int size) {
        return size <= 2 ? 1 : size / 2 + 1;
    }

    /**
     * Fails unless a quorum of the store nodes of the object's home is in the
     * view: with fewer, its acting home serves and stores nothing (the others may
     * have stores it lacks). To serve from its store ({@code serving}: a first
     * touch), only those that healed this node count; a store needs no heal (its
     * value comes from its holder, and its version is newer than any stored). Row S14.
     *
     * @throws KddmException naming the store nodes and the quorum
     */
    void requireQuorum(SetState s, long objectId, boolean serving) {
        int nominal = node.calls.home(s, objectId);
        requireQuorum(s, objectId, nominal, group(s, nominal), serving);
    }

    private void requireQuorum(SetState s, long objectId, int nominal, List<Integer> group, boolean serving) {
        int q = quorum(group.size()); // (1 for a store not replicated: its group is its home)
        if (q == 1) {
            return; // (this node)
        }
        // Only nodes that healed this one since it acts for the home (S5), or since they joined, count: a node
        // back while this one kept acting may hold what a majority acknowledged without it.
        java.util.Set<Integer> healed = node.view.epoch() == 0 || !serving ? null : s.healedBy.get(nominal);
        long in = group.stream().filter(n -> n == node.self || node.inView(n) && node.linkers.isUp(n)
                && (healed == null || healed.contains(n))).count();
        if (in < q) {
            throw new KddmException("object " + objectId + " of set " + SetIds.format(s.id) + " is stored on nodes "
                    + group + ", of which " + in + " in the view and heard from, fewer than its quorum of " + q
                    + ": not served until more of them are back (the others may hold stores it lacks)");
        }
    }

    /** Whether the set's family stores every object on more than one node. */
    boolean replicated(SetState s) {
        try {
            return node.calls.traits(s).firstTouchAtHome() && node.calls.linker(s).storeReplicas(s.context) > 1;
        } catch (KddmException away) {
            return false; // (its linker is being updated: routed to the nominal home meanwhile)
        }
    }

    /** The nodes storing the objects homed on {@code nominal}, it first; {@code [nominal]} if not replicated. */
    List<Integer> group(SetState s, int nominal) {
        if (!replicated(s)) {
            return List.of(nominal);
        }
        try {
            List<Integer> g = node.calls.linker(s).storeNodes(s.context, nominal);
            return g == null || g.isEmpty() ? List.of(nominal) : g.subList(0, Math.min(MAX, g.size()));
        } catch (KddmException away) {
            return List.of(nominal);
        }
    }

    /**
     * At the acting home: stores the object (or deletes it) here, then on the
     * other store nodes of its home; returns once each in the view has, or was
     * recorded as having missed it. {@code since}: {@link Coherence#excludedAt}
     * when the store was asked (a SYNC admitted, a handle taken): a store asked
     * of an incarnation that was taken out since, or of a home the view moved
     * since, is refused (its value may be older than what the next acting home
     * stored meanwhile). Rows S1, S2, S8.
     *
     * @throws KddmException if the store here, or a record of a miss, failed, or
     *                       this node no longer acts for the object: nothing was acknowledged
     */
    void store(SetState s, long objectId, Store kind, byte[] value, long since, Version given) {
        IoLinker linker = node.calls.awaitLinker(s);
        int nominal = node.calls.home(s, objectId);
        List<Integer> group = group(s, nominal);
        if (group.size() == 1) {
            if (given == null) {
                kind.apply(linker, s.context, objectId, value);
            } else if (!writeHere(linker, s, objectId, kind, value, given, List.of())) { // S16: kept beside it
                throw keptNewer(s, objectId, given, storedVersion(linker, s, objectId)); // (counted there)
            }
            return;
        }
        synchronized (stripe(s.id, objectId)) {
            if (node.excludedAt != since || node.home(s, objectId) != node.self) {
                throw new KddmException("node " + node.self + " no longer acts as home of object " + objectId
                        + " of set " + SetIds.format(s.id) + " (it was taken out of the cluster, or the view moved its "
                        + "home): not stored here, ask its acting home");
            }
            requireQuorum(s, objectId, nominal, group, false); // S14: (nothing stored yet)
            Version stored = storedVersion(linker, s, objectId);
            if (given != null && stored.newerThan(given)) {
                node.stats.storesKeptNewer.increment();
                throw keptNewer(s, objectId, given, stored);
            }
            // S16: the value's own version (memory and store are one sequence); else (S13) newer than any stored
            // here, and than any an earlier view's acting home gave it
            Version version = given != null ? given : stored.next(node.view.epoch());
            boolean marked = group.size() > 2; // S15: the others marked here first
            List<Integer> others = group.stream().filter(n -> n != node.self).toList();
            // here first: a failure here acknowledges nothing
            writeHere(linker, s, objectId, kind, value, version, marked ? others : List.of());
            byte[] sentBytes = Wire.copy(value == null ? Wire.EMPTY : value, version);
            Map<Integer, CompletableFuture<byte[]>> sent = new LinkedHashMap<>();
            List<Integer> missed = new ArrayList<>();
            for (int n : group) {
                if (n == node.self) {
                    continue;
                }
                if (node.inView(n) && node.linkers.isUp(n)) {
                    sent.put(n, node.transport.request(n, Kind.STORE.type(),
                            node.outbox.request(s.id, objectId, node.self, kind.ordinal() | VERSIONED, sentBytes),
                            node.operationTimeout()));
                } else {
                    missed.add(n);
                }
            }
            long deadline = System.nanoTime() + node.operationTimeout().toNanos();
            List<Integer> have = new ArrayList<>(List.of(node.self));
            for (Map.Entry<Integer, CompletableFuture<byte[]>> f : sent.entrySet()) {
                String failure = await(f.getKey(), f.getValue(), deadline);
                if (failure == null) {
                    have.add(f.getKey());
                } else {
                    LOG.warn("store node {} did not store object {} of set {}: {}: recorded for its heal", f.getKey(),
                            objectId, SetIds.format(s.id), failure);
                    missed.add(f.getKey());
                    int n = f.getKey(); // healed soon if it is in the view, else when it is back
                    node.later(() -> node.workers.execute(() -> node.heals.healAsHome(n)), 1000);
                }
            }
            if (node.excludedAt != since) {
                // S8: taken out meanwhile, the others acted without this node: what it stored here is stale, and
                // must not be recorded as missed elsewhere (it would be sent them as a heal). The acting home
                // of the next view has it recorded as missed here, and heals it.
                throw new KddmException("node " + node.self + " was taken out of the cluster while it stored object "
                        + objectId + " of set " + SetIds.format(s.id) + ": the store is void, ask its acting home");
            }
            for (int n : missed) {
                if (!marked) {
                    linker.missed(s.context, objectId, n);
                }
                node.stats.storesMissed.increment();
            }
            if (marked) {
                for (int n : have) {
                    if (n != node.self) {
                        linker.healed(s.context, objectId, n);
                    }
                }
                clearMarks(s, objectId, version, have, have);
            }
            if (have.size() < quorum(group.size())) {
                throw new KddmException("object " + objectId + " of set " + SetIds.format(s.id) + " was stored on "
                        + have + " only, of its store nodes " + group + ", fewer than its quorum of "
                        + quorum(group.size()) + ": not acknowledged (the others are recorded for their heal)");
            }
        }
    }

    /**
     * Post-op (S15): tells the store nodes {@code to} (but this one) that the
     * nodes {@code have} stored the object at {@code version}: their marks naming
     * them go. Not awaited: a mark left behind only costs a heal that changes nothing.
     */
    void clearMarks(SetState s, long objectId, Version version, List<Integer> have, List<Integer> to) {
        java.nio.ByteBuffer b = version.put(java.nio.ByteBuffer.allocate(Version.BYTES + 4 * have.size()));
        have.forEach(b::putInt);
        for (int n : to) {
            if (n != node.self && node.inView(n) && node.linkers.isUp(n)) {
                node.transport.request(n, Kind.STORE.type(), node.outbox.request(s.id, objectId, node.self,
                        Store.SYNC.ordinal() | CLEAR, b.array()), node.operationTimeout());
            }
        }
    }

    /**
     * Waits for a store node's answer: null once it stored, else why not; given
     * up as soon as the node leaves the view (a paused node's connection stays
     * open: its answer would only come after the deadline), or at {@code deadline}.
     */
    String await(int to, CompletableFuture<byte[]> answer, long deadline) {
        while (true) {
            try {
                answer.get(Math.max(1, Math.min(50_000_000L, deadline - System.nanoTime())), TimeUnit.NANOSECONDS);
                return null;
            } catch (java.util.concurrent.TimeoutException wait) {
                if (!node.inView(to) || !node.linkers.isUp(to)) {
                    return "node " + to + " left the view";
                }
                if (System.nanoTime() - deadline >= 0) {
                    return "no answer within " + node.operationTimeout().toMillis() + " ms";
                }
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
                return "interrupted";
            } catch (java.util.concurrent.ExecutionException failed) {
                return failed.getCause().toString();
            }
        }
    }

    /**
     * STORE from an acting home: this store node stores the object too. Taken
     * only from the node that acts for the object in the view installed here (a
     * heal also by the acting home this node is): a late STORE of an incarnation
     * taken out since must not overwrite what the next acting home stored. A
     * full heal's ({@link #CHECK}) is compared with the copy here first. Rows S3, S8, S11.
     */
    void onStore(Inbound in, Message m) {
        SetState s = node.known(m.setId()); // a well-known set never opened here is opened (kDFS: a file's)
        Store kind = Store.of(m.count() & ~(HEAL | CHECK | VERSIONED | CLEAR));
        if (s == null || kind == null) {
            in.fail(s == null ? "set " + SetIds.format(m.setId()) + " is unknown on node " + node.self
                    : "STORE of object " + m.objectId() + " asks an unknown store kind " + m.count());
            return;
        }
        if ((m.count() & CLEAR) != 0) { // (from any store node: onClear's version check makes it safe)
            node.storeWorkers.execute(() -> {
                try {
                    onClear(node.calls.awaitLinker(s), s, m);
                    in.reply(Wire.EMPTY);
                } catch (RuntimeException ex) {
                    in.fail(ex.toString());
                }
            });
            return;
        }
        String refused = refused(s, m, in.sender());
        if (refused != null) {
            in.fail(refused);
            return;
        }
        node.storeWorkers.execute(() -> { // (not the workers: their stores may be what waits for this one)
            admitted.readLock().lock();
            try {
                // Again, fenced: a STORE admitted in the view before is either written before a CLAIMS of the
                // next view is answered here (its mark then healed, S5), or refused.
                String late = refused(s, m, in.sender());
                if (late != null) {
                    in.fail(late);
                    return;
                }
                IoLinker linker = node.calls.awaitLinker(s);
                Wire.Versioned v = Wire.versioned(m.bytes(), (m.count() & VERSIONED) != 0);
                byte[] value = v.value();
                Version version = v.version();
                if ((m.count() & CHECK) != 0) {
                    // (a copy alike but at another version is rewritten too: replicas end alike, versions included)
                    boolean rewritten = !(same(linker, s, m.objectId(), value) && (version == null
                            || version.equals(storedVersion(linker, s, m.objectId()))))
                            && writeHere(linker, s, m.objectId(), kind, value, version, List.of());
                    in.reply(new byte[] {(byte) (rewritten ? 1 : 0)});
                    return;
                }
                // S15: a store (not a heal: its sender keeps its record) marks the others here first
                List<Integer> mark = List.of();
                if ((m.count() & HEAL) == 0 && version != null) {
                    List<Integer> group = group(s, node.calls.home(s, m.objectId()));
                    if (group.size() > 2) {
                        mark = group.stream().filter(n -> n != node.self && n != in.sender()).toList();
                    }
                }
                writeHere(linker, s, m.objectId(), kind, value, version, mark);
                in.reply(Wire.EMPTY);
            } catch (RuntimeException ex) {
                in.fail(ex.toString());
            } finally {
                admitted.readLock().unlock();
            }
        });
    }

    /** Why a STORE from {@code sender} is refused in the view installed here (S8); null if it is taken. */
    private String refused(SetState s, Message m, int sender) {
        int acting = node.home(s, m.objectId());
        if (acting != sender && !((m.count() & HEAL) != 0 && acting == node.self)) {
            return "node " + sender + " does not act as home of object " + m.objectId() + " of set "
                    + SetIds.format(s.id) + " in the view installed on node " + node.self + " (node " + acting
                    + " does): STORE refused";
        }
        return null;
    }

    /** Every STORE being written here holds it to read; {@link #fence} waits for them. */
    private final java.util.concurrent.locks.ReentrantReadWriteLock admitted =
            new java.util.concurrent.locks.ReentrantReadWriteLock(true);

    /**
     * Returns once every STORE admitted before is written (its marks with it), or
     * refused: called before the heal of S5, in a view where those STOREs' sender
     * may no longer act for their objects.
     */
    void fence() {
        admitted.writeLock().lock();
        admitted.writeLock().unlock();
    }

    /**
     * CLEAR (post-op, S15): the nodes it names stored the object at its version
     * or later; the marks naming them go here, unless a newer version was stored
     * here since (its marks are its own).
     */
    private void onClear(IoLinker linker, SetState s, Message m) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(m.bytes());
        Version version = Version.get(b);
        synchronized (write(s.id, m.objectId())) {
            if (storedVersion(linker, s, m.objectId()).newerThan(version)) {
                return;
            }
            while (b.remaining() >= 4) {
                int n = b.getInt();
                if (n != node.self) {
                    linker.healed(s.context, m.objectId(), n);
                }
            }
        }
    }

    /** Whether the copy stored here is {@code value}; not if it cannot be read (damaged: the heal rewrites it). */
    private boolean same(IoLinker linker, SetState s, long objectId, byte[] value) {
        try {
            byte[] here = linker.firstTouch(s.context, objectId);
            return Arrays.equals(here == null ? Wire.EMPTY : here, value);
        } catch (RuntimeException unreadable) {
            LOG.info("the copy of object {} of set {} stored here cannot be read ({}): rewritten by the full heal",
                    objectId, SetIds.format(s.id), unreadable.toString());
            return false;
        }
    }
}
