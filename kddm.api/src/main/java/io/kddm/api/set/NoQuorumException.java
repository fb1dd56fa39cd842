package io.kddm.api.set;

/**
 * This node holds no lease from a majority of the voting nodes: it is cut off
 * from them (or they have no quorum), so it may not grant, serve or own
 * anything. Nothing was done; try again once it is back in touch.
 */
public class NoQuorumException extends KddmException {
    private static final long serialVersionUID = 1L;

    public NoQuorumException(String message) {
        super(message);
    }
}
