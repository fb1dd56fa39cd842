package io.kddm.impl.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.membership.View;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.SetIds;
import io.kddm.api.set.UnknownSetException;
import io.kddm.api.transport.Inbound;
import io.kddm.api.transport.Transport;

/**
 * The coherence protocol of one node: single writer, multiple readers,
 * invalidation on write (IVY's fixed distributed manager, as in Kerrighed). A
 * grab completes only when the new owner has the value and an acknowledgement
 * from every former copy holder, and copy holders acknowledge only once their
 * local readers are gone: a value is never read after a later write completed,
 * so the protocol is linearizable per object.
 * <p>
 * The protocol is {@link StateTable}; this class wires its roles and holds what
 * they share (the sets, the budget, the counters, the threads):
 * <ul>
 * <li>{@link Dispatch}: every message in, to the role that runs its row;</li>
 * <li>{@link HomeSide}: the home of an object ({@link ManagerEntry}, {@link HomeState});</li>
 * <li>{@link ObjectSide}: a node that holds or wants an object ({@link ObjectEntry}, {@link ObjectState});</li>
 * <li>{@link LocalOperations}: this node's get, grab, put, find, remove, flush, sync, prefetch, holders;</li>
 * <li>{@link Eviction}: the memory budget;</li>
 * <li>{@link LinkerCalls}: every call into a family or IO linker;</li>
 * <li>{@link Outbox}: every message out.</li>
 * </ul>
 * <b>Locks.</b> Each {@link ManagerEntry} and {@link ObjectEntry} is guarded by
 * its own monitor. A thread may take a home entry's monitor and then an object
 * entry's (to make this node the owner of an object it homes), never the other
 * way round, and never two entries of one kind. No monitor is held across a
 * call that may block: IO linker calls that may (first touch, sync, store) run
 * on a worker thread, and the transport's send only queues.
 * <p>
 * <b>Threads.</b> Messages are handled on the transport's threads and never
 * block there. A message to this node itself goes through the outbox's single
 * loopback thread, never by re-entering a handler. Local operations block the
 * caller's thread on the object entry's monitor until granted or timed out;
 * prefetches block threads of their own, never the workers.
 */
public final class Coherence {
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

        /** Whether this node holds a lease from a majority of the voters (always, without agreed views). */
        default boolean hasLease() {
            return true;
        }

        /**
         * Opens the well-known set {@code setId} if a family registered here
         * claims it ({@link io.kddm.api.linker.SetFamily#wellKnownSets}); null if none does.
         */
        default SetState openClaimed(long setId) {
            return null;
        }

        /** The IO linkers registered here, by id. */
        default Map<String, IoLinker> ioLinkers() {
            return Map.of();
        }
    }

    final Transport transport;
    final Linkers linkers;
    final int self;
    /** Longest a get or grab waits; changes live. */
    private volatile Duration operationTimeout;
    final MemoryBudget budget;
    final Stats stats = new Stats();
    private final Map<Long, SetState> sets = new ConcurrentHashMap<>();
    final Outbox outbox;
    final LinkerCalls calls;
    final Eviction eviction = new Eviction(this);
    final HomeSide home = new HomeSide(this);
    final ObjectSide object = new ObjectSide(this);
    final ObjectRecovery recovery = new ObjectRecovery(this);
    final FirstTouch firstTouch = new FirstTouch(this);
    final LocalOperations local = new LocalOperations(this);
    final LeavingHome leavingHome = new LeavingHome(this);
    final Dispatch dispatch = new Dispatch(this);
    final ViewChanges changes = new ViewChanges(this);
    final Replication replication = new Replication(this);
    final OwnerFailover failover = new OwnerFailover(this);
    final HomeRebuild rebuild = new HomeRebuild(this);
    final StoreReplicas stores = new StoreReplicas(this);
    final StoreHeal heals = new StoreHeal(this);
    final FullHeal fullHeal = new FullHeal(this);
    final CrashLedger ledger = new CrashLedger(this);
    final LostObjects lostObjects = new LostObjects(this);
    /** The view installed here: messages are stamped with its epoch and admitted by it. */
    volatile View view = View.NONE;
    /** Epoch of the view that took this node out (0: never): until a later view has it again, it asks nothing. */
    volatile long excludedAt;
    /** Epoch of the last view installed here that had this node: above {@link #excludedAt}, it is back (D3). */
    volatile long lastMemberEpoch;
    /** This node leaves in order: nothing is granted locally, its homes refuse other nodes. */
    volatile boolean leaving;
    final ExecutorService workers;
    /** Runs what must wait a while (a request asked again after a refusal), never blocking. */
    private final ScheduledExecutorService timer;
    /** Prefetches block while their object comes: never on the workers, which first touches need. */
    final ExecutorService prefetchers;
    /** Backups that run in the background (visible mode, re-replication, retries): never on the workers. */
    final ExecutorService backupWorkers;
    /**
     * STOREs of other homes, stored here (S3): never on the workers, whose stores wait for the other store
     * node's STORE: two homes replicating to each other would each wait for a worker the other's stores hold.
     */
    final ExecutorService storeWorkers;

    public Coherence(Transport transport, Linkers linkers, Duration operationTimeout, long memoryBudget) {
        this.transport = transport;
        this.linkers = linkers;
        this.self = transport.localNode();
        this.operationTimeout = operationTimeout;
        this.budget = new MemoryBudget(memoryBudget);
        this.calls = new LinkerCalls(linkers, stats);
        this.outbox = new Outbox(transport, this::operationTimeout, () -> view.epoch(),
                (from, type, payload) -> dispatch.handle(from, type, payload));
        this.workers = Executors.newFixedThreadPool(4, r -> daemon(r, "kddm-worker-" + self));
        this.prefetchers = Executors.newFixedThreadPool(4, r -> daemon(r, "kddm-prefetch-" + self));
        this.backupWorkers = Executors.newFixedThreadPool(4, r -> daemon(r, "kddm-backup-" + self));
        this.storeWorkers = Executors.newFixedThreadPool(4, r -> daemon(r, "kddm-store-" + self));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "kddm-timer-" + self));
    }

    /** Runs {@code task} after {@code millis} on the timer thread (not at all once the node stops). */
    void later(Runnable task, long millis) {
        try {
            timer.schedule(task, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // the node stops: its waiters are failed by close()
        }
    }

    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public void close() {
        outbox.close();
        workers.shutdownNow();
        prefetchers.shutdownNow();
        backupWorkers.shutdownNow();
        storeWorkers.shutdownNow();
        timer.shutdownNow();
        for (SetState s : sets.values()) {
            abandon(s, new KddmException("kDDM is stopping on node " + self));
        }
    }

    /** The set is gone from this node: every waiter fails. */
    private void abandon(SetState s, RuntimeException failure) {
        s.destroyed = true;
        for (ObjectEntry e : s.objects.values()) {
            synchronized (e) {
                object.discard(e, failure);
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

    /** backups.FAMILY of io.kddm.core: this node's counts, overriding the families'. */
    public void backupOverrides(Map<String, Integer> overrides) {
        replication.overrides(overrides);
    }

    public Map<String, Integer> backupOverrides() {
        return replication.overrides();
    }

    /** Backups this node keeps for other nodes' objects. */
    public int backupCount() {
        return replication.store.count();
    }

    public long backupBytes() {
        return replication.store.bytes();
    }

    /** Removed objects whose removed version is kept here, so that no older backup of them comes back (R30). */
    public int removedFloors() {
        return replication.store.removedCount();
    }

    /** Objects owned here with fewer live backups than their family asks. */
    public int underReplicated() {
        return replication.underReplicatedCount();
    }

    /** min.copies.FAMILY of io.kddm.core. */
    public void minCopies(Map<String, Integer> minCopies) {
        replication.minCopies(minCopies);
    }

    public Map<String, Integer> minCopies() {
        return replication.minCopies();
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

    /** Changes the operation timeout of the get and grab calls that start from now on. */
    void operationTimeout(Duration timeout) {
        operationTimeout = timeout;
    }

    /** Changes the memory budget (bytes, 0 for none); a node over the new one starts flushing at once. */
    void memoryBudget(long bytes) {
        budget.limit(bytes);
        eviction.budgetChanged();
    }

    // ---- sets ---------------------------------------------------------------

    SetState addSet(long id, String family, List<Integer> nodes) {
        boolean[] made = {false};
        SetState s = sets.computeIfAbsent(id, k -> {
            made[0] = true;
            SetState fresh = new SetState(id, family, nodes, self);
            rebuild.gate(fresh); // R16: gated before anyone here sees it
            return fresh;
        });
        if (made[0]) {
            rebuild.opened(s); // objects of a home this node acts for may exist elsewhere already: claims
        }
        return s;
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
    SetState known(long id) {
        SetState s = sets.get(id);
        return s == null && SetIds.wellKnown(id) ? linkers.openClaimed(id) : s;
    }

    Iterable<SetState> allSets() {
        return sets.values();
    }

    void dropSet(long id) {
        SetState s = sets.remove(id);
        replication.store.dropSet(id);
        if (s != null) {
            abandon(s, new UnknownSetException("set " + SetIds.format(id) + " was destroyed"));
        }
    }

    /**
     * The acting home of an object: where requests for it go. Its home, unless
     * its family has backups and its home is not in the installed view: then the
     * next member of the view in id order (and around), which rebuilt the home's
     * records from the survivors' claims (HomeRebuild). Row R14.
     */
    int home(SetState s, long objectId) {
        return actingHome(view, s, calls.home(s, objectId));
    }

    /** The node acting, in view {@code v}, for the objects whose home is {@code nominal}. */
    int actingHome(View v, SetState s, int nominal) {
        if (v.epoch() == 0 || v.members().containsKey(nominal) || v.members().isEmpty()
                || !replication.homesMove(s)) {
            return nominal;
        }
        if (stores.replicated(s)) { // S1: the first store node in the view, which has the home's objects
            for (int n : stores.group(s, nominal)) {
                if (v.members().containsKey(n)) {
                    return n;
                }
            }
            return nominal;
        }
        java.util.SortedMap<Integer, View.Member> after = v.members().tailMap(nominal + 1);
        return after.isEmpty() ? v.members().firstKey() : after.firstKey();
    }

    /** Frees one idle object for the memory budget (see {@link Eviction#evict}). */
    int evict(SetState s, ObjectEntry e) {
        return eviction.evict(s, e);
    }

    // ---- messages -----------------------------------------------------------

    /** The transport handler of every kDDM object message. */
    public void onMessage(Inbound in) {
        dispatch.onMessage(in);
    }

    // ---- local operations, for this node's callers ------------------------------

    Handle acquire(SetState s, long objectId, boolean write, long timeoutNanos, boolean quiet) {
        return local.acquire(s, objectId, write, timeoutNanos, quiet);
    }

    void release(Handle h) {
        local.release(h);
    }

    Optional<byte[]> find(SetState s, long objectId) {
        return local.find(s, objectId);
    }

    void remove(SetState s, long objectId) {
        local.remove(s, objectId);
    }

    void sync(SetState s, long objectId, boolean durable) {
        local.sync(s, objectId, durable);
    }

    boolean flush(SetState s, long objectId) {
        return local.flush(s, objectId);
    }

    CompletableFuture<Void> prefetch(SetState s, long objectId) {
        return local.prefetch(s, objectId);
    }

    List<Integer> holders(SetState s, long objectId) {
        return local.holders(s, objectId);
    }

    /**
     * Leaves in order (see {@link ViewChanges#leave}): hands every object this node
     * owns to another node and waits until each home knows; waits at most
     * {@code limit}. Returns how many objects stayed here.
     */
    public int evacuate(Duration limit) {
        return changes.leave(limit);
    }

    /**
     * The homes whose acting home crashed while more than one crash was not
     * recovered from (R27): nominal home, then what happened. A set whose family
     * keeps fewer backups than those crashes is uncertain there: a first touch of
     * an object nobody holds fails with ObjectLostException until cleared.
     */
    public Map<Integer, String> uncertainHomes() {
        Map<Integer, String> out = new java.util.TreeMap<>();
        ledger.marks().forEach((home, m) -> out.put(home, m.crashes() + " crashes unrecovered in view " + m.epoch()
                + " (" + m.who() + ")"));
        return out;
    }

    /** Objects known here to have been found lost where homes move, not cleared since (R29). */
    public int lostObjects() {
        return lostObjects.count();
    }

    /** The sets an operator cleared: set, then home (0: every home), then as of which view. */
    public Map<Long, Map<Integer, Long>> clearedSets() {
        return ledger.clears();
    }

    /**
     * Whether a first touch of an object of the set homed on {@code nominal} is
     * refused here (R27): why, or null. Its family's backups count, so the set
     * must be known here.
     */
    public String uncertainty(long setId, int nominal) {
        SetState s = set(setId);
        return s == null ? null : ledger.uncertainty(s, nominal);
    }

    /**
     * An operator accepts that objects of the set homed on {@code nominal} (0:
     * every home) may have been lost: from the view installed here on, they may
     * be made anew, on every member, those a mark made uncertain (R28) and those
     * found lost (R29) alike.
     */
    public void clearUncertain(long setId, int nominal) {
        ledger.clear(setId, nominal);
    }

    // ---- the agreed membership ------------------------------------------------------

    /** A view installed by membership: see {@link ViewChanges#installed}. */
    public void viewInstalled(View previous, View current) {
        changes.installed(previous, current);
    }

    /** This node was taken out of the cluster: see {@link ViewChanges#excluded}. */
    public void excluded(View current) {
        changes.excluded(current);
    }

    /**
     * Whether this node is in the view installed here, so that the others take
     * its messages (row D2 drops them otherwise, and a one-way request would be
     * lost without a word). Without agreed views (epoch 0) it always is.
     */
    boolean isMember() {
        View v = view;
        return v.epoch() == 0 || v.epoch() > excludedAt && v.members().containsKey(self);
    }

    /**
     * Whether {@code node} is in the view installed here (up, without agreed
     * views). Checked again under an entry's monitor for what a node sends just
     * before it dies: admitted before the view without it was installed, handled
     * after, it must not undo what the survivors' claims decided (R6).
     */
    boolean inView(int node) {
        View v = view;
        return node == self || (v.epoch() == 0 ? linkers.isUp(node) : v.members().containsKey(node));
    }

    /** This node's lease was lost or regained: see {@link ViewChanges#leaseChanged}. */
    public void leaseChanged(boolean held) {
        changes.leaseChanged(held);
    }

    // ---- failures -----------------------------------------------------------

    /** A node died or left: nothing it held or was asked for will come. */
    public void nodeDown(int node) {
        for (SetState s : sets.values()) {
            rebuild.memberDown(s, node);
            home.nodeDown(s, node);
            recovery.nodeDown(s, node);
        }
    }
}
