package io.kddm.impl.core;

import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.View;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.NodeDeadException;
import io.kddm.api.set.ObjectLostException;
import io.kddm.impl.core.ObjectEntry.Forward;

/**
 * The object side when the answers it waits for will not come: the object was
 * lost, its set is not open at its home, a node died or left, or the object's
 * acting home moved. What was asked is given up or asked again, what waited
 * fails or is served anew ({@link ObjectSide} runs the rest of the object's rows).
 */
final class ObjectRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectRecovery.class);

    private final Coherence node;

    ObjectRecovery(Coherence node) {
        this.node = node;
    }

    /** LOST from the home: the object's only copy died with a node; our request fails. Row O8. */
    void lost(SetState s, long objectId, String reason, long epoch) {
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            if (ObjectSide.stale(e, epoch)) {
                return;
            }
            // A transfer in progress is void: its old owner died, and with it the
            // invalidations it sent (so its acks may never come).
            abandonRequest(e);
            node.object.failAll(e, new ObjectLostException(reason));
            node.object.serve(s, e);
        }
    }

    /**
     * UNKNOWN_SET: the home has not opened the set (yet: a well-known set whose
     * family is not registered there, a set whose creation has not reached it) and
     * recorded nothing. The request is made again after a pause, doubling from
     * 20 ms to a second, as long as a local thread still waits for the object (each
     * within its own timeout, whose error then says why). Row O28.
     */
    void notOpenAtHome(SetState s, long objectId, String reason, long epoch) {
        ObjectEntry e = s.entry(objectId);
        synchronized (e) {
            if (ObjectSide.stale(e, epoch) || !e.requested || e.incoming != null || e.state.owner() || e.retry != null) {
                return; // not an answer to a request of ours in flight
            }
            e.refusal = reason;
            e.retryDelayMs = e.retryDelayMs == 0 ? 20 : Math.min(e.retryDelayMs * 2, 1000);
            Object retry = new Object();
            e.retry = retry;
            node.stats.refusals.increment();
            LOG.debug("{}: object {} asked again in {} ms", reason, objectId, e.retryDelayMs);
            node.later(() -> {
                synchronized (e) {
                    if (e.retry == retry) {
                        e.retry = null;
                        e.requested = false; // serve() asks anew if a thread still waits
                        node.object.serve(s, e);
                    }
                }
            }, e.retryDelayMs);
        }
    }

    /**
     * The acting home of objects of families with backups moved between two
     * views (their home left or came back): what was asked of the old one is
     * given up and asked of the new one, which rebuilt the records from the
     * survivors' claims; answers sent before are ignored from now on; forwards
     * of the old one are dropped. A first touch under way completes (its DONE
     * reaches the new home). Row R15.
     */
    void homesMoved(View previous, View current) {
        Map<Integer, View.Member> departed = current.departedSince(previous);
        for (SetState s : node.allSets()) {
            if (!node.replication.homesMove(s)) {
                continue;
            }
            for (ObjectEntry e : s.objects.values()) {
                int nominal;
                try {
                    nominal = node.calls.home(s, e.objectId);
                } catch (KddmException unknownFamily) {
                    continue;
                }
                int now = node.actingHome(current, s, nominal);
                // (Also the same node as a new incarnation: it left and came back in one view, records gone.)
                if (node.actingHome(previous, s, nominal) == now && !departed.containsKey(now)) {
                    continue;
                }
                synchronized (e) {
                    e.requestEpoch = current.epoch();
                    e.queue.removeIf(i -> i instanceof Forward);
                    // (A thread may have asked the new home already: this view was set before this runs.
                    // The same node id as a new incarnation lost what the old one was asked.)
                    boolean askedElsewhere = e.requestedFrom != now
                            || (departed.containsKey(now) && e.requestedInEpoch < current.epoch());
                    if (!e.filling && (e.requested || e.incoming != null) && askedElsewhere) {
                        abandonRequest(e);
                    }
                    node.object.serve(s, e);
                }
            }
        }
    }

    /** Holding the monitor: forget the request in flight and any transfer it started. */
    static void abandonRequest(ObjectEntry e) {
        ObjectSide.arrived(e);
        e.requested = false;
        e.filling = false;
        abandonTransfer(e);
    }

    /** Holding the monitor: forget an incoming ownership (its sender died), keeping the request, if any. */
    static void abandonTransfer(ObjectEntry e) {
        e.incoming = null;
        e.incomingHandoff = false;
        e.awaiting.clear();
        e.earlyAcks.clear();
    }

    /** A node died or left: nothing it held or was asked for will come. Rows F7-F9. */
    void nodeDown(SetState s, int down) {
        for (ObjectEntry e : s.objects.values()) {
            synchronized (e) {
                e.copyset.remove(down);
                if (e.backedUpOn != null && e.backedUpOn.contains(down)) {
                    // (also a restart: its new incarnation keeps nothing of the old one's store)
                    e.backedUpOn = e.backedUpOn.stream().filter(n -> n != down).toList();
                }
                e.queue.removeIf(i -> i instanceof Forward f && f.requester() == down);
                if (e.invalidateAckTo == down) {
                    if (e.readers == 0 && e.writers == 0) {
                        e.invalidateAckTo = 0;
                        node.object.dropCopy(s, e);
                    } else {
                        // Held: a waiter granted it may not have woken yet, and takes its bytes when it does.
                        // Dropped once the holders let it go, as the deferred invalidation would have been.
                        e.invalidateAckTo = ObjectEntry.ACK_NOBODY;
                    }
                }
                if (e.awaiting.remove(down)) {
                    node.object.completeIfAcked(s, e);
                }
                int home;
                try {
                    home = node.home(s, e.objectId);
                } catch (KddmException ex) {
                    home = 0;
                }
                if (home == down && !node.replication.homesMove(s)) {
                    // Homes do not move: the home's record of this object is gone, and a
                    // restarted home would make the object anew. Dropping every copy now
                    // keeps one object from ever having two owners.
                    abandonRequest(e);
                    e.upgrading = false;
                    e.invalidateAckTo = 0;
                    e.copyset.clear();
                    e.queue.removeIf(i -> i instanceof Forward);
                    e.homeDown = true;
                    node.object.failAll(e, new NodeDeadException("node " + down + ", the home of object " + e.objectId
                            + ", is down: the object is unavailable"));
                }
                node.object.serve(s, e);
            }
        }
    }
}
