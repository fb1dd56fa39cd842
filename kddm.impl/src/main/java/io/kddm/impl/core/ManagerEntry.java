package io.kddm.impl.core;

import java.util.ArrayDeque;

/**
 * The home's record of one object: who owns it, and the requests for it, served
 * one at a time so that ownership never moves under a request in flight.
 * Guarded by its own monitor.
 */
final class ManagerEntry {
    /** A request at the home. {@code forwardedTo} is the owner it was sent to (0: none yet). */
    static final class Request {
        /** {@code forwardedTo} of work the home does itself (a first touch or a store), never a node id. */
        static final int AT_HOME = 256;

        final int requester;
        final boolean write;
        int forwardedTo;
        /** The owner's own request to write the object back and drop it (the requester is the owner). */
        boolean writeBack;

        Request(int requester, boolean write) {
            this.requester = requester;
            this.write = write;
        }

        /** A grab on {@code target}'s behalf, which it did not ask for: {@code owner} flushes the object. */
        static Request handoff(int target, int owner) {
            Request r = new Request(target, true);
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
    final ArrayDeque<Request> queue = new ArrayDeque<>();

    ManagerEntry(long objectId) {
        this.objectId = objectId;
    }
}
