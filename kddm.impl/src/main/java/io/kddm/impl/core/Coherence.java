package io.kddm.impl.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.NodeDeadException;
import io.kddm.api.set.ObjectLostException;
import io.kddm.api.set.ObjectTooLargeException;
import io.kddm.api.set.OperationTimeoutException;
import io.kddm.api.set.SetIds;
import io.kddm.api.set.UnknownSetException;
import io.kddm.api.transport.Inbound;
import io.kddm.api.transport.NodeUnreachableException;
import io.kddm.api.transport.Transport;
import io.kddm.impl.core.ManagerEntry.Request;
import io.kddm.impl.core.ObjectEntry.Forward;
import io.kddm.impl.core.ObjectEntry.Item;
import io.kddm.impl.core.ObjectEntry.State;
import io.kddm.impl.core.ObjectEntry.Waiter;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * The coherence protocol of one node: single writer, multiple readers,
 * invalidation on write (IVY's fixed distributed manager, as in Kerrighed).
 * <p>
 * Three roles per object: the <b>home</b> ({@link ManagerEntry}) knows the
 * owner and serves requests one at a time; the <b>owner</b> holds the
 * up-to-date value and the copyset; <b>copy holders</b> hold read copies.
 * {@link ObjectEntry} has the state table. A grab completes only when the new
 * owner has the value and an acknowledgement from every former copy holder;
 * copy holders acknowledge only once their local readers are gone. So a value is
 * never read after a later write has completed: the protocol is linearizable
 * per object.
 * <p>
 * Messages are handled on transport threads and never block there: linker
 * calls that may block (first touch, sync) run on a worker. Messages to this
 * node itself go through a single-thread executor, never by re-entering a
 * handler.
 */
public final class Coherence {
    private static final Logger LOG = LoggerFactory.getLogger(Coherence.class);

    /** What the protocol needs from the registry of families and linkers. */
    public interface Linkers {
        /** @throws io.kddm.api.set.UnknownFamilyException if not registered here */
        SetFamily family(String name);

        /** @throws io.kddm.api.set.LinkerMissingException if not available here */
        IoLinker ioLinker(String id);

        /** Whether the node is up as far as membership knows. */
        boolean isUp(int node);

        /**
         * The family's traits as it was last registered here (also while it is
         * away: a home keeps serving other nodes while the family's bundle is updated).
         *
         * @throws io.kddm.api.set.UnknownFamilyException if it never was
         */
        default FamilyTraits traits(String family) {
            return FamilyTraits.of(family(family));
        }

        /**
         * Whether the IO linker with this id, as last registered here, sends the
         * canonical bytes as they are (does not override export and import): then
         * objects keep moving while it is being replaced.
         */
        default boolean plainWire(String ioLinker) {
            return false;
        }

        /** {@link #family}, but waits (bounded) for one that is being replaced. */
        default SetFamily awaitFamily(String name) {
            return family(name);
        }

        /** {@link #ioLinker}, but waits (bounded) for one that is being replaced. */
        default IoLinker awaitIoLinker(String id) {
            return ioLinker(id);
        }

        /**
         * Opens the well-known set {@code setId} if a family registered here
         * claims it ({@link io.kddm.api.linker.SetFamily#wellKnownSets}); null if none does.
         */
        default SetState openClaimed(long setId) {
            return null;
        }
    }

    private final Transport transport;
    private final Linkers linkers;
    private final int self;
    private final Duration operationTimeout;
    private final MemoryBudget budget;
    private final Stats stats = new Stats();
    private final Map<Long, SetState> sets = new ConcurrentHashMap<>();
    private final ExecutorService loopback;
    private final ExecutorService workers;
    /** Prefetches block while their object comes: never on the workers, which first touches need. */
    private final ExecutorService prefetchers;

    public Coherence(Transport transport, Linkers linkers, Duration operationTimeout, long memoryBudget) {
        this.transport = transport;
        this.linkers = linkers;
        this.self = transport.localNode();
        this.operationTimeout = operationTimeout;
        this.budget = new MemoryBudget(memoryBudget);
        this.loopback = Executors.newSingleThreadExecutor(r -> daemon(r, "kddm-loopback-" + self));
        this.workers = Executors.newFixedThreadPool(4, r -> daemon(r, "kddm-worker-" + self));
        this.prefetchers = Executors.newFixedThreadPool(4, r -> daemon(r, "kddm-prefetch-" + self));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Hands every object this node owns to another node, so that leaving loses
     * nothing; waits at most {@code limit}. Returns how many objects stayed here.
     */
    public int evacuate(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        List<long[]> owned = new ArrayList<>();
        for (SetState s : sets.values()) {
            for (ObjectEntry e : s.objects.values()) {
                synchronized (e) {
                    if (e.state.owner()) {
                        owned.add(new long[] {s.id, e.objectId});
                    }
                }
            }
        }
        List<long[]> handed = new ArrayList<>();
        for (long[] o : owned) {
            try {
                if (flush(sets.get(o[0]), o[1])) {
                    handed.add(o);
                }
            } catch (RuntimeException ex) {
                LOG.debug("handing off object {} failed: {}", o[1], ex.toString());
            }
        }
        int kept = owned.size() - handed.size();
        owned = handed;
        int left = owned.size();
        while (System.nanoTime() < deadline) {
            left = 0;
            for (long[] o : owned) {
                ObjectEntry e = sets.get(o[0]).objects.get(o[1]);
                synchronized (e) {
                    if (e.state.owner()) {
                        left++;
                    }
                }
            }
            if (left == 0) {
                break;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return kept + left;
    }

    public void close() {
        loopback.shutdownNow();
        workers.shutdownNow();
        prefetchers.shutdownNow();
        for (SetState s : sets.values()) {
            abandon(s, new KddmException("kDDM is stopping on node " + self));
        }
    }

    /** The set is gone from this node: every waiter fails. */
    private void abandon(SetState s, RuntimeException failure) {
        s.destroyed = true;
        for (ObjectEntry e : s.objects.values()) {
            synchronized (e) {
                failAll(e, failure);
                hold(e, null); // its bytes no longer count against the budget
            }
        }
    }

    public Stats stats() {
        return stats;
    }

    /** Bytes of object copies held on this node. */
    public long heldBytes() {
        return budget.held();
    }

    /** The memory budget in bytes, 0 for none. */
    public long memoryBudget() {
        return budget.limit();
    }

    public int localNode() {
        return self;
    }

    public Duration operationTimeout() {
        return operationTimeout;
    }

    // ---- sets ---------------------------------------------------------------

    SetState addSet(long id, String family, List<Integer> nodes) {
        return sets.computeIfAbsent(id, k -> new SetState(id, family, nodes, self));
    }

    SetState set(long id) {
        return sets.get(id);
    }

    /**
     * The set a request to its home is about: known here, or a well-known set a
     * family claims, opened now. Only requests that may come first (a get, a grab,
     * a store) open one: any other message about a set this node does not know
     * is late (the set was destroyed here), and must not bring it back.
     */
    private SetState known(long id) {
        SetState s = sets.get(id);
        return s == null && SetIds.wellKnown(id) ? linkers.openClaimed(id) : s;
    }

    Iterable<SetState> allSets() {
        return sets.values();
    }

    void dropSet(long id) {
        SetState s = sets.remove(id);
        if (s != null) {
            abandon(s, new UnknownSetException("set " + SetIds.format(id) + " was destroyed"));
        }
    }

    private FamilyTraits traits(SetState s) {
        return linkers.traits(s.family);
    }

    private IoLinker linker(SetState s) {
        return linkers.ioLinker(traits(s).ioLinker());
    }

    /** The IO linker, waiting (bounded) for one being updated: for kDDM's worker threads and callers' threads only. */
    private IoLinker awaitLinker(SetState s) {
        return linkers.awaitIoLinker(linkers.awaitFamily(s.family).ioLinker());
    }

    int home(SetState s, long objectId) {
        HomePolicy policy = traits(s).home();
        // LINKER homes are asked of the linker each time: they need it present.
        int choice = policy == HomePolicy.LINKER ? linker(s).defaultOwner(s.context, objectId) : -1;
        return s.home(policy, objectId, choice);
    }

    // ---- local operations ---------------------------------------------------

    /**
     * Blocks until the object is held here in the wanted mode.
     *
     * @param timeoutNanos how long to wait
     * @param quiet        on timeout return null instead of throwing
     */
    Handle acquire(SetState s, long objectId, boolean write, long timeoutNanos, boolean quiet) {
        checkObjectId(objectId);
        if (s.destroyed) {
            throw new UnknownSetException("set " + SetIds.format(s.id) + " was destroyed");
        }
        // A linker bundle being updated is waited for (bounded); one that is gone fails fast.
        SetFamily f = linkers.awaitFamily(s.family);
        linkers.awaitIoLinker(f.ioLinker());
        (write ? stats.grabs : stats.gets).increment();
        long start = System.nanoTime();
        ObjectEntry e = s.entry(objectId);
        Waiter w = new Waiter(write);
        synchronized (e) {
            e.queue.add(w);
            boolean hit = e.queue.size() == 1 && e.state != State.INVALID;
            serve(s, e);
            if (!w.done()) {
                stats.queueWaits.increment();
                hit = false;
            }
            long deadline = start + timeoutNanos;
            while (!w.done()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    e.queue.remove(w);
                    serve(s, e);
                    stats.timeouts.increment();
                    if (quiet) {
                        return null;
                    }
                    throw new OperationTimeoutException((write ? "grab" : "get") + " of object " + objectId
                            + " in set " + SetIds.format(s.id) + " did not complete within "
                            + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(e, left);
                } catch (InterruptedException ie) {
                    e.queue.remove(w);
                    serve(s, e);
                    Thread.currentThread().interrupt();
                    throw new KddmException("interrupted while waiting for object " + objectId);
                }
            }
            if (w.failure != null) {
                stats.failures.increment();
                throw w.failure;
            }
            if (hit) {
                stats.localHits.increment();
            }
            e.lastUse = start;
            e.handedIn = false;
            (write ? stats.grabLatency : stats.getLatency).record(System.nanoTime() - start);
            return new Handle(this, s, e, write, f.maxObjectSize(), e.value);
        }
    }

    void release(Handle h) {
        SetState s = h.set;
        ObjectEntry e = h.entry;
        synchronized (e) {
            if (h.write) {
                e.writers--;
            } else {
                e.readers--;
            }
            if (s.destroyed) {
                return; // its objects were dropped (and their waiters failed): nothing to publish
            }
            if (h.write) {
                if (h.changed) {
                    hold(e, h.newValue);
                }
                tell(s, l -> l.put(s.context, e.objectId, e.value));
            }
            serve(s, e);
        }
    }

    Optional<byte[]> find(SetState s, long objectId) {
        ObjectEntry e = s.objects.get(objectId);
        if (e == null) {
            return Optional.empty();
        }
        synchronized (e) {
            return e.state == State.INVALID || e.value == null ? Optional.empty()
                    : Optional.of(Arrays.copyOf(e.value, e.value.length));
        }
    }

    void remove(SetState s, long objectId) {
        Handle h = acquire(s, objectId, true, operationTimeout.toNanos(), false);
        ObjectEntry e = h.entry;
        int home = home(s, objectId);
        if (home != self && touchesAtHome(s)) {
            try {
                // The store is the home's, and a first touch there must not find the object again.
                atHome(s, objectId, null, "removal");
            } catch (RuntimeException ex) {
                h.close();
                throw ex;
            }
        }
        synchronized (e) {
            e.writers--;
            tell(s, l -> l.remove(s.context, objectId));
            e.state = State.INVALID;
            hold(e, null);
            e.copyset.clear();
            // Forwards waiting here are restarted by the home, which now has no owner.
            e.queue.removeIf(i -> i instanceof Forward);
            send(home, Kind.REMOVED, s.id, objectId, self, 0, null);
            serve(s, e);
        }
    }

    /**
     * Writes the object back while holding it read-locked. A disk-backed family's
     * store is at the object's home, so the bytes go there.
     */
    void sync(SetState s, long objectId) {
        try (Handle h = acquire(s, objectId, false, operationTimeout.toNanos(), false)) {
            if (home(s, objectId) == self || !touchesAtHome(s)) {
                awaitLinker(s).sync(s.context, objectId, h.current());
            } else {
                atHome(s, objectId, h.current(), "sync");
            }
        }
    }

    /** Asks the object's home to store {@code value} (null: delete it) and waits until it has. */
    private void atHome(SetState s, long objectId, byte[] value, String what) {
        int home = home(s, objectId);
        call(home, Kind.SYNC, Wire.encode(s.id, objectId, self, value == null ? 1 : 0, value), "the " + what
                + " at its home", objectId);
    }

    /**
     * Drops the local copy. A read copy is simply dropped (see Kind.DROPPED); an
     * owner hands the object to another node through the home, or keeps it if
     * no other node is up (after writing it back through the linker).
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
            if (e.state == State.READ_COPY) {
                dropCopy(s, e); // silently: see Kind.DROPPED
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
            sync(s, objectId); // alone in the cluster: the object stays here, written back
        }
        return false;
    }

    /** Asks the home to move an owned object to another node that is up; false if none can take it. */
    private boolean handOff(SetState s, ObjectEntry e) {
        int target = handoffTarget(s, e);
        int home = home(s, e.objectId);
        if (target == 0 || !linkers.isUp(home)) {
            return false;
        }
        stats.handoffs.increment();
        return send(home, Kind.HANDOFF_REQ, s.id, e.objectId, target, 0, null);
    }

    private int handoffTarget(SetState s, ObjectEntry e) {
        synchronized (e) {
            for (int n : e.copyset) {
                if (linkers.isUp(n)) {
                    return n;
                }
            }
        }
        for (int n : s.nodes) {
            if (n != self && linkers.isUp(n)) {
                return n;
            }
        }
        for (int n : transport.connectedNodes()) {
            if (linkers.isUp(n)) {
                return n;
            }
        }
        return 0;
    }

    CompletableFuture<Void> prefetch(SetState s, long objectId) {
        ObjectEntry e = s.objects.get(objectId);
        if (e != null) {
            synchronized (e) {
                if (e.state != State.INVALID) {
                    return CompletableFuture.completedFuture(null); // here already: no task, no message
                }
            }
        }
        return CompletableFuture.runAsync(() -> acquire(s, objectId, false, operationTimeout.toNanos(), false)
                .close(), prefetchers);
    }

    private static void checkObjectId(long objectId) {
        if (objectId < 0 || objectId > KddmSet.MAX_OBJECT_ID) {
            throw new IllegalArgumentException("object id must be 0.." + KddmSet.MAX_OBJECT_ID + ", not " + objectId);
        }
    }

    // ---- the owner/requester state machine -----------------------------------

    /** Serves the queue's head items while the state allows. Called holding the entry's monitor. */
    private void serve(SetState s, ObjectEntry e) {
        if (e.homeDown && e.readers == 0 && e.writers == 0 && e.state != State.INVALID) {
            dropCopy(s, e);
        }
        boolean granted = false;
        boolean exclusive = localExclusion(s);
        while (!e.queue.isEmpty()) {
            Item head = e.queue.peek();
            if (head instanceof Waiter w) {
                if (!w.write) {
                    if (e.readable() && (e.writers == 0 || !exclusive)) {
                        e.readers++;
                        w.granted = true;
                        e.queue.poll();
                        granted = true;
                        continue;
                    }
                    if ((e.state == State.INVALID || e.homeDown) && !e.requested && e.incoming == null) {
                        request(s, e, false);
                    }
                    break;
                }
                boolean free = e.readers == 0 && (e.writers == 0 || !exclusive);
                if (e.state == State.WRITE_OWNER && !e.upgrading && !e.homeDown && free) {
                    e.writers++;
                    w.granted = true;
                    e.queue.poll();
                    granted = true;
                    continue;
                }
                if (e.state == State.READ_OWNER && !e.upgrading && !e.homeDown && free) {
                    if (e.copyset.isEmpty()) {
                        e.state = State.WRITE_OWNER;
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
            if (!e.state.owner() || e.upgrading) {
                break;
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
                e.state = State.READ_OWNER;
                e.copyset.add(f.requester());
                send(f.requester(), Kind.COPY, s.id, e.objectId, self, 0, export(s, e));
            }
        }
        if (e.invalidateAckTo != 0 && e.readers == 0 && e.writers == 0) {
            int ackTo = e.invalidateAckTo;
            e.invalidateAckTo = 0;
            dropCopy(s, e);
            send(ackTo, Kind.INV_ACK, s.id, e.objectId, self, 0, null);
            if (!e.queue.isEmpty()) {
                serve(s, e);
                return;
            }
        }
        if (granted) {
            e.notifyAll();
        }
    }

    private boolean localExclusion(SetState s) {
        try {
            return traits(s).localExclusion();
        } catch (KddmException missing) {
            return true;
        }
    }

    /** Asks the home for a copy or the ownership. Called holding the entry's monitor. */
    private void request(SetState s, ObjectEntry e, boolean write) {
        int home;
        try {
            home = home(s, e.objectId);
        } catch (KddmException ex) {
            failAll(e, ex);
            return;
        }
        if (!linkers.isUp(home)) {
            failAll(e, new NodeDeadException("the home of object " + e.objectId + ", node " + home + ", is down"));
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
        stats.remoteFetches.increment();
        if (!send(home, write ? Kind.GRAB_REQ : Kind.GET_REQ, s.id, e.objectId, self, 0, null)) {
            e.requested = false;
            failAll(e, new NodeDeadException("cannot reach node " + home + ", the home of object " + e.objectId));
        }
    }

    /** Owner with copies wants to write: invalidate them first. */
    private void upgrade(SetState s, ObjectEntry e) {
        stats.ownerUpgrades.increment();
        e.upgrading = true;
        e.awaiting.clear();
        for (int n : e.copyset) {
            e.awaiting.add(n);
            stats.invalidationsSent.increment();
            if (!send(n, Kind.INV, s.id, e.objectId, self, 0, null)) {
                e.awaiting.remove(n);
            }
        }
        e.copyset.clear();
        if (e.awaiting.isEmpty()) {
            e.upgrading = false;
            e.state = State.WRITE_OWNER;
        }
    }

    /** Gives the ownership to {@code to}; every other copy acknowledges its invalidation to {@code to}. */
    private void handOver(SetState s, ObjectEntry e, int to, boolean handoff) {
        List<Integer> ackers = new ArrayList<>();
        for (int n : e.copyset) {
            if (n != to) {
                ackers.add(n);
            }
        }
        byte[] value = export(s, e);
        int[] list = ackers.stream().mapToInt(Integer::intValue).toArray();
        send(to, Kind.OWNERSHIP, s.id, e.objectId, handoff ? 1 : 0, value.length, Wire.ownership(value, list));
        for (int n : ackers) {
            stats.invalidationsSent.increment();
            send(n, Kind.INV, s.id, e.objectId, to, 0, null);
        }
        e.copyset.clear();
        dropCopy(s, e);
    }

    /** Holding the monitor: the copy's bytes are now {@code value}; may start a flushing pass. */
    private void hold(ObjectEntry e, byte[] value) {
        budget.changed(e.value, value);
        e.value = value;
        if (budget.startPass()) {
            try {
                workers.execute(this::flushPass);
            } catch (RejectedExecutionException stopping) {
                budget.passDone(true);
            }
        }
    }

    /**
     * Over the memory budget: flushes idle objects, least recently used first,
     * read copies before owned objects, until the node is back under 90 % of it.
     */
    private void flushPass() {
        boolean freedEnough = false;
        try {
            record Held(SetState set, ObjectEntry entry, long lastUse, boolean copy) {
            }
            List<Held> held = new ArrayList<>();
            for (SetState s : sets.values()) {
                for (ObjectEntry e : s.objects.values()) {
                    synchronized (e) {
                        if (e.state != State.INVALID && e.idle()) {
                            held.add(new Held(s, e, e.lastUse, e.state == State.READ_COPY));
                        }
                    }
                }
            }
            held.sort(Comparator.comparing((Held h) -> !h.copy).thenComparingLong(Held::lastUse));
            long expected = budget.held();
            long target = budget.limit() - budget.limit() / 10;
            for (Held h : held) {
                if (expected <= target) {
                    break;
                }
                expected -= evict(h.set, h.entry);
            }
            freedEnough = expected <= target;
        } catch (RuntimeException ex) {
            LOG.warn("flushing over the memory budget failed", ex);
        } finally {
            budget.passDone(freedEnough);
        }
    }

    /**
     * Frees one idle object for the memory budget; returns the bytes it frees (now
     * or once a handoff completes), 0 if it stays.
     * <ul>
     * <li>a read copy is dropped (its owner keeps the object);</li>
     * <li>an owned object of a disk-backed family ({@code firstTouchAtHome}) that
     * has no other copy is written back and dropped: the home touches it anew from
     * the store;</li>
     * <li>any other owned object is handed to another node, unless it came here by
     * a handoff and was not used since (moving it on would only bounce it between
     * full nodes), or no other node is up: then it stays.</li>
     * </ul>
     */
    int evict(SetState s, ObjectEntry e) {
        int size;
        synchronized (e) {
            if (!e.idle() || e.state == State.INVALID || e.value == null || e.homeDown) {
                return 0;
            }
            size = e.value.length;
            if (e.state == State.READ_COPY) {
                dropCopy(s, e); // silently: see Kind.DROPPED
                stats.budgetFlushes.increment();
                return size;
            }
            boolean diskBacked;
            try {
                diskBacked = touchesAtHome(s);
            } catch (KddmException unknownHere) {
                return 0; // handed here from a family never registered here: kept
            }
            if (e.copyset.isEmpty() && diskBacked) {
                return writeBack(s, e) ? size : 0; // to the store: it cannot bounce between full nodes
            }
            if (e.handedIn) {
                return 0;
            }
        }
        // (Not flush(): alone in the cluster, it would sync the object on every pass, and keep it.)
        if (handOff(s, e)) {
            stats.budgetFlushes.increment();
            return size;
        }
        return 0;
    }

    /**
     * Holding the monitor of an idle sole owner: asks the home to let it write
     * the object back. The home queues this like any request, so that no
     * forward is on its way here when the object is dropped.
     */
    private boolean writeBack(SetState s, ObjectEntry e) {
        int home = home(s, e.objectId);
        return linkers.isUp(home) && send(home, Kind.WRITEBACK_REQ, s.id, e.objectId, self, 0, null);
    }

    /** The home's go-ahead: the object goes to the home's store, unless it is in use here again. */
    private void ownerWriteBack(SetState s, long objectId) {
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            int home = home(s, objectId);
            if (e.state.owner() && e.idle() && e.copyset.isEmpty()) {
                send(home, Kind.WRITTEN_BACK, s.id, objectId, self, 0, export(s, e));
                dropCopy(s, e);
                stats.budgetFlushes.increment();
            } else {
                send(home, Kind.DONE, s.id, objectId, 0, 0, null); // kept: used again meanwhile
            }
        }
    }

    private void dropCopy(SetState s, ObjectEntry e) {
        e.state = State.INVALID;
        hold(e, null);
        tell(s, l -> l.invalidate(s.context, e.objectId));
    }

    private byte[] export(SetState s, ObjectEntry e) {
        byte[] v = e.value;
        return wire(s, l -> l.export(s.context, e.objectId, v), v);
    }

    private byte[] importValue(SetState s, long objectId, byte[] wire) {
        return wire(s, l -> l.importObject(s.context, objectId, wire), wire);
    }

    /**
     * Canonical bytes to or from the wire. Without the linker (its bundle is
     * being updated) the bytes go as they are, if that is what the linker did;
     * otherwise the message fails rather than carry bytes in the wrong form.
     */
    private byte[] wire(SetState s, Function<IoLinker, byte[]> call, byte[] plain) {
        try {
            byte[] out = call.apply(linker(s));
            return out == null ? plain : out;
        } catch (KddmException missing) {
            if (linkers.plainWire(traits(s).ioLinker())) {
                stats.linkerSkips.increment();
                return plain;
            }
            throw missing;
        }
    }

    /**
     * A linker notification whose failure must not break the protocol: logged.
     * Notifications meant for a linker being updated are skipped and counted.
     */
    private void tell(SetState s, Consumer<IoLinker> call) {
        IoLinker l;
        try {
            l = linker(s);
        } catch (KddmException missing) {
            stats.linkerSkips.increment();
            return;
        }
        try {
            call.accept(l);
        } catch (RuntimeException ex) {
            LOG.warn("IO linker of set {} failed: {}", SetIds.format(s.id), ex.toString());
        }
    }

    private void failAll(ObjectEntry e, RuntimeException failure) {
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

    // ---- messages -----------------------------------------------------------

    /** Sends, or queues for this node; false if the node cannot be reached. */
    private boolean send(int node, Kind kind, long setId, long objectId, int about, int count, byte[] bytes) {
        byte[] payload = Wire.encode(setId, objectId, about, count, bytes);
        if (node == self) {
            loopback.execute(() -> handle(self, kind.type(), payload));
            return true;
        }
        try {
            transport.send(node, kind.type(), payload);
            return true;
        } catch (NodeUnreachableException ex) {
            LOG.debug("{} for object {} not sent: {}", kind, objectId, ex.getMessage());
            return false;
        }
    }

    private void sendLost(int node, long setId, long objectId, String reason) {
        send(node, Kind.LOST, setId, objectId, self, 0, reason.getBytes(StandardCharsets.UTF_8));
    }

    /** The transport handler of every kDDM object message. */
    public void onMessage(Inbound in) {
        if (in.type() == Kind.SYNC.type()) {
            homeSync(in);
        } else if (in.type() == Kind.WHO_OWNS.type() || in.type() == Kind.WHO_HOLDS.type()) {
            answerHolders(in);
        } else {
            handle(in.sender(), in.type(), in.payload());
        }
    }

    /**
     * The nodes that hold a copy of an object, its owner first: the home names
     * the owner, the owner its copyset. A snapshot for administrators, stale once
     * returned; a copy dropped by a flush stays listed until the next grab
     * invalidates it (see {@link Kind#DROPPED}). Empty if nobody holds it. While
     * the ownership moves, the node the home names may no longer own the object:
     * the question is asked again, with a growing pause, up to the operation timeout.
     */
    List<Integer> holders(SetState s, long objectId) {
        int home = home(s, objectId);
        byte[] payload = Wire.encode(s.id, objectId, self, 0, null);
        long deadline = System.nanoTime() + operationTimeout.toNanos();
        for (long pause = 5; ; pause = Math.min(pause * 2, 200)) {
            byte[] owner = ask(home, Kind.WHO_OWNS, s, objectId, payload);
            if (owner.length == 0) {
                return List.of();
            }
            byte[] holders = ask(Byte.toUnsignedInt(owner[0]), Kind.WHO_HOLDS, s, objectId, payload);
            if (holders.length > 0) {
                List<Integer> out = new ArrayList<>();
                for (byte node : holders) {
                    out.add(Byte.toUnsignedInt(node));
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

    private byte[] ask(int node, Kind kind, SetState s, long objectId, byte[] payload) {
        return node == self ? answer(kind, s, objectId)
                : call(node, kind, payload, "the question who " + (kind == Kind.WHO_OWNS ? "owns" : "holds"), objectId);
    }

    /** A request to {@code node} and its reply; a failure is a KddmException naming {@code what}. */
    private byte[] call(int node, Kind kind, byte[] payload, String what, long objectId) {
        try {
            return transport.request(node, kind.type(), payload, operationTimeout).get();
        } catch (ExecutionException ex) {
            throw new KddmException(what + " of object " + objectId + " at node " + node + " failed: "
                    + ex.getCause().getMessage(), ex.getCause());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new KddmException("interrupted during " + what + " of object " + objectId);
        }
    }

    /** A question about a set never opened here has the answer "nobody": it opens nothing. */
    private void answerHolders(Inbound in) {
        try {
            Message m = Wire.decode(in.type(), in.payload());
            SetState s = sets.get(m.setId());
            in.reply(s == null ? Wire.EMPTY : answer(Kind.of(in.type()), s, m.objectId()));
        } catch (RuntimeException ex) {
            in.fail(ex.getMessage());
        }
    }

    /**
     * WHO_OWNS: the owner the home knows (one byte), none if empty. WHO_HOLDS:
     * this node then its copyset (a byte each) if it owns the object, else nothing.
     */
    private byte[] answer(Kind kind, SetState s, long objectId) {
        if (kind == Kind.WHO_OWNS) {
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
        ObjectEntry e = s.objects.get(objectId);
        if (e != null) {
            synchronized (e) {
                if (e.state.owner()) {
                    byte[] out = new byte[1 + e.copyset.size()];
                    out[0] = (byte) self;
                    int i = 1;
                    for (int node : e.copyset) {
                        out[i++] = (byte) node;
                    }
                    return out;
                }
            }
        }
        return Wire.EMPTY;
    }

    /** A holder of a disk-backed object asks its home to store it, or delete it: the store is the home's. */
    private void homeSync(Inbound in) {
        Message m;
        try {
            m = Wire.decode(in.type(), in.payload());
        } catch (IllegalArgumentException ex) {
            in.fail(ex.getMessage());
            return;
        }
        SetState s = known(m.setId());
        if (s == null) {
            in.fail("set " + SetIds.format(m.setId()) + " is unknown on node " + self);
            return;
        }
        workers.execute(() -> {
            try {
                if (m.count() == 1) {
                    awaitLinker(s).remove(s.context, m.objectId());
                } else {
                    awaitLinker(s).sync(s.context, m.objectId(), m.bytes());
                }
                in.reply(new byte[0]);
            } catch (RuntimeException ex) {
                in.fail(ex.toString());
            }
        });
    }

    private void handle(int sender, int type, byte[] payload) {
        Message m;
        try {
            m = Wire.decode(type, payload);
        } catch (IllegalArgumentException ex) {
            LOG.warn("dropping malformed kDDM message from node {}: {}", sender, ex.getMessage());
            return;
        }
        boolean first = m.kind() == Kind.GET_REQ || m.kind() == Kind.GRAB_REQ;
        SetState s = first ? known(m.setId()) : sets.get(m.setId());
        if (s == null) {
            LOG.debug("{} from node {} for unknown set {}", m.kind(), sender, m.setId());
            if (first) {
                sendLost(sender, m.setId(), m.objectId(), "set unknown at its home");
            }
            return;
        }
        try {
            switch (m.kind()) {
                case GET_REQ, GRAB_REQ -> homeRequest(s, m.objectId(), new Request(m.node(), m.kind() == Kind.GRAB_REQ));
                case HANDOFF_REQ -> homeRequest(s, m.objectId(), Request.handoff(m.node(), sender));
                case DONE -> homeDone(s, m.objectId(), sender, m.node());
                case REMOVED -> homeRemoved(s, m.objectId(), sender);
                case WRITEBACK_REQ -> homeRequest(s, m.objectId(), Request.writeBack(sender));
                case FWD_WRITEBACK -> ownerWriteBack(s, m.objectId());
                case WRITTEN_BACK -> homeWrittenBack(s, m.objectId(), sender, m.bytes());
                case NOT_OWNER -> homeNotOwner(s, m.objectId(), sender);
                case FWD_GET, FWD_GRAB -> ownerForward(s, m.objectId(),
                        new Forward(m.node(), m.kind() == Kind.FWD_GRAB, m.count() == 1));
                case TOUCH -> touch(s, m.objectId(), m.node() != 0);
                case COPY -> copy(s, m.objectId(), sender, m.bytes());
                case OWNERSHIP -> ownership(s, m.objectId(), m.count(), m.bytes(), m.node() == 1);
                case INV -> invalidate(s, m.objectId(), m.node());
                case INV_ACK -> invalidationAck(s, m.objectId(), sender);
                case LOST -> lost(s, m.objectId(), new String(m.bytes(), StandardCharsets.UTF_8));
                default -> LOG.warn("unexpected {} from node {}", m.kind(), sender);
            }
        } catch (RuntimeException ex) {
            LOG.error("handling {} from node {} for object {} failed", m.kind(), sender, m.objectId(), ex);
        }
    }

    // home side

    private void homeRequest(SetState s, long objectId, Request r) {
        ManagerEntry me = s.managerEntry(objectId);
        synchronized (me) {
            me.queue.add(r);
            if (me.current == null) {
                startNext(s, me);
            }
        }
    }

    /** Starts queued requests until one is in flight. Called holding the home entry's monitor. */
    private void startNext(SetState s, ManagerEntry me) {
        while (me.current == null && !me.queue.isEmpty()) {
            Request r = me.queue.poll();
            if (!linkers.isUp(r.requester)) {
                continue;
            }
            if (me.lost != null) {
                sendLost(r.requester, s.id, me.objectId, me.lost);
                continue;
            }
            if (r.writeBack) {
                if (me.owner == r.requester) {
                    me.current = r;
                    r.forwardedTo = r.requester;
                    send(r.requester, Kind.FWD_WRITEBACK, s.id, me.objectId, self, 0, null);
                }
                continue; // or no longer its owner: nothing to write back
            }
            boolean handoff = r.forwardedTo < 0;
            if (handoff && -r.forwardedTo != me.owner) {
                continue; // the flushing node no longer owns the object
            }
            boolean atHome;
            try {
                atHome = me.owner == 0 && r.requester != self && touchesAtHome(s);
            } catch (KddmException unknownHere) {
                // A first touch elsewhere could hide what this home has stored: refuse instead.
                sendLost(r.requester, s.id, me.objectId, "its home, node " + self + ", cannot serve it: "
                        + unknownHere.getMessage());
                continue;
            }
            me.current = r;
            if (atHome) {
                r.forwardedTo = Request.AT_HOME;
                stats.firstTouches.increment();
                touchAtHome(s, me.objectId, r);
            } else if (me.owner == 0) {
                r.forwardedTo = 0;
                send(r.requester, Kind.TOUCH, s.id, me.objectId, r.write ? 1 : 0, 0, null);
                stats.firstTouches.increment();
            } else {
                r.forwardedTo = me.owner;
                if (!send(me.owner, r.write ? Kind.FWD_GRAB : Kind.FWD_GET, s.id, me.objectId, r.requester,
                        handoff ? 1 : 0, null)) {
                    ownerGone(s, me, me.owner);
                }
            }
        }
    }

    /** @throws io.kddm.api.set.UnknownFamilyException if the family was never registered here */
    private boolean touchesAtHome(SetState s) {
        return traits(s).firstTouchAtHome();
    }

    /**
     * First touch at the home (disk-backed families: the store is here), then the
     * home serves the request as the object's owner. Runs off the home entry's
     * monitor, which is never taken while an object entry's is held.
     */
    private void touchAtHome(SetState s, long objectId, Request r) {
        workers.execute(() -> {
            byte[] value;
            try {
                value = firstTouch(s, objectId);
            } catch (RuntimeException ex) {
                ManagerEntry me = s.managerEntry(objectId);
                synchronized (me) {
                    if (me.current == r) {
                        me.current = null;
                        sendLost(r.requester, s.id, objectId, "first touch at the home, node " + self + ", failed: "
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
                me.owner = self;
                boolean forward = served && linkers.isUp(r.requester);
                synchronized (e) {
                    hold(e, value);
                    e.state = State.READ_OWNER;
                    if (forward) {
                        r.forwardedTo = self;
                        e.queue.add(new Forward(r.requester, r.write, false));
                        serve(s, e);
                    }
                }
                if (served && !forward) {
                    me.current = null; // the requester died meanwhile: the object stays here, owned
                    startNext(s, me);
                }
            }
        });
    }

    /** The linker makes the object or reads it from its store; checked against the family's limit. */
    private byte[] firstTouch(SetState s, long objectId) {
        byte[] value = awaitLinker(s).firstTouch(s.context, objectId);
        if (value == null) {
            value = new byte[0];
        }
        int max = traits(s).maxObjectSize();
        if (value.length > max) {
            throw new ObjectTooLargeException("first touch of object " + objectId + " made " + value.length
                    + " bytes, over the family's limit of " + max);
        }
        return value;
    }

    private void homeDone(SetState s, long objectId, int requester, int newOwner) {
        ManagerEntry me = s.managerEntry(objectId);
        synchronized (me) {
            if (me.current == null || me.current.requester != requester) {
                LOG.warn("DONE for object {} from node {} that has no request in flight", objectId, requester);
                return;
            }
            if (newOwner != 0) {
                me.owner = newOwner;
            }
            me.current = null;
            startNext(s, me);
        }
    }

    private void homeRemoved(SetState s, long objectId, int remover) {
        ManagerEntry me = s.managerEntry(objectId);
        synchronized (me) {
            if (me.owner == remover) {
                me.owner = 0;
                me.lost = null;
            }
            Request r = me.current;
            if (r != null && r.forwardedTo == remover) {
                // It was waiting at the remover: start it again, as a first touch now.
                me.current = null;
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
     * so nothing is lost.
     */
    private void homeWrittenBack(SetState s, long objectId, int owner, byte[] wire) {
        ManagerEntry me = s.managerEntry(objectId);
        Request r;
        synchronized (me) {
            r = me.current;
            if (r == null || !r.writeBack || r.requester != owner) {
                LOG.error("node {} wrote back object {} without the home's go-ahead: ignored", owner, objectId);
                return;
            }
            me.owner = 0;
            r.forwardedTo = Request.AT_HOME;
        }
        workers.execute(() -> {
            byte[] value = null;
            try {
                awaitLinker(s); // a worker may wait for a linker being updated, also for the import
                value = importValue(s, objectId, wire);
                awaitLinker(s).sync(s.context, objectId, value);
            } catch (RuntimeException ex) {
                LOG.error("storing written-back object {} of set {} failed; {}: {}", objectId, SetIds.format(s.id),
                        value != null ? "node " + self + " keeps it in memory" : "its bytes could not be read",
                        ex.toString());
                ObjectEntry e = s.entry(objectId);
                synchronized (me) {
                    if (value == null) {
                        me.lost = "object " + objectId + " was lost: its linker could not read it back at node " + self;
                    } else {
                        me.owner = self;
                        synchronized (e) {
                            hold(e, value);
                            e.state = State.WRITE_OWNER;
                        }
                    }
                }
            } finally {
                synchronized (me) {
                    if (me.current == r) {
                        me.current = null;
                        startNext(s, me);
                    }
                }
            }
        });
    }

    private void homeNotOwner(SetState s, long objectId, int node) {
        ManagerEntry me = s.managerEntry(objectId);
        synchronized (me) {
            if (me.current != null && me.current.forwardedTo == node) {
                ownerGone(s, me, node);
            }
        }
    }

    /** Holding the home entry's monitor: the object is lost, and stays lost (never made anew). */
    private static void markLost(ManagerEntry me, int node) {
        me.lost = "object " + me.objectId + " was lost with node " + node;
        me.owner = 0;
    }

    /** The owner of a home entry died or cannot be reached: the object is lost. Holding the monitor. */
    private void ownerGone(SetState s, ManagerEntry me, int owner) {
        markLost(me, owner);
        Request r = me.current;
        me.current = null;
        if (r != null) {
            sendLost(r.requester, s.id, me.objectId, me.lost);
        }
        startNext(s, me);
    }

    // owner side

    private void ownerForward(SetState s, long objectId, Forward f) {
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            if (!e.state.owner()) {
                // Queued here it would never be served: the home's record is wrong, so the
                // object cannot be trusted anywhere. Say so, and let the home fail it fast.
                LOG.error("forwarded request for object {} reached node {}, which does not own it", objectId, self);
                send(home(s, objectId), Kind.NOT_OWNER, s.id, objectId, self, 0, null);
                return;
            }
            if (f.requester() == self) {
                // Our own request, overtaken by a handoff that made us the owner: it is
                // satisfied here, and the local waiters are served (or upgrade) as owner's.
                e.requested = false;
                send(home(s, objectId), Kind.DONE, s.id, objectId, 0, 0, null);
                serve(s, e);
                return;
            }
            e.queue.add(f);
            serve(s, e);
        }
    }

    // requester side

    private void touch(SetState s, long objectId, boolean write) {
        ObjectEntry stale = s.entry(objectId);
        synchronized (stale) {
            if (!stale.requested) {
                // Our request was given up (LOST crossed it): let the home move on.
                send(home(s, objectId), Kind.DONE, s.id, objectId, 0, 0, null);
                return;
            }
        }
        workers.execute(() -> {
            ObjectEntry e = s.entry(objectId);
            byte[] value;
            try {
                value = firstTouch(s, objectId);
            } catch (RuntimeException ex) {
                synchronized (e) {
                    e.requested = false;
                    failAll(e, ex instanceof KddmException k ? k
                            : new KddmException("first touch of object " + objectId + " failed: " + ex, ex));
                    send(home(s, objectId), Kind.DONE, s.id, objectId, 0, 0, null);
                }
                return;
            }
            synchronized (e) {
                hold(e, value);
                e.state = write ? State.WRITE_OWNER : State.READ_OWNER;
                e.requested = false;
                send(home(s, objectId), Kind.DONE, s.id, objectId, self, 0, null);
                serve(s, e);
            }
        });
    }

    private void copy(SetState s, long objectId, int owner, byte[] wire) {
        ObjectEntry e = s.entry(objectId);
        byte[] value = importValue(s, objectId, wire);
        synchronized (e) {
            if (!e.requested || e.state.owner()) {
                LOG.debug("stale COPY of object {} from node {} ignored", objectId, owner);
                return; // the home gave our request up (LOST overtook this copy)
            }
            hold(e, value);
            e.state = State.READ_COPY;
            e.requested = false;
            tell(s, l -> l.insert(s.context, objectId, value));
            send(home(s, objectId), Kind.DONE, s.id, objectId, 0, 0, null);
            serve(s, e);
        }
    }

    private void ownership(SetState s, long objectId, int valueLength, byte[] bytes, boolean handoff) {
        ObjectEntry e = s.entry(objectId);
        byte[] value = importValue(s, objectId, Arrays.copyOf(bytes, valueLength));
        synchronized (e) {
            if (!handoff && !(e.requested && e.requestedWrite)) {
                LOG.debug("stale OWNERSHIP of object {} ignored", objectId);
                return; // the home gave our request up (LOST overtook this transfer)
            }
            e.incoming = value;
            e.incomingHandoff = handoff;
            e.handedIn = handoff;
            e.awaiting.clear();
            for (int i = valueLength; i < bytes.length; i++) {
                int n = Byte.toUnsignedInt(bytes[i]);
                if (!e.earlyAcks.remove(n) && linkers.isUp(n)) {
                    e.awaiting.add(n);
                }
            }
            e.earlyAcks.clear();
            completeIfAcked(s, e);
        }
    }

    private void invalidate(SetState s, long objectId, int ackTo) {
        stats.invalidationsReceived.increment();
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            if (e.state == State.READ_COPY && (e.readers > 0 || e.writers > 0)) {
                e.invalidateAckTo = ackTo; // acked when the local readers leave
                stats.deferredInvalidations.increment();
                return;
            }
            if (e.state == State.READ_COPY) {
                dropCopy(s, e);
            }
            send(ackTo, Kind.INV_ACK, s.id, objectId, self, 0, null);
        }
    }

    private void invalidationAck(SetState s, long objectId, int from) {
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            if (e.incoming == null && !e.upgrading) {
                e.earlyAcks.add(from); // the OWNERSHIP that lists it is still on its way
                stats.acksBeforeObject.increment();
                return;
            }
            e.awaiting.remove(from);
            completeIfAcked(s, e);
        }
    }

    /** Holding the monitor: finish an incoming ownership or a local upgrade once every ack is in. */
    private void completeIfAcked(SetState s, ObjectEntry e) {
        if (!e.awaiting.isEmpty()) {
            return;
        }
        if (e.upgrading) {
            e.upgrading = false;
            e.state = State.WRITE_OWNER;
        } else if (e.incoming != null) {
            hold(e, e.incoming);
            e.incoming = null;
            e.state = State.WRITE_OWNER;
            e.copyset.clear();
            if (!e.incomingHandoff) {
                e.requested = false; // else our own request is still queued at the home: it comes back to us
            }
            e.incomingHandoff = false;
            byte[] value = e.value;
            tell(s, l -> l.insert(s.context, e.objectId, value));
            send(home(s, e.objectId), Kind.DONE, s.id, e.objectId, self, 0, null);
        }
        serve(s, e);
    }

    private void lost(SetState s, long objectId, String reason) {
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            // A transfer in progress is void: its old owner died, and with it the
            // invalidations it sent (so its acks may never come).
            abandonRequest(e);
            failAll(e, new ObjectLostException(reason));
            serve(s, e);
        }
    }

    /** Holding the monitor: forget the request in flight and any transfer it started. */
    private static void abandonRequest(ObjectEntry e) {
        e.requested = false;
        e.incoming = null;
        e.incomingHandoff = false;
        e.awaiting.clear();
        e.earlyAcks.clear();
    }

    // ---- failures -----------------------------------------------------------

    /** A node died or left: nothing it held or was asked for will come. */
    public void nodeDown(int node) {
        for (SetState s : sets.values()) {
            for (ManagerEntry me : s.managed.values()) {
                synchronized (me) {
                    me.queue.removeIf(r -> r.requester == node);
                    Request r = me.current;
                    if (me.owner == node && (r == null || r.forwardedTo != node)) {
                        markLost(me, node);
                    }
                    if (r != null && r.forwardedTo == node) {
                        ownerGone(s, me, node);
                    } else if (r != null && r.requester == node && r.forwardedTo != Request.AT_HOME) {
                        // (Work the home does itself, a first touch or a store, ends by itself.)
                        // A first touch, or the ownership, may have reached the dead node, and
                        // what it did with the object may have been seen: never make it anew.
                        if (r.forwardedTo == 0 || r.write) {
                            markLost(me, node);
                        }
                        me.current = null;
                        startNext(s, me);
                    }
                }
            }
            for (ObjectEntry e : s.objects.values()) {
                synchronized (e) {
                    e.copyset.remove(node);
                    e.queue.removeIf(i -> i instanceof Forward f && f.requester() == node);
                    if (e.invalidateAckTo == node) {
                        e.invalidateAckTo = 0;
                        dropCopy(s, e);
                    }
                    if (e.awaiting.remove(node)) {
                        completeIfAcked(s, e);
                    }
                    int home;
                    try {
                        home = home(s, e.objectId);
                    } catch (KddmException ex) {
                        home = 0;
                    }
                    if (home == node) {
                        // Homes do not move: the home's record of this object is gone, and a
                        // restarted home would make the object anew. Dropping every copy now
                        // keeps one object from ever having two owners.
                        abandonRequest(e);
                        e.upgrading = false;
                        e.invalidateAckTo = 0;
                        e.copyset.clear();
                        e.queue.removeIf(i -> i instanceof Forward);
                        e.homeDown = true;
                        failAll(e, new NodeDeadException("node " + node + ", the home of object " + e.objectId
                                + ", is down: the object is unavailable"));
                    }
                    serve(s, e);
                }
            }
        }
    }
}
