package io.kddm.impl.core;

import java.util.ArrayDeque;

/**
 * The home's record of one object: who owns it, and the requests for it, served
 * one at a time so that ownership never moves under a request in flight.
 * Guarded by its own monitor; taken before an {@link ObjectEntry}'s, never after.
 * What happens to it is in {@link StateTable}, home-side rows.
 */
final class ManagerEntry {
    /** A request at the home. {@code forwardedTo} is the owner it was sent to (0: none yet). */
    static final class Request {
        /** {@code forwardedTo} of work the home does itself (a first touch or a store), never a node id. */
        static final int AT_HOME = 256;

        final int requester;
        final boolean write;
        /** The node that asked to hand the object off (its owner then), 0 for any other request. */
        final int handoffFrom;
        int forwardedTo;
        /** The owner's own request to write the object back and drop it (the requester is the owner). */
        boolean writeBack;

        Request(int requester, boolean write) {
            this(requester, write, 0);
        }

        private Request(int requester, boolean write, int handoffFrom) {
            this.requester = requester;
            this.write = write;
            this.handoffFrom = handoffFrom;
        }

        /** A grab on {@code target}'s behalf, which it did not ask for: {@code owner} flushes the object. */
        static Request handoff(int target, int owner) {
            Request r = new Request(target, true, owner);
            r.forwardedTo = -owner; // marks a handoff until started
            return r;
        }

        /** The owner asks to write the object back to the home's store and drop it. */
        static Request writeBack(int owner) {
            Request r = new Request(owner, true);
            r.writeBack = true;
            return r;
        }
    }

    final long objectId;
    /** The owner, or 0 when nobody holds the object (next access is a first touch). */
    int owner;
    /** Its only copy died with a node. */
    String lost;
    Request current;
    /** The version of the object when it was last removed: a first touch goes on from it (R3). */
    Version floor = Version.NONE;
    /** Its owner died and the survivors' claims are awaited: nothing is served meanwhile. */
    OwnerFailover.Recovery recovering;
    final ArrayDeque<Request> queue = new ArrayDeque<>();

    ManagerEntry(long objectId) {
        this.objectId = objectId;
    }

    /** Holding the monitor: the request in flight is over; wakes whoever waits for the record to settle. */
    void finish() {
        current = null;
        notifyAll();
    }

    /** Holding the monitor: waits until no request is in flight, at most until {@code deadline} (nanoTime). */
    void awaitSettled(long deadline) throws InterruptedException {
        for (long left; current != null && (left = deadline - System.nanoTime()) > 0; ) {
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Its state, as {@link HomeState} names it. */
    HomeState name() {
        if (lost != null) {
            return HomeState.LOST;
        }
        if (recovering != null) {
            return HomeState.RECOVERING;
        }
        if (current == null) {
            return owner == 0 ? HomeState.NO_OWNER : HomeState.OWNED;
        }
        if (current.forwardedTo == Request.AT_HOME) {
            return HomeState.AT_HOME;
        }
        return current.forwardedTo == 0 ? HomeState.TOUCHING : HomeState.FORWARDED;
    }
}
