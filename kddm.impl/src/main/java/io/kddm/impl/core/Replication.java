package io.kddm.impl.core;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.BackupMode;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.SetIds;
import io.kddm.api.transport.Inbound;
import io.kddm.impl.core.BackupStore.Backup;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * Backups of objects on other nodes (issue 14): where they go, a function of
 * the view (no table to keep), the owner's BACKUP on put and first touch, and
 * their keeping at the targets ({@link BackupStore}). The home reads them when
 * the owner dies ({@link OwnerFailover}). Rows R1-R4; old ones are collected
 * by {@link BackupCollection} (R23).
 */
final class Replication {
    private static final Logger LOG = LoggerFactory.getLogger(Replication.class);
    static final int MAX_BACKUPS = 6;
    /** BACKUP's {@code count}: keep the value, or drop the object's backup (it was removed). */
    private static final int KEEP = 0;
    private static final int DROP = 1;
    /** How often a put waiting for its backups looks whether a target left the view. */
    private static final long WATCH_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final Coherence node;
    final BackupStore store = new BackupStore();
    /** Old backups collected once a round's targets all have a newer version (R23). */
    final BackupCollection collection;
    /** backups.FAMILY of io.kddm.core: this node's override of a family's count. */
    private volatile Map<String, Integer> overrides = Map.of();
    /** min.copies.FAMILY of io.kddm.core. */
    private volatile Map<String, Integer> minCopies = Map.of();
    /** A re-replication pass is running (one at a time). */
    private final java.util.concurrent.atomic.AtomicBoolean passRunning = new java.util.concurrent.atomic.AtomicBoolean();
    /** Another view came while a pass ran: it runs once more. */
    private volatile boolean passAgain;

    /** What a backup got: the targets that acknowledged, and what is missing (null: nothing). */
    record Outcome(List<Integer> acked, String missing) {
    }

    Replication(Coherence node) {
        this.node = node;
        this.collection = new BackupCollection(node, store);
    }

    void overrides(Map<String, Integer> next) {
        overrides = Map.copyOf(next);
    }

    Map<String, Integer> overrides() {
        return overrides;
    }

    void minCopies(Map<String, Integer> next) {
        minCopies = Map.copyOf(next);
    }

    Map<String, Integer> minCopies() {
        return minCopies;
    }

    /** Copies (owner and backups) below which a grab fails fast: {@code min.copies.FAMILY}, else a majority of N + 1. */
    int minCopies(SetState s, int backups) {
        Integer m = minCopies.get(s.family);
        return m != null ? m : backups + 1 - (backups + 1) / 2;
    }

    /**
     * A grab of an object with backups fails at once when the view has fewer
     * nodes than the family's minimum number of copies (as Ceph's min_size): its
     * puts could not be kept where the family asks. Row R11.
     */
    void checkCopies(SetState s, long objectId) {
        int n = backups(s);
        if (n == 0) {
            return;
        }
        int possible = Math.min(members().size(), n + 1);
        int min = minCopies(s, n);
        if (possible < min) {
            throw new KddmException("grab of object " + objectId + " in set " + SetIds.format(s.id) + " refused: "
                    + possible + " cop" + (possible == 1 ? "y" : "ies") + " possible with the nodes of the view "
                    + members() + ", the family " + s.family + " needs at least " + min + " (min.copies." + s.family
                    + ")");
        }
    }

    BackupMode mode(SetState s) {
        try {
            return node.calls.traits(s).backupMode();
        } catch (KddmException unknownFamily) {
            return BackupMode.SYNC;
        }
    }
    /**
     * Whether the set's homes move (R14): its family has backups and is not disk-backed.
     * The family's own count, never this node's override, so that every node routes alike.
     */
    boolean homesMove(SetState s) {
        try {
            FamilyTraits t = node.calls.traits(s);
            return t.firstTouchAtHome() ? node.stores.replicated(s) : t.backups() > 0; // S1 or R14
        } catch (KddmException unknownFamily) {
            return false;
        }
    }

    /** How many backups the set's objects have: the override, else the family's; 0 for a family unknown here. */
    int backups(SetState s) {
        try {
            FamilyTraits t = node.calls.traits(s);
            Integer n = overrides.get(s.family);
            return n != null ? n : t.backups();
        } catch (KddmException unknownFamily) {
            return 0;
        }
    }

    /**
     * Where the backups of an object go: the {@code n} members after its home in
     * the view, in id order and around, skipping the owner; the home itself only
     * when there are not enough others. Fewer than {@code n} when the view is small.
     */
    static List<Integer> place(List<Integer> members, int home, int owner, int n) {
        List<Integer> out = new ArrayList<>();
        int size = members.size();
        int at = members.indexOf(home);
        for (int i = 1; i < size && out.size() < n; i++) {
            int m = members.get(Math.floorMod(at + i, size));
            if (m != owner && m != home) {
                out.add(m);
            }
        }
        if (out.size() < n && home != owner && members.contains(home)) {
            out.add(home);
        }
        return out;
    }

    /** The live members of the installed view, in id order (every node up, without agreed views). */
    List<Integer> members() {
        TreeSet<Integer> live = new TreeSet<>();
        if (node.view.epoch() == 0) {
            live.addAll(node.transport.connectedNodes());
            live.add(node.self);
        } else {
            live.addAll(node.view.members().keySet());
        }
        live.removeIf(n -> n != node.self && !node.linkers.isUp(n));
        return new ArrayList<>(live);
    }

    List<Integer> targets(SetState s, long objectId, int n) {
        return place(members(), node.home(s, objectId), node.self, n);
    }

    /**
     * The owner stores {@code version} of the object (wire form) on its backup
     * targets and waits until each acknowledged, or {@code deadline} (nanoTime).
     * A target that dies is replaced by the next view's. Returns null when every
     * target of the current view has it, else what is missing. Row R1.
     */
    Outcome backUp(SetState s, ObjectEntry e, Version version, byte[] wire, int n, long deadline) {
        long objectId = e.objectId;
        byte[] bytes = version.put(ByteBuffer.allocate(Version.BYTES + wire.length)).put(wire).array();
        List<Integer> acked = new ArrayList<>();
        String problem = null;
        long excludedAt = node.excludedAt;
        while (true) {
            if (node.excludedAt != excludedAt || voided(e)) {
                // R20: the value is void here now; a target of the next incarnation's view must not keep it
                return new Outcome(List.copyOf(acked), "node " + node.self + " was taken out of the cluster (or the "
                        + "object dropped here) while it backed up object " + objectId + " (version " + version + ")");
            }
            List<Integer> targets = targets(s, objectId, n);
            Map<Integer, CompletableFuture<byte[]>> sent = new HashMap<>();
            for (int t : targets) {
                if (!acked.contains(t)) {
                    sent.put(t, node.transport.request(t, Kind.BACKUP.type(),
                            node.outbox.request(s.id, objectId, node.self, KEEP, bytes), node.operationTimeout()));
                }
            }
            if (sent.isEmpty()) {
                node.stats.backupsSent.add(targets.size());
                return new Outcome(List.copyOf(targets), null);
            }
            // A target that leaves the view may never answer: look at the view while waiting.
            while (!sent.isEmpty() && System.nanoTime() - deadline < 0 && node.excludedAt == excludedAt
                    && !voided(e)) {
                try {
                    CompletableFuture.anyOf(sent.values().toArray(CompletableFuture[]::new)).get(
                            Math.min(WATCH_NANOS, Math.max(1, deadline - System.nanoTime())), TimeUnit.NANOSECONDS);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    return new Outcome(List.copyOf(acked), "interrupted while backing up object " + objectId);
                } catch (Exception oneFailedOrNoneYet) {
                    // looked at below, target by target
                }
                for (var it = sent.entrySet().iterator(); it.hasNext();) {
                    Map.Entry<Integer, CompletableFuture<byte[]>> f = it.next();
                    // One look at the future: an ack completing between two looks was taken for a failure
                    // whose cause was null (a NullPointerException made the put's outcome unknown).
                    boolean done = f.getValue().isDone();
                    Throwable failure = done ? f.getValue().handle((ok, ex) -> ex).join() : null;
                    if (done && failure == null) {
                        acked.add(f.getKey());
                        it.remove();
                    } else if (done || !node.inView(f.getKey())) {
                        problem = "node " + f.getKey() + " did not acknowledge the backup of object " + objectId
                                + " (version " + version + ")" + (failure != null ? ": " + failure
                                        : ": it left the view");
                        it.remove();
                    }
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                return new Outcome(List.copyOf(acked), problem != null ? problem
                        : "backing up object " + objectId + " took longer than its timeout");
            }
            if (problem != null) {
                LOG.debug("{}; asked again", problem);
                pause();
            }
        }
    }

    /** Whether the entry was dropped here (this node taken out, stopped, the set destroyed): R20. */
    private static boolean voided(ObjectEntry e) {
        synchronized (e) {
            return e.voidedBy != null;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(20); // a dead target leaves the view within the failure bound
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether an object this node owns has fewer live backups of its version
     * than the family asks (as many as the view allows). Holding its monitor.
     */
    boolean underReplicated(ObjectEntry e, int n) {
        if (!e.state.owner() || e.value == null || e.incoming != null) {
            return false;
        }
        if (e.storeHasIt()) {
            return false; // R31: a disk-backed object whose store has this version needs no backup
        }
        int needed = Math.min(n, members().size() - 1);
        long live = e.backedUpOn == null ? 0 : e.backedUpOn.stream().filter(m -> m != node.self && node.inView(m)).count();
        return live < needed;
    }

    /**
     * After a view change (a target may have gone) or a takeover: every object
     * owned here whose backups are fewer than its family asks is backed up again
     * on its current targets, one after another on a worker, so that the next
     * crash finds N copies again. Row R12.
     */
    void reReplicateSoon() {
        passAgain = true;
        if (passRunning.compareAndSet(false, true)) {
            try {
                node.backupWorkers.execute(this::reReplicate);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                passRunning.set(false);
            }
        }
    }

    private void reReplicate() {
        do {
            try {
                while (passAgain) {
                    passAgain = false;
                    for (SetState s : node.allSets()) {
                        int n = backups(s);
                        if (n == 0 || s.destroyed) {
                            continue;
                        }
                        for (ObjectEntry e : s.objects.values()) {
                            try {
                                reReplicate(s, e, n);
                            } catch (RuntimeException ex) {
                                LOG.warn("object {} of set {} not backed up again: {}", e.objectId,
                                        SetIds.format(s.id), ex.toString());
                            }
                        }
                    }
                }
            } finally {
                passRunning.set(false);
            }
            // A request that came after the last look, and found the pass still running, is served now.
        } while (passAgain && passRunning.compareAndSet(false, true));
    }

    private void reReplicate(SetState s, ObjectEntry e, int n) {
        Version version;
        byte[] wire;
        synchronized (e) {
            if (e.voidedBy != null || !underReplicated(e, n)) {
                return;
            }
            version = e.version;
            wire = node.calls.export(s, e);
        }
        // Not held meanwhile: a put that comes first backs up a newer version, which the targets keep.
        Outcome o = backUp(s, e, version, wire, n, System.nanoTime() + node.operationTimeout().toNanos());
        node.stats.reReplicated.increment(); // (before the entry says so: a reader of both sees them agree)
        synchronized (e) {
            collection.roundDone(s, e, version, o); // R23
        }
        if (o.missing() != null) {
            LOG.warn("object {} of set {} stays under-replicated: {}", e.objectId, SetIds.format(s.id), o.missing());
        }
    }

    /**
     * This node leaves in order and owns {@code e}, which it is the acting home
     * of: the node acting for it next rebuilds it from claims, so every other
     * member is given the newest version first. Row R19.
     */
    void backUpEverywhere(SetState s, ObjectEntry e, long deadline) {
        Version version;
        byte[] wire;
        synchronized (e) {
            if (!e.state.owner() || e.value == null) {
                return;
            }
            version = e.version;
            wire = node.calls.export(s, e);
        }
        byte[] bytes = version.put(ByteBuffer.allocate(Version.BYTES + wire.length)).put(wire).array();
        toEveryMember(s, e.objectId, KEEP, bytes, deadline, "node " + node.self + " leaves: a copy of");
    }

    /** BACKUP ({@code count} KEEP or DROP) to every other member, waiting for each until {@code deadline}. */
    private void toEveryMember(SetState s, long objectId, int count, byte[] bytes, long deadline, String what) {
        List<CompletableFuture<byte[]>> sent = new ArrayList<>();
        for (int m : members()) {
            if (m != node.self) {
                sent.add(node.transport.request(m, Kind.BACKUP.type(),
                        node.outbox.request(s.id, objectId, node.self, count, bytes), node.operationTimeout()));
            }
        }
        for (CompletableFuture<byte[]> f : sent) {
            try {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception failed) {
                LOG.warn("{} object {} of set {} may not be where it should: {}", what, objectId, SetIds.format(s.id),
                        failed.toString());
            }
        }
    }

    /** Objects owned here with fewer live backups than their family asks (for kddm:stats). */
    int underReplicatedCount() {
        int count = 0;
        for (SetState s : node.allSets()) {
            int n = backups(s);
            if (n == 0) {
                continue;
            }
            for (ObjectEntry e : s.objects.values()) {
                synchronized (e) {
                    if (underReplicated(e, n)) {
                        count++;
                    }
                }
            }
        }
        return count;
    }

    /**
     * The object was removed at {@code version}: every member drops its backup,
     * so that a failover cannot bring it back, and keeps the version as its floor
     * (R30: a member the drop missed may keep an older backup). Row R3.
     */
    void dropEverywhere(SetState s, long objectId, Version version, long deadline) {
        store.removed(s.id, objectId, version);
        toEveryMember(s, objectId, DROP, version.bytes(), deadline,
                "the backup of removed");
    }

    /** BACKUP at a target: kept (or dropped), then acknowledged. Refused without a lease. Row R2. */
    void onBackup(Inbound in, Message m) {
        if (!node.linkers.hasLease()) {
            in.fail("node " + node.self + " holds no lease: it keeps no backup");
            return;
        }
        if (!node.inView(in.sender())) {
            in.fail("node " + in.sender() + " is not in the view of node " + node.self + ": its backup is not kept");
            return;
        }
        if (m.count() == BackupCollection.COLLECT) {
            collection.onCollect(in, m);
            return;
        }
        if (m.count() == DROP) {
            if (m.bytes().length >= Version.BYTES) {
                store.removed(m.setId(), m.objectId(), Version.get(ByteBuffer.wrap(m.bytes())));
            } else {
                store.drop(m.setId(), m.objectId());
            }
            in.reply(Wire.EMPTY);
            return;
        }
        if (m.count() != KEEP || m.bytes().length < Version.BYTES) {
            in.fail("malformed BACKUP of object " + m.objectId() + " (" + m.bytes().length + " bytes, count "
                    + m.count() + ")");
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(m.bytes());
        Version v = Version.get(b);
        byte[] wire = new byte[b.remaining()];
        b.get(wire);
        store.keep(m.setId(), m.objectId(), new Backup(v, wire, in.sender()));
        node.stats.backupsKept.increment();
        in.reply(Wire.EMPTY);
    }

    /**
     * Backs up the newest version of the object until the newest is kept (puts
     * meanwhile only make it send again); until then, no other node is served it
     * (pendingBackups). One task per object at a time, on the backup workers.
     * Holding the monitor. Row R13.
     */
    void backUpInBackground(SetState s, ObjectEntry e, int backups) {
        boolean start = e.pendingBackups == 0;
        e.pendingBackups++;
        if (!start) {
            return;
        }
        Runnable task = () -> {
            boolean done = false;
            try {
                while (true) {
                    Version version;
                    byte[] wire;
                    synchronized (e) {
                        if (e.voidedBy != null || !e.state.owner() || s.destroyed) {
                            e.pendingBackups = 0;
                            done = true;
                            return;
                        }
                        version = e.version;
                        wire = node.calls.export(s, e);
                    }
                    Replication.Outcome o = backUp(s, e, version, wire, backups,
                            System.nanoTime() + node.operationTimeout().toNanos());
                    synchronized (e) {
                        collection.roundDone(s, e, version, o); // R23
                        if (o.missing() == null && e.version.equals(version)) {
                            // In the same monitor as the check: a put in between would start no task of its own.
                            e.pendingBackups = 0;
                            done = true;
                            node.object.serve(s, e);
                            return;
                        }
                    }
                    if (o.missing() != null) {
                        LOG.warn("object {} of set {}: {}; not served to other nodes until a backup is kept, tried "
                                + "again in a second", e.objectId, SetIds.format(s.id), o.missing());
                        Thread.sleep(1000);
                    }
                }
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException ex) {
                LOG.error("backing up object {} of set {} failed: {}", e.objectId, SetIds.format(s.id), ex.toString());
            } finally {
                if (!done) { // an exception or an interrupt: give up, the node stops or the object went
                    synchronized (e) {
                        e.pendingBackups = 0;
                        node.object.serve(s, e);
                    }
                }
            }
        };
        try {
            node.backupWorkers.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            e.pendingBackups = 0;
        }
    }
}
