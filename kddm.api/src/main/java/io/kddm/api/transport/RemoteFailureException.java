package io.kddm.api.transport;

/** The remote node answered a request with a failure. */
public class RemoteFailureException extends TransportException {
    private static final long serialVersionUID = 1L;

    public RemoteFailureException(int node, String reason) {
        super("node " + node + " failed the request: " + reason);
    }
}
