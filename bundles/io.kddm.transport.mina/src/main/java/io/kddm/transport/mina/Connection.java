package io.kddm.transport.mina;

import org.apache.mina.core.session.IoSession;

/**
 * One TCP connection and how far its authentication has come.
 * <pre>
 *   phase          initiator receives          acceptor receives
 *   AWAIT_HELLO    HELLO+proof -&gt; AWAIT_OK     HELLO -&gt; AWAIT_AUTH
 *   AWAIT_AUTH     -                           AUTH -&gt; OPEN (or REFUSE)
 *   AWAIT_OK       AUTH_OK -&gt; OPEN             -
 *   OPEN           MESSAGE, REQUEST, REPLY, FAILURE
 *   any            REFUSE -&gt; CLOSED; anything unexpected -&gt; CLOSED
 * </pre>
 */
final class Connection {
    enum Phase { AWAIT_HELLO, AWAIT_AUTH, AWAIT_OK, OPEN, CLOSED }

    final IoSession session;
    /** The dial that made this connection, or null if the peer dialed us. */
    final Dial dial;
    volatile Phase phase = Phase.AWAIT_HELLO;
    /** Frames decoded from this connection (for TransportStats). */
    final java.util.concurrent.atomic.AtomicLong framesReceived = new java.util.concurrent.atomic.AtomicLong();
    Hello mine;
    Hello theirs;

    Connection(IoSession session, Dial dial) {
        this.session = session;
        this.dial = dial;
    }

    boolean initiator() {
        return dial != null;
    }

    int node() {
        return theirs == null ? 0 : theirs.node();
    }

    String describe() {
        String who = theirs == null ? "" : "node " + theirs.node() + " at ";
        return who + session.getRemoteAddress();
    }
}
