package io.kddm.transport.mina;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One-way messages that came before any handler of their type was ever added:
 * a node's transport and membership start before the services above them (the
 * kDDM core), and the node is in the view, so its peers send to it, tens of
 * milliseconds before the core adds its handlers. Dropped, a GRAB_REQ sent to
 * a home that had just come back was lost and its object wedged on the
 * requester (NemesisIT). They are kept, in the order they came, at most
 * {@value #MAX} and {@value #MAX_AGE_S} s, and handed to the first handler of
 * their type. A type that had a handler once is not kept any more: a handler
 * removed later (a bundle stopped) drops as before.
 */
final class EarlyMessages {
    static final int MAX = 10_000;
    static final long MAX_AGE_S = 30;
    private static final Logger LOG = LoggerFactory.getLogger(EarlyMessages.class);

    /** A message kept, with the connection it came on. */
    record Early(Connection connection, Frame frame, long at) {
    }

    private final Deque<Early> kept = new ArrayDeque<>();
    /** The types a handler was ever added for (read and written under {@link #lock} only). */
    private final Set<Integer> handled = new HashSet<>();
    private boolean full;

    /** Whether a handler of {@code type} was ever added. Under {@link #lock}. */
    boolean everHandled(int type) {
        return handled.contains(type);
    }

    /** Keeps a message no handler was ever added for; false if over the bound (it is dropped). Under {@link #lock}. */
    boolean keep(Connection c, Frame f) {
        expire(System.nanoTime());
        if (kept.size() >= MAX) {
            if (!full) {
                LOG.warn("{} messages kept for handlers not added yet: dropping the next ones", MAX);
                full = true;
            }
            return false;
        }
        kept.add(new Early(c, f, System.nanoTime()));
        return true;
    }

    /**
     * A handler of {@code type} is added: the messages of that type kept so far, in
     * the order they came, to be delivered before any later one. Under {@link #lock}.
     */
    List<Early> handlerAdded(int type) {
        handled.add(type);
        expire(System.nanoTime());
        List<Early> out = new ArrayList<>();
        for (Iterator<Early> i = kept.iterator(); i.hasNext();) {
            Early e = i.next();
            if (e.frame().type() == type) {
                out.add(e);
                i.remove();
            }
        }
        full = kept.size() >= MAX;
        return out;
    }

    private void expire(long now) {
        while (!kept.isEmpty() && now - kept.peekFirst().at() > TimeUnit.SECONDS.toNanos(MAX_AGE_S)) {
            Early e = kept.pollFirst();
            LOG.debug("message of type 0x{} from node {} kept {} s for a handler that never came: dropped",
                    Integer.toHexString(e.frame().type()), e.connection().node(), MAX_AGE_S);
        }
    }

    /** The lock under which messages are kept, and handed over with the handler's addition. */
    Object lock() {
        return kept;
    }
}
