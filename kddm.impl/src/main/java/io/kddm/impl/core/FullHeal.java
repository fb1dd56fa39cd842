package io.kddm.impl.core;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.SetIds;
import io.kddm.api.set.StoreHeal;
import io.kddm.api.transport.Inbound;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * The full heal of a replicated store, as Gluster's {@code heal full}: what the
 * heal index cannot say (a store node's disk replaced, a copy deleted or damaged
 * by hand, a heal record lost) is found by comparing every object. The home
 * lists what it stores of its own objects, each other store node what it
 * stores of them ({@link IoLinker#stored}), and every object of either list
 * goes through the index heal's path ({@link StoreReplicas#pushChecked}): under
 * its store lock, the home's stored value is sent as a heal, which the store
 * node compares with its copy and rewrites only if it differs. So a store made
 * meanwhile is not undone (it waits for the lock, or comes after and
 * overwrites), and the home's copy is the one every other is made equal to:
 * a home whose own copy is damaged is not repaired, it is copied. Rows S10-S12.
 */
final class FullHeal {
    private static final Logger LOG = LoggerFactory.getLogger(FullHeal.class);
    /** A full heal compares every object of a partition: it may take long, but not for ever. */
    static final Duration LIMIT = Duration.ofHours(1);

    private final Coherence node;

    FullHeal(Coherence node) {
        this.node = node;
    }

    /**
     * At any node: the full heal of the objects homed on {@code home}, made by
     * the home (asked with HEAL_FULL if it is another node). Row S10.
     *
     * @throws KddmException naming why: the home or one of its store nodes is out of the view, or an object failed
     */
    StoreHeal heal(int home) {
        if (home == node.self) {
            return healHere(node.self);
        }
        if (!node.inView(home) || !node.linkers.isUp(home)) {
            throw new KddmException("node " + home + " is out of the view: its copy of its objects is the one the "
                    + "other store nodes are compared with, so they cannot be healed in full before it is back");
        }
        CompletableFuture<byte[]> answer = node.transport.request(home, Kind.HEAL_FULL.type(),
                node.outbox.request(0, home, node.self, 0, null), LIMIT);
        String failure = node.stores.await(home, answer, System.nanoTime() + LIMIT.toNanos());
        if (failure != null) {
            throw new KddmException("the full heal of node " + home + "'s objects failed: " + failure);
        }
        return decode(home, answer.getNow(Wire.EMPTY));
    }

    /** HEAL_FULL: this node, a home, heals its other store nodes in full; on a thread of its own (a long crawl). */
    void onHealFull(Inbound in, Message m) {
        int asker = in.sender();
        if (m.objectId() != node.self) {
            in.fail("HEAL_FULL of node " + m.objectId() + "'s objects reached node " + node.self);
            return;
        }
        Coherence.daemon(() -> {
            try {
                in.reply(encode(healHere(asker)));
            } catch (RuntimeException ex) {
                in.fail(ex.getMessage() == null ? ex.toString() : ex.getMessage());
            }
        }, "kddm-full-heal-" + node.self + "-for-" + asker).start();
    }

    /** STORED: what this node stores of the objects homed on {@code objectId}. Row S12. */
    void onStored(Inbound in, Message m) {
        int home = (int) m.objectId();
        Coherence.daemon(() -> {
            try {
                in.reply(encodeListing(listing(home)));
            } catch (RuntimeException ex) {
                in.fail(ex.toString());
            }
        }, "kddm-stored-" + node.self).start();
    }

    /** Every object this node's IO linkers store of those homed on {@code home}, by set. */
    private Map<Long, Set<Long>> listing(int home) {
        Map<Long, Set<Long>> out = new TreeMap<>();
        for (IoLinker linker : node.linkers.ioLinkers().values()) {
            linker.stored(home).forEach((set, ids) -> out.computeIfAbsent(set, k -> new TreeSet<>()).addAll(ids));
        }
        return out;
    }

    /**
     * At the home: every other store node of its objects (and {@code asker}, if
     * it is one) is compared with the home's copy, object by object. Row S10.
     */
    private StoreHeal healHere(int asker) {
        if (!node.isMember()) {
            throw new KddmException("node " + node.self + " is not in the view: it does not act for its objects");
        }
        Map<Long, Set<Long>> here = listing(node.self);
        Set<Integer> others = new TreeSet<>();
        Map<Long, SetState> sets = new TreeMap<>();
        for (long id : here.keySet()) {
            SetState s = replicatedSet(id);
            if (s != null) {
                sets.put(id, s);
                others.addAll(node.stores.group(s, node.self));
            }
        }
        if (asker != node.self) {
            others.add(asker); // (its listing says which sets it stores: those whose group has it)
        }
        others.remove(node.self);
        for (int n : others) {
            if (!node.inView(n) || !node.linkers.isUp(n)) {
                throw new KddmException("node " + n + ", a store node of node " + node.self + "'s objects, is out of "
                        + "the view: it cannot be compared now (it is healed from the heal index when it is back)");
            }
        }
        List<Integer> compared = new ArrayList<>();
        long checked = 0;
        long repaired = 0;
        for (int n : others) {
            Map<Long, Set<Long>> objects = new TreeMap<>();
            here.forEach((set, ids) -> objects.put(set, new TreeSet<>(ids)));
            for (Map.Entry<Long, Set<Long>> e : listingOf(n).entrySet()) {
                objects.computeIfAbsent(e.getKey(), k -> new TreeSet<>()).addAll(e.getValue());
            }
            for (long id : objects.keySet()) {
                sets.computeIfAbsent(id, this::replicatedSet); // all opened first: their ranges rebuilt meanwhile
            }
            boolean storesSome = false;
            for (Map.Entry<Long, Set<Long>> e : objects.entrySet()) {
                SetState s = sets.get(e.getKey());
                if (s == null || !node.stores.group(s, node.self).contains(n)) {
                    continue; // not replicated, or not on node n
                }
                storesSome = true;
                IoLinker linker = node.calls.awaitLinker(s);
                for (long objectId : e.getValue()) {
                    if (node.calls.home(s, objectId) != node.self) {
                        continue; // (another home's object: not this node's to compare)
                    }
                    awaitActing(s, objectId);
                    checked++;
                    if (node.heals.pushChecked(s, linker, objectId, n)) {
                        repaired++;
                    }
                }
            }
            if (storesSome) {
                compared.add(n);
            }
        }
        LOG.info("full heal of node {}'s objects on nodes {}: {} checked, {} repaired", node.self, compared, checked,
                repaired);
        return new StoreHeal(node.self, compared, checked, repaired);
    }

    /** The set, opened here if it is a well-known one; null if unknown or not replicated. */
    private SetState replicatedSet(long id) {
        SetState s = node.known(id);
        return s != null && node.stores.replicated(s) ? s : null;
    }

    /**
     * Waits, up to the operation timeout, until this node acts for the object and
     * its range is not being rebuilt (a home just back is healed first, S5).
     */
    private void awaitActing(SetState s, long objectId) {
        long deadline = System.nanoTime() + node.operationTimeout().toNanos();
        while (node.home(s, objectId) != node.self || s.rebuilding.containsKey(node.self)) {
            if (System.nanoTime() - deadline >= 0) {
                throw new KddmException("node " + node.self + " does not act for object " + objectId + " of set "
                        + SetIds.format(s.id) + " (its range is being rebuilt, or the view moved it): full heal "
                        + "stopped, ask again");
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
                throw new KddmException("full heal interrupted");
            }
        }
    }

    /** What store node {@code n} stores of this node's objects (STORED). */
    private Map<Long, Set<Long>> listingOf(int n) {
        CompletableFuture<byte[]> answer = node.transport.request(n, Kind.STORED.type(),
                node.outbox.request(0, node.self, node.self, 0, null), LIMIT);
        String failure = node.stores.await(n, answer, System.nanoTime() + LIMIT.toNanos());
        if (failure != null) {
            throw new KddmException("node " + n + " cannot list what it stores of node " + node.self + "'s objects: "
                    + failure);
        }
        return decodeListing(answer.getNow(Wire.EMPTY));
    }

    static byte[] encodeListing(Map<Long, Set<Long>> listing) {
        int size = 0;
        for (Set<Long> ids : listing.values()) {
            size += 12 + 8 * ids.size();
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        listing.forEach((set, ids) -> {
            b.putLong(set).putInt(ids.size());
            ids.forEach(b::putLong);
        });
        return b.array();
    }

    static Map<Long, Set<Long>> decodeListing(byte[] bytes) {
        Map<Long, Set<Long>> out = new TreeMap<>();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.remaining() >= 12) {
            long set = b.getLong();
            int n = b.getInt();
            Set<Long> ids = out.computeIfAbsent(set, k -> new TreeSet<>());
            for (int i = 0; i < n; i++) {
                ids.add(b.getLong());
            }
        }
        return out;
    }

    static byte[] encode(StoreHeal h) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * h.storeNodes().size() + 16);
        b.putInt(h.storeNodes().size());
        h.storeNodes().forEach(b::putInt);
        return b.putLong(h.checked()).putLong(h.repaired()).array();
    }

    static StoreHeal decode(int home, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        List<Integer> nodes = new ArrayList<>();
        for (int i = b.getInt(); i > 0; i--) {
            nodes.add(b.getInt());
        }
        return new StoreHeal(home, nodes, b.getLong(), b.getLong());
    }
}
