package io.kddm.api.transport;

import java.time.Duration;

/** A request got no reply within its timeout. */
public class RequestTimeoutException extends TransportException {
    private static final long serialVersionUID = 1L;

    public RequestTimeoutException(int node, int type, Duration timeout) {
        super("request of type 0x" + Integer.toHexString(type) + " to node " + node + " got no reply within "
                + timeout.toMillis() + " ms");
    }
}
