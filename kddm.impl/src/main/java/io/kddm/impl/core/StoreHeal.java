package io.kddm.impl.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.SetIds;
import io.kddm.api.transport.Inbound;
import io.kddm.impl.core.LocalOperations.Store;
import io.kddm.impl.core.Wire.Kind;

/**
 * The heal of replicated stores ({@link StoreReplicas}) from the heal index
 * the IO linkers keep: what a store node missed (it was out of the view, did
 * not answer, or, from three store nodes, any store not yet known to be on
 * every one of them: the pre-op marks of S15) is sent it, with its version,
 * one object at a time under the same lock as the stores of that object, by
 * the node acting for the object (S4: at each view, after a rebuild, and in a
 * crawl every few seconds), or, when it acts for those objects itself (a home
 * back, or the next store node), by every member before its CLAIMS are
 * answered, its range being gated until every member answered (S5). A store
 * node keeps the newest version it is sent (S13), so no heal undoes a newer
 * store. A node that joins asks every member in which sets it missed stores,
 * and opens them, so that no range it acts for is served before its claims,
 * and heal, are in (S6, S7).
 */
final class StoreHeal {
    private static final Logger LOG = LoggerFactory.getLogger(StoreHeal.class);

    private final Coherence node;

    StoreHeal(Coherence node) {
        this.node = node;
    }

    /**
     * A view came: every member is healed of what it missed of the objects this
     * node acts as home for (a store node back). On a worker. Row S4.
     */
    void viewInstalled() {
        for (int m : node.replication.members()) {
            if (m != node.self) {
                node.workers.execute(() -> healAsHome(m));
            }
        }
        if (passing.compareAndSet(false, true)) {
            node.later(this::pass, HEAL_PASS_MS);
        }
    }

    /**
     * The heal index is read again this often (S4): a record no view could heal
     * (made while the member was unreachable but in the view, a heal refused, an
     * IO linker not yet there at the view) is healed within it, as Gluster's
     * self-heal daemon crawls its index.
     */
    static final long HEAL_PASS_MS = 5_000;
    private final java.util.concurrent.atomic.AtomicBoolean passing = new java.util.concurrent.atomic.AtomicBoolean();

    private void pass() {
        try {
            node.workers.execute(() -> {
                try {
                    for (int m : node.replication.members()) {
                        if (m != node.self && node.inView(m) && node.linkers.isUp(m)) {
                            // As S4, and what m missed of the objects it acts for, which S5 heals only in the sets
                            // it opened since: safe while it serves them (its CLAIMS were answered after S5, and
                            // this sends no older version than S5 did). One listing of the index for both.
                            heal(m, null, (set, id) -> actingHere(set, id) || node.home(set, id) == m);
                        }
                    }
                } finally {
                    node.later(this::pass, HEAL_PASS_MS);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // the node stops
        }
    }

    /** MISSED is asked again this often while the member stays in the view, at most {@value #MISSED_TRIES} times. */
    static final long MISSED_RETRY_MS = 500;
    static final int MISSED_TRIES = 40;

    /**
     * This node joined (back): every member is asked in which sets it missed
     * stores, and those sets are opened here, so that the ranges this node acts
     * for in them are rebuilt, and healed before they serve (S5). A member that
     * cannot answer yet (its core not started: "no handler"; or in a newer view
     * than the question's) is asked again while it stays in the view: without
     * its answer those sets were healed only once something opened them. Row S6.
     */
    void joined() {
        long excludedAt = node.excludedAt;
        for (int m : node.replication.members()) {
            if (m != node.self) {
                askMissed(m, excludedAt, 1);
            }
        }
    }

    private void askMissed(int m, long excludedAt, int attempt) {
        node.transport.request(m, Kind.MISSED.type(), node.outbox.request(0, 0, node.self, 0, null),
                node.operationTimeout()).whenComplete((bytes, failure) -> {
                    if (failure != null) {
                        if (node.excludedAt == excludedAt && node.inView(m) && node.linkers.isUp(m)
                                && attempt < MISSED_TRIES) {
                            LOG.debug("node {} cannot say yet what this node missed ({}): asked again", m,
                                    failure.toString());
                            node.later(() -> askMissed(m, excludedAt, attempt + 1), MISSED_RETRY_MS);
                        } else {
                            LOG.warn("node {} cannot say what this node missed ({} tries): {}", m, attempt,
                                    failure.toString());
                        }
                        return;
                    }
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
                    List<Long> sets = new ArrayList<>();
                    while (b.remaining() >= 8) {
                        sets.add(b.getLong());
                    }
                    if (!sets.isEmpty()) {
                        LOG.info("node {} holds stores this node missed in {} sets: they are opened here", m,
                                sets.size());
                    }
                    node.workers.execute(() -> sets.forEach(node::known));
                });
    }

    /** MISSED from a node that joined: the sets of whose objects it missed a store made here. Row S7. */
    void onMissed(Inbound in) {
        int asker = in.sender();
        node.workers.execute(() -> {
            java.util.TreeSet<Long> sets = new java.util.TreeSet<>();
            try {
                for (IoLinker linker : node.linkers.ioLinkers().values()) {
                    sets.addAll(linker.missedBy(asker).keySet());
                }
            } catch (RuntimeException ex) {
                in.fail(ex.toString());
                return;
            }
            java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(8 * sets.size());
            sets.forEach(out::putLong);
            in.reply(out.array());
        });
    }

    /** A range of the set was rebuilt here (R17): the members are healed of what they missed of it. Row S4. */
    void rebuilt(SetState s) {
        if (!node.stores.replicated(s)) {
            return;
        }
        for (int m : node.replication.members()) {
            if (m != node.self) {
                node.workers.execute(() -> heal(m, s.id, this::actingHere));
            }
        }
    }

    void healAsHome(int to) {
        heal(to, null, this::actingHere);
    }

    /**
     * S4 only from a store that is up to date: this node acts for the object, and its range is not being rebuilt
     * (a home back is healed first, S5; then it heals the others, {@link #rebuilt}).
     */
    private boolean actingHere(SetState s, long objectId) {
        return node.home(s, objectId) == node.self && !s.rebuilding.containsKey(node.calls.home(s, objectId));
    }

    /**
     * Before this node answers the CLAIMS of {@code asker} for the objects of the
     * set homed on {@code nominal}: what the asker missed of them is stored there
     * first (it acts for those objects now, and serves none of them before every
     * member answered). Row S5.
     */
    void healBeforeClaims(long setId, int asker, int nominal) {
        SetState s = node.set(setId);
        try {
            if (s != null && (!node.calls.traits(s).firstTouchAtHome()
                    || node.calls.linker(s).storeReplicas(s.context) <= 1)) {
                return; // nothing to heal: no listing of every heal index at each CLAIMS of every set
            }
        } catch (KddmException away) {
            // its family or linker is being updated: heal as for a replicated set (the listing finds what there is)
        }
        node.stores.fence();
        // (only that home's objects: the asker refuses the others, S8)
        int failed = heal(asker, setId, (set, id) -> node.calls.home(set, id) == nominal);
        if (failed > 0) {
            throw new KddmException("node " + node.self + " could not store on node " + asker + " " + failed
                    + " objects it missed of set " + SetIds.format(setId) + " (see its log): claims refused, to be "
                    + "asked again");
        }
    }

    /**
     * Sends node {@code to} the stored value of every object it missed (of set
     * {@code onlySet} if not null) that {@code which} accepts, each under its
     * store lock, and forgets the miss once stored there. Returns how many could not be healed.
     */
    int heal(int to, Long onlySet, java.util.function.BiPredicate<SetState, Long> which) {
        int healed = 0;
        int failed = 0;
        for (IoLinker linker : node.linkers.ioLinkers().values()) {
            Map<Long, Set<Long>> missed;
            try {
                missed = linker.missedBy(to);
            } catch (RuntimeException ex) {
                LOG.warn("the heal index of linker {} for node {} cannot be read: {}", linker.id(), to, ex.toString());
                continue;
            }
            for (Map.Entry<Long, Set<Long>> set : missed.entrySet()) {
                if (onlySet != null && !onlySet.equals(set.getKey())) {
                    continue;
                }
                SetState s = node.known(set.getKey());
                if (s == null) {
                    continue;
                }
                for (long objectId : set.getValue()) {
                    if (which.test(s, objectId)) {
                        if (push(s, linker, objectId, to)) {
                            healed++;
                        } else {
                            failed++;
                        }
                    }
                }
            }
        }
        if (healed > 0) {
            LOG.info("node {} healed node {}: {} objects it missed stored there", node.self, to, healed);
        }
        return failed;
    }

    private boolean push(SetState s, IoLinker linker, long objectId, int to) {
        synchronized (node.stores.stripe(s.id, objectId)) {
            try {
                Sent sent = send(s, linker, objectId, to, StoreReplicas.HEAL);
                linker.healed(s.context, objectId, to);
                node.stats.storesHealed.increment();
                List<Integer> group = node.stores.group(s, node.calls.home(s, objectId));
                if (group.size() > 2 && sent.version().newerThan(Version.NONE)) { // S15: the others' marks of it
                    node.stores.clearMarks(s, objectId, sent.version(), List.of(to),
                            group.stream().filter(n -> n != to).toList());
                }
                return true;
            } catch (RuntimeException failed) {
                LOG.warn("object {} of set {} not healed on node {} yet: {}", objectId, SetIds.format(s.id), to,
                        failed.toString());
                return false;
            }
        }
    }

    /**
     * A full heal of one object at the acting home (S10): under its store lock, as
     * {@link #push}, its stored value sent to store node {@code to}, which compares
     * it with its copy and rewrites a copy that differs. A heal record of the
     * object for {@code to}, if any, is forgotten: {@code to} has the value now.
     *
     * @return whether {@code to} rewrote its copy
     * @throws KddmException if {@code to} did not answer, or failed to store it
     */
    boolean pushChecked(SetState s, IoLinker linker, long objectId, int to) {
        synchronized (node.stores.stripe(s.id, objectId)) {
            byte[] answer = send(s, linker, objectId, to, StoreReplicas.HEAL | StoreReplicas.CHECK).answer();
            linker.healed(s.context, objectId, to);
            boolean repaired = answer.length == 1 && answer[0] == 1;
            if (repaired) {
                node.stats.storesHealed.increment();
            }
            return repaired;
        }
    }

    /** What a heal sent: the version of the value (NONE if none is recorded here), and the store node's answer. */
    private record Sent(Version version, byte[] answer) {
    }

    /**
     * Sends {@code to} the value stored here (the newest store) as a STORE with {@code flags}, with its version
     * ({@link Version#NONE} if none is recorded here: stored there only over none).
     */
    private Sent send(SetState s, IoLinker linker, long objectId, int to, int flags) {
        Version version;
        byte[] value;
        synchronized (node.stores.write(s.id, objectId)) { // (a value and the version it was stored at)
            version = StoreReplicas.storedVersion(linker, s, objectId);
            value = linker.firstTouch(s.context, objectId);
        }
        value = value == null ? Wire.EMPTY : value;
        // Always with its version, NONE included: a value stored with none (before versions) loses to any
        // recorded one there, and is stored over none
        CompletableFuture<byte[]> answer = node.transport.request(to, Kind.STORE.type(), node.outbox.request(s.id,
                objectId, node.self, Store.SYNC.ordinal() | flags | StoreReplicas.VERSIONED,
                Wire.copy(value, version)), node.operationTimeout());
        String failure = node.stores.await(to, answer, System.nanoTime() + node.operationTimeout().toNanos());
        if (failure != null) {
            throw new KddmException("object " + objectId + " of set " + SetIds.format(s.id) + " not stored on node "
                    + to + ": " + failure);
        }
        return new Sent(version, answer.getNow(Wire.EMPTY));
    }
}
