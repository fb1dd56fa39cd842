package io.kddm.impl.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.View;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.NoQuorumException;

/**
 * What the agreed membership means for this node's objects: a view installed
 * (the nodes gone from it no longer hold or serve anything: rows F2-F12), this
 * node taken out of the cluster (everything it held is void: row F13), its lease
 * lost or regained (nothing is granted or served without one: rows F14, F15),
 * and its own orderly leave (everything handed off and acknowledged first: F1).
 */
final class ViewChanges {
    private static final Logger LOG = LoggerFactory.getLogger(ViewChanges.class);

    private final Coherence node;
    /** Handoffs of this node's leave, waiting for their home's HANDED_OFF: by set id and object id. */
    private final Map<List<Long>, CompletableFuture<Void>> handoffs = new ConcurrentHashMap<>();

    ViewChanges(Coherence node) {
        this.node = node;
    }

    /**
     * A view is installed: messages are admitted by it from now on, and every
     * node that left it (left in order, was excluded, restarted) is down; the
     * first view that has this node again lets its waiters ask. Rows F2-F12, F17.
     */
    void installed(View previous, View current) {
        boolean wasMember = node.isMember();
        node.dispatch.install(current, () -> {
            node.ledger.departed(previous, current); // before a range is rebuilt: who crashed (R25-R27)
            boolean member = current.members().containsKey(node.self);
            if (member) {
                node.lastMemberEpoch = current.epoch(); // before the parked messages are admitted by it (D3)
                // R15 first: what was asked of a home that moved is asked anew, once (a departure's
                // serve below would otherwise ask the new home too, and it would get two requests).
                node.recovery.homesMoved(previous, current);
            }
            for (Map.Entry<Integer, View.Member> gone : current.departedSince(previous).entrySet()) {
                if (gone.getKey() != node.self) {
                    node.nodeDown(gone.getKey());
                }
            }
            if (member) {
                node.rebuild.homesMoved(previous, current, !wasMember); // R16
            }
        });
        if (!wasMember && node.isMember()) {
            serveAll(); // F17: what waited for this node to (re)join asks its homes now
        }
        if (!current.departedSince(previous).isEmpty()) {
            node.replication.reReplicateSoon(); // R12: a backup target may have gone
        }
        if (node.isMember()) {
            node.heals.viewInstalled(); // S4: a store node back is healed of what it missed
        }
        node.ledger.viewInstalled(current); // R26: once fully replicated in it, every member is told
        if (node.isMember() && (!wasMember || previous.epoch() == 0 || !previous.members().containsKey(node.self))) {
            node.heals.joined(); // S6: the sets whose stores this node missed are opened, so healed (S5)
        }
    }

    private void serveAll() {
        for (SetState s : node.allSets()) {
            for (ObjectEntry e : s.objects.values()) {
                synchronized (e) {
                    node.object.serve(s, e);
                }
            }
        }
    }

    /**
     * This node was taken out of the cluster (paused or cut off longer than the
     * failure bound): the others have acted on its departure, so whatever it held
     * (copies, ownerships, home records) may be stale or taken over. It drops it
     * all, failing every waiter, and starts afresh as the new incarnation it joins
     * as. Row F13.
     */
    void excluded(View view) {
        KddmException failure = new KddmException("node " + node.self + " was taken out of the cluster (" + view
                + "): what it held is void; it joins again");
        node.dispatch.exclusively(() -> { // D3: nothing admitted for the old incarnation is handled after this
            node.excludedAt = Math.max(node.excludedAt, view.epoch());
            node.dispatch.clearParked();
            for (SetState s : node.allSets()) {
                for (ObjectEntry e : s.objects.values()) {
                    synchronized (e) {
                        node.object.discard(e, failure);
                    }
                }
                synchronized (s) {
                    s.objects.clear();
                    s.managed.clear();
                    s.rebuilding.clear();
                    s.actingFor.clear();
                }
            }
        });
        LOG.warn("node {}: every object copy, ownership and home record dropped: {}", node.self, failure.getMessage());
    }

    /**
     * The lease changed. Lost: every local thread waiting for an object fails at
     * once (nothing is granted without a lease); requests of other nodes wait,
     * neither served nor dropped. Regained: everything that waited is served.
     * Rows F14, F15.
     */
    void leaseChanged(boolean held) {
        NoQuorumException noQuorum = held ? null : noQuorum();
        for (SetState s : node.allSets()) {
            for (ManagerEntry me : s.managed.values()) {
                if (held) {
                    node.home.resume(s, me);
                }
            }
            for (ObjectEntry e : s.objects.values()) {
                synchronized (e) {
                    if (held) {
                        node.object.serve(s, e);
                    } else {
                        node.object.failAll(e, noQuorum);
                    }
                }
            }
        }
    }

    NoQuorumException noQuorum() {
        return new NoQuorumException("node " + node.self + " holds no lease from a majority of the voting nodes: "
                + "it is cut off from them, or they have no quorum");
    }

    /**
     * Leaves in order: no local thread gets anything any more, the local holders
     * have a while to put what they hold, read copies are dropped, and every owned
     * object is handed to another node through its home, which acknowledges once
     * it knows the new owner (HANDED_OFF). Objects homed here whose family stores
     * them (disk-backed) are brought back and stored first. A home that is
     * unreachable but still in the view is waited for: the next view brings it
     * back, moves its objects' home, or says it left (then an object of a family
     * without backups was lost with it, and is not this leave's loss). Returns
     * how many objects stayed here; waits at most {@code limit}. Row F1.
     */
    int leave(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        node.leaving = true;
        KddmException leaving = new KddmException("node " + node.self + " is leaving the cluster");
        awaitHolders(deadline, leaving);
        node.leavingHome.recallStored(deadline);
        int kept = 0;
        int wentWithHome = 0;
        int rounds = 0;
        while (true) {
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            kept = 0;
            wentWithHome = 0;
            boolean homeDeparting = false;
            for (SetState s : node.allSets()) {
                for (ObjectEntry e : s.objects.values()) {
                    if (homedHere(s, e.objectId)) {
                        if (node.replication.homesMove(s) && !node.stores.replicated(s)) {
                            // R19: its next acting home rebuilds it from claims: every member gets a copy first
                            node.replication.backUpEverywhere(s, e, deadline);
                        }
                        continue; // stored by recallStored, or taken over from its backups by the next home
                    }
                    boolean owned;
                    synchronized (e) {
                        if (e.state == ObjectState.READ_COPY && e.idle()) {
                            node.object.dropCopy(s, e); // it stays in its owner's copyset: acknowledged when invalidated
                        }
                        owned = e.state.owner();
                    }
                    if (!owned) {
                        continue;
                    }
                    int home = node.home(s, e.objectId);
                    if (!node.linkers.isUp(home)) {
                        if (node.view.members().containsKey(home)) {
                            // F1: its home is leaving or unreachable; the next view moves it, takes it out, or it is back
                            homeDeparting = true;
                            kept++;
                        } else if (!node.replication.homesMove(s)) {
                            wentWithHome++; // its home left before this node, and its family keeps no backups
                        } else {
                            kept++;
                        }
                        continue;
                    }
                    CompletableFuture<Void> ack = new CompletableFuture<>();
                    handoffs.put(List.of(s.id, e.objectId), ack);
                    if (node.local.handOff(s, e, true)) {
                        acks.add(ack);
                    } else {
                        handoffs.remove(List.of(s.id, e.objectId));
                        kept++;
                        LOG.warn("node {} could not hand object {} of set {} to its home, node {}", node.self,
                                e.objectId, io.kddm.api.set.SetIds.format(s.id), home);
                    }
                }
            }
            for (CompletableFuture<Void> ack : acks) {
                try {
                    ack.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (Exception notAcked) {
                    kept++;
                }
            }
            handoffs.forEach((key, ack) -> LOG.warn("node {} leaves without its home's word that object {} of set {} "
                    + "was handed off", node.self, key.get(1), io.kddm.api.set.SetIds.format(key.get(0))));
            if (System.nanoTime() - deadline > 0) {
                break; // no time is left
            }
            if (!acks.isEmpty() && ++rounds < 5) {
                continue; // more may have been handed in meanwhile
            }
            if (!homeDeparting) {
                break;
            }
            try {
                Thread.sleep(50); // the view that settles where the home of what is left is comes within the failure bound
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (wentWithHome > 0) {
            LOG.warn("node {} leaves owning {} objects whose home left the cluster before it: their families keep no "
                    + "backups, so they were lost when their home left, not now", node.self, wentWithHome);
        }
        if (kept == 0) {
            node.ledger.leftInOrder(System.nanoTime() + Math.min(2_000_000_000L, Math.max(0, deadline - System.nanoTime()))
                    + 200_000_000L); // R25: this departure is no crash
        }
        return kept;
    }

    private boolean homedHere(SetState s, long objectId) {
        try {
            return node.home(s, objectId) == node.self;
        } catch (KddmException unknownFamily) {
            return false;
        }
    }

    /** HANDED_OFF from a home: a handoff of this node's leave is complete. */
    void handedOff(long setId, long objectId) {
        CompletableFuture<Void> ack = handoffs.remove(List.of(setId, objectId));
        if (ack != null) {
            ack.complete(null);
        }
    }

    /** Fails the waiters and gives the holders until {@code deadline} to put what they hold. */
    private void awaitHolders(long deadline, KddmException leaving) {
        for (SetState s : node.allSets()) {
            for (ObjectEntry e : s.objects.values()) {
                synchronized (e) {
                    node.object.failAll(e, leaving);
                    while ((e.readers > 0 || e.writers > 0) && System.nanoTime() - deadline < 0) {
                        try {
                            e.wait(10); // a put notifies only whom it grants: look again now and then
                        } catch (InterruptedException ex) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                    if (e.readers > 0 || e.writers > 0) {
                        LOG.error("node {} leaves while a thread still holds object {}", node.self, e.objectId);
                    }
                }
            }
        }
    }
}
