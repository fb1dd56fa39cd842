package io.kddm.impl.core;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.SetIds;

/**
 * A home that leaves in order stores what it homes first: each object of a
 * disk-backed family homed here is brought back from wherever it is, written
 * through the IO linker and dropped with its record, so that the next first
 * touch at this home reads what was last written. Row F16.
 */
final class LeavingHome {
    private static final Logger LOG = LoggerFactory.getLogger(LeavingHome.class);

    private final Coherence node;

    LeavingHome(Coherence node) {
        this.node = node;
    }

    /**
     * This home leaves in order: every object of a disk-backed family it homes
     * (whose store is here) is brought back here by a grab, stored through its IO
     * linker and dropped, so that nothing another node wrote is lost while this
     * home is away; from then on the others' requests are refused until it has
     * left (they ask again, then find it gone). Objects of memory families homed
     * here cannot be kept unless their family has backups (then their homes move, R19). Row F1.
     */
    void recallStored(long deadline) {
        int lost = 0;
        for (SetState s : node.allSets()) {
            boolean stored;
            try {
                stored = node.calls.touchesAtHome(s);
            } catch (RuntimeException unknownFamily) {
                continue;
            }
            for (ManagerEntry me : s.managed.values()) {
                int owner;
                synchronized (me) {
                    if (stored) {
                        awaitOwnRequest(s, me, deadline);
                    }
                    owner = me.owner;
                }
                if (owner == 0) {
                    continue; // in the store already
                }
                if (!stored) {
                    if (!node.replication.homesMove(s)) {
                        lost++; // (with backups, the next acting home takes them over: R19, R16)
                    }
                    continue;
                }
                if (System.nanoTime() - deadline > 0) {
                    LOG.error("node {} leaves before object {} of set {} was stored: no time left", node.self,
                            me.objectId, SetIds.format(s.id));
                    continue;
                }
                try {
                    storeAndDrop(s, me, deadline);
                } catch (RuntimeException e) {
                    LOG.error("node {} leaves without storing object {} of set {}: {}", node.self, me.objectId,
                            SetIds.format(s.id), e.getMessage());
                }
            }
        }
        if (lost > 0) {
            LOG.warn("node {} leaves as the home of {} objects of memory families: they are unavailable from now on, "
                    + "and lost (their families keep no backups, so their homes do not move to other nodes)", node.self, lost);
        }
    }

    /**
     * Holding the monitor: until this node's own request in flight at this home
     * is over, if it was granted (this node owns the object): its DONE is on its way
     * through the loopback, and until it comes the record says nobody owns the
     * object (a first touch made here) although this node holds a newer value than
     * the store. A request not granted yet is not waited for.
     */
    private void awaitOwnRequest(SetState s, ManagerEntry me, long deadline) {
        try {
            while (me.current != null && me.current.requester == node.self && ownedHere(s, me.objectId)
                    && s.managed.get(me.objectId) == me && System.nanoTime() - deadline < 0) {
                me.wait(Math.max(1, Math.min(50, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            }
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether this node holds the object as its owner: its own request was granted, only its DONE is due. */
    private static boolean ownedHere(SetState s, long objectId) {
        ObjectEntry e = s.objects.get(objectId);
        if (e == null) {
            return false;
        }
        synchronized (e) {
            return e.state.owner();
        }
    }

    /**
     * The last node up leaves (it holds no lease: the other voters are gone):
     * what it owns and homes is still stored, for only this home writes its
     * store, and no node holds a newer value of an object this home says is
     * here. False if the object is not here, owned and idle.
     */
    private boolean storeOwn(SetState s, ManagerEntry me) {
        long since = node.excludedAt;
        ObjectEntry e = s.objects.get(me.objectId);
        byte[] value;
        Version version;
        synchronized (me) {
            if (e == null || me.owner != node.self || me.current != null) {
                return false;
            }
            synchronized (e) {
                if (!e.state.owner() || !e.idle() || e.value == null) {
                    return false;
                }
                value = e.value;
                version = e.version;
            }
        }
        node.stores.store(s, me.objectId, LocalOperations.Store.SYNC, value, since, version);
        synchronized (me) {
            synchronized (e) {
                if (me.owner == node.self && e.value == value) {
                    me.owner = 0;
                    node.object.dropCopy(s, e);
                }
            }
        }
        return true;
    }

    /**
     * This home leaves: the object it homes is grabbed here (from wherever it
     * is), stored through the IO linker, and dropped with the home's record, so
     * that the next first touch at this home reads what was last written. Row F1.
     */
    void storeAndDrop(SetState s, ManagerEntry me, long deadline) {
        if (!node.linkers.hasLease() && storeOwn(s, me)) {
            return;
        }
        long since = node.excludedAt;
        Handle h = node.local.acquireWhileLeaving(s, me.objectId, true, Math.max(1, deadline - System.nanoTime()), false);
        ObjectEntry e = h.entry;
        try {
            node.stores.store(s, me.objectId, LocalOperations.Store.SYNC, h.current(), since, h.version());
        } finally {
            h.close();
        }
        synchronized (me) {
            try {
                me.awaitSettled(deadline); // this node's own grab is over at its home once its DONE came back
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
                return;
            }
            synchronized (e) {
                if (e.state.owner() && e.idle() && e.copyset.isEmpty() && me.owner == node.self) {
                    me.owner = 0;
                    node.object.dropCopy(s, e);
                }
            }
        }
    }
}
