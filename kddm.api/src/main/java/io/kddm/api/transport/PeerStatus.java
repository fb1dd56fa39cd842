package io.kddm.api.transport;

import java.net.InetSocketAddress;

/**
 * Where dialing one peer address stands.
 *
 * @param address the peer's listen address
 * @param node    the node found at that address, or 0 while unknown
 * @param state   the outcome of the latest attempt
 * @param detail  why the latest attempt failed, or empty
 */
public record PeerStatus(InetSocketAddress address, int node, State state, String detail) {

    public enum State {
        /** No attempt has finished yet. */
        CONNECTING,
        /** An authenticated connection is open. */
        CONNECTED,
        /** The latest attempt could not connect (refused, timed out, closed). */
        UNREACHABLE,
        /** The peer was reached but authentication failed or it was refused. */
        REFUSED,
        /** The address is this node's own. */
        SELF
    }

    /** Whether the first attempt has finished one way or another. */
    public boolean settled() {
        return state != State.CONNECTING;
    }
}
