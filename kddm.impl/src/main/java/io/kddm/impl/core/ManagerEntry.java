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
        final int requester;
        final boolean write;
        int forwardedTo;

        Request(int requester, boolean write) {
            this.requester = requester;
            this.write = write;
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
