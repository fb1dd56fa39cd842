package io.kddm.impl.core;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * One object as this node holds it. Guarded by its own monitor.
 * <p>
 * States (Kerrighed's names) and what moves between them:
 * <pre>
 * state        event                                   action                                    next
 * INVALID      local get/grab                          GET_REQ/GRAB_REQ to the home              (waits)
 * INVALID      TOUCH from home                         linker.firstTouch, DONE(owner=me)         READ_OWNER / WRITE_OWNER
 * INVALID      COPY from owner                         DONE                                      READ_COPY
 * any          OWNERSHIP + every INV_ACK listed        DONE(owner=me)                            WRITE_OWNER
 * READ_COPY    local get                               grant                                     READ_COPY
 * READ_COPY    local grab                              GRAB_REQ to the home                      (waits)
 * READ_COPY    INV, no local reader                    INV_ACK to the new owner                  INVALID
 * READ_COPY    INV, local readers                      no new grants; INV_ACK when they release  INVALID
 * READ_OWNER   local get                               grant                                     READ_OWNER
 * READ_OWNER   local grab, no holder                   INV to the copyset, wait for the acks     WRITE_OWNER
 * READ_OWNER   FWD_GET                                 COPY, add to copyset                      READ_OWNER
 * WRITE_OWNER  local get or grab, no conflicting holder grant                                    WRITE_OWNER
 * WRITE_OWNER  FWD_GET, no writer                      COPY, add to copyset                      READ_OWNER
 * *_OWNER      FWD_GRAB, no holder                     INV to copyset (acks to requester),        INVALID
 *                                                      OWNERSHIP to the requester
 * over budget (idle, least recently used first):
 * READ_COPY    flush                                   (nothing: it stays in the owner's copyset) INVALID
 * *_OWNER      flush, disk-backed, no copies           WRITEBACK_REQ to the home                 (waits)
 * *_OWNER      FWD_WRITEBACK, idle, no copies          WRITTEN_BACK (bytes) to the home          INVALID
 * *_OWNER      FWD_WRITEBACK, in use again             DONE (kept)                               unchanged
 * *_OWNER      flush (API, leaving), otherwise         HANDOFF_REQ to the home; it forwards a    (as FWD_GRAB)
 *                                                      grab on another node's behalf
 * *_OWNER      FWD_GET/FWD_GRAB of our own request     DONE (the request is met: a handoff made  unchanged
 *              (a handoff overtook it)                 us the owner meanwhile)
 * </pre>
 * The home's side: a request for an object nobody owns is a first touch, made
 * by the requester ({@code TOUCH}) or, for disk-backed families, by the home
 * itself, which then serves the request as the owner.
 * Local waiters and forwarded requests share one FIFO queue: the object serves
 * them in arrival order, so local threads that queued while it was away are
 * served before it moves again, and a remote request is never overtaken by
 * local threads that came after it.
 */
final class ObjectEntry {
    enum State {
        INVALID, READ_COPY, READ_OWNER, WRITE_OWNER;

        boolean owner() {
            return this == READ_OWNER || this == WRITE_OWNER;
        }
    }

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
    State state = State.INVALID;
    byte[] value;
    /** Owner only: the other nodes holding a read copy. */
    final Set<Integer> copyset = new TreeSet<>();
    int readers;
    int writers;
    final ArrayDeque<Item> queue = new ArrayDeque<>();

    /** A GET_REQ or GRAB_REQ of ours is at the home. */
    boolean requested;
    boolean requestedWrite;
    /** OWNERSHIP arrived; waiting for the acks in {@link #awaiting}. */
    byte[] incoming;
    /** The incoming ownership is a handoff, not the answer to our request (which may still be pending). */
    boolean incomingHandoff;
    /** We are the owner and invalidate the copyset for a local grab. */
    boolean upgrading;
    /** Nodes whose INV_ACK we wait for. */
    final Set<Integer> awaiting = new HashSet<>();
    /** INV_ACKs that came before the OWNERSHIP that lists them. */
    final Set<Integer> earlyAcks = new HashSet<>();
    /** Copy holder: an INV waits for local readers to leave; ack goes to this node (0: none). */
    int invalidateAckTo;
    /** The home died: no new grants; the copy is dropped once its holders are gone. */
    boolean homeDown;
    /** When a local thread was last granted the object (nanoTime), for the memory budget. */
    long lastUse;
    /** The object came by a handoff and no local thread used it since. */
    boolean handedIn;

    ObjectEntry(long objectId) {
        this.objectId = objectId;
    }

    boolean readable() {
        return state != State.INVALID && invalidateAckTo == 0 && !upgrading && !homeDown;
    }

    boolean idle() {
        return readers == 0 && writers == 0 && queue.isEmpty() && !requested && incoming == null && !upgrading;
    }
}
