package io.kddm.impl.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.KddmException;
import io.kddm.impl.core.Wire.Kind;

/**
 * The memory budget at work: every change of the bytes held here goes through
 * {@link #hold}, which starts a flushing pass once the node is over its budget.
 */
final class Eviction {
    private static final Logger LOG = LoggerFactory.getLogger(Eviction.class);

    private final Coherence node;

    Eviction(Coherence node) {
        this.node = node;
    }

    /** Holding the monitor: the copy's bytes are now {@code value}; may start a flushing pass. */
    void hold(ObjectEntry e, byte[] value) {
        node.budget.changed(e.value, value);
        e.value = value;
        startPassIfOver();
    }

    /** The budget changed: a node now over it starts a flushing pass. */
    void budgetChanged() {
        startPassIfOver();
    }

    private void startPassIfOver() {
        if (node.budget.startPass()) {
            try {
                node.workers.execute(this::flushPass);
            } catch (RejectedExecutionException stopping) {
                node.budget.passDone(true);
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
            for (SetState s : node.allSets()) {
                for (ObjectEntry e : s.objects.values()) {
                    synchronized (e) {
                        if (e.state != ObjectState.INV_COPY && e.idle()) {
                            held.add(new Held(s, e, e.lastUse, e.state == ObjectState.READ_COPY));
                        }
                    }
                }
            }
            held.sort(Comparator.comparing((Held h) -> !h.copy).thenComparingLong(Held::lastUse));
            long expected = node.budget.held();
            long target = node.budget.limit() - node.budget.limit() / 10;
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
            node.budget.passDone(freedEnough);
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
     * Rows B1-B3.
     */
    int evict(SetState s, ObjectEntry e) {
        int size;
        synchronized (e) {
            if (!e.idle() || e.state == ObjectState.INV_COPY || e.value == null || e.homeDown) {
                return 0;
            }
            size = e.value.length;
            if (e.state == ObjectState.READ_COPY) {
                node.object.dropCopy(s, e); // silently: see Kind.DROPPED
                node.stats.budgetFlushes.increment();
                return size;
            }
            boolean diskBacked;
            try {
                diskBacked = node.calls.touchesAtHome(s);
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
        if (node.local.handOff(s, e)) {
            node.stats.budgetFlushes.increment();
            return size;
        }
        return 0;
    }

    /**
     * Holding the monitor of an idle sole owner: asks the home to let it write
     * the object back. The home queues this like any request, so that no
     * forward is on its way here when the object is dropped. Row B2.
     */
    private boolean writeBack(SetState s, ObjectEntry e) {
        int home = node.home(s, e.objectId);
        return node.linkers.isUp(home)
                && node.outbox.send(home, Kind.WRITEBACK_REQ, s.id, e.objectId, node.self, 0, null);
    }
}
