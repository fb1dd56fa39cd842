package io.kddm.impl.core;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * One object as this node holds or wants it: its state ({@link ObjectState}),
 * value, copyset (when owner), lock holders and the queue of local threads and
 * forwarded requests waiting for it, served in arrival order. Guarded by its own
 * monitor. What happens to it is in {@link StateTable}, object-side rows.
 */
final class ObjectEntry {
    /** Something waiting for the object: a local thread or a request forwarded by the home. */
    sealed interface Item permits Waiter, Forward {
    }

    /** A local thread in get or grab. */
    static final class Waiter implements Item {
        final boolean write;
        boolean granted;
        RuntimeException failure;

        Waiter(boolean write) {
            this.write = write;
        }

        boolean done() {
            return granted || failure != null;
        }
    }

    /** The home asks this owner to serve {@code requester} (a handoff: the requester did not ask). */
    record Forward(int requester, boolean write, boolean handoff) implements Item {
    }

    final long objectId;
    /** One of the stable states: INV_COPY, READ_COPY, READ_OWNER, WRITE_OWNER. */
    ObjectState state = ObjectState.INV_COPY;
    byte[] value;
    /** The version of {@link #value} (carried by COPY and OWNERSHIP, kept by backups). */
    Version version = Version.NONE;
    /**
     * Disk-backed families with backups: the newest version this node saw written back to the store; at or
     * above {@link #version} the store has the value and no backup is needed (R31).
     */
    Version writtenBack = Version.NONE;

    /** Holding the monitor: the object's store has its version (a disk-backed family): no backup is needed (R31). */
    boolean storeHasIt() {
        return writtenBack.newerThan(Version.NONE) && !version.newerThan(writtenBack);
    }
    /** Owner: the nodes that acknowledged the backup of {@link #version} (null: none asked). */
    java.util.List<Integer> backedUpOn;
    /**
     * Owner: the targets of the last backup round after which older backups were
     * collected from every other member (null: none since this node became owner). Row R23.
     */
    java.util.Set<Integer> collectedFor;
    /** Owner, visible mode: puts whose backups are not all acknowledged yet; no other node is served meanwhile. */
    int pendingBackups;
    /** Owner only: the other nodes holding a read copy. */
    final Set<Integer> copyset = new TreeSet<>();
    int readers;
    int writers;
    final ArrayDeque<Item> queue = new ArrayDeque<>();

    /** A GET_REQ or GRAB_REQ of ours is at the home: WAIT_OBJ_READ or WAIT_OBJ_WRITE. */
    boolean requested;
    boolean requestedWrite;
    /** The home that request went to, and the view it was sent in (the home may come back as a new incarnation). */
    int requestedFrom;
    long requestedInEpoch;
    /** The home said TOUCH and the IO linker is making the object: INV_FILLING. */
    boolean filling;
    /** OWNERSHIP arrived; waiting for the acks in {@link #awaiting}: WAIT_ACK_WRITE. */
    byte[] incoming;
    Version incomingVersion = Version.NONE;
    /** Who sent the incoming ownership (it keeps the value as a backup). */
    int incomingFrom;
    /** The incoming ownership is a handoff, not the answer to our request (which may still be pending). */
    boolean incomingHandoff;
    /** We are the owner and invalidate the copyset for a local grab: WAIT_ACK_INV. */
    boolean upgrading;
    /** Nodes whose INV_ACK we wait for. */
    final Set<Integer> awaiting = new HashSet<>();
    /** INV_ACKs that came before the OWNERSHIP that lists them. */
    final Set<Integer> earlyAcks = new HashSet<>();
    /** Copy holder: an INV waits for local readers to leave; ack goes to this node (0: none): INV_DEFERRED. */
    int invalidateAckTo;
    /** {@link #invalidateAckTo} of a copy to drop once its holders let it go, acknowledged to nobody (F8). */
    static final int ACK_NOBODY = -1;
    /** The home died: no new grants; the copy is dropped once its holders are gone: HOME_DOWN. */
    boolean homeDown;
    /** The view from which answers count: older ones answer a request given up when the acting home moved (R15). */
    long requestEpoch;
    /** Why the home refused our last request (UNKNOWN_SET), until the object comes: for a waiter that times out. */
    String refusal;
    /** The pause before asking a refusing home again, ms (0: not refused); doubles up to a second. */
    int retryDelayMs;
    /** The pending retry after a refusal: a retry that finds another one here is stale. */
    Object retry;
    /**
     * Why the entry is void (its set destroyed here, this node stopped or taken out
     * of the cluster), null while it is live: nothing is granted from it again, and
     * a handle put later publishes nothing.
     */
    RuntimeException voidedBy;
    /** When a local thread was last granted the object (nanoTime), for the memory budget. */
    long lastUse;
    /** The object came by a handoff and no local thread used it since. */
    boolean handedIn;

    ObjectEntry(long objectId) {
        this.objectId = objectId;
    }

    /**
     * The state as Kerrighed would name it: the stable state, or the waiting state
     * the entry is in. Where two apply, the one that decides what the next message
     * does wins (a READ_COPY waiting for the ownership is WAIT_OBJ_WRITE, as in
     * Kerrighed, whose grab of a read copy moves it to WAIT_OBJ_WRITE).
     */
    ObjectState name() {
        if (homeDown) {
            return ObjectState.HOME_DOWN;
        }
        if (upgrading) {
            return ObjectState.WAIT_ACK_INV;
        }
        if (incoming != null) {
            return ObjectState.WAIT_ACK_WRITE;
        }
        if (filling) {
            return ObjectState.INV_FILLING;
        }
        if (invalidateAckTo != 0) {
            return ObjectState.INV_DEFERRED;
        }
        if (requested && !state.owner()) {
            return requestedWrite ? ObjectState.WAIT_OBJ_WRITE : ObjectState.WAIT_OBJ_READ;
        }
        return state;
    }

    boolean readable() {
        return state != ObjectState.INV_COPY && invalidateAckTo == 0 && !upgrading && !homeDown;
    }

    boolean idle() {
        return readers == 0 && writers == 0 && queue.isEmpty() && !requested && incoming == null && !upgrading
                && pendingBackups == 0;
    }
}
