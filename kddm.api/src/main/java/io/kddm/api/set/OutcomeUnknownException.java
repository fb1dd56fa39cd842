package io.kddm.api.set;

/**
 * A put of an object with backups failed after the new value may have reached
 * a backup: the cluster may keep it (a backup is promoted when this node is
 * taken out) or not. Unlike the other kDDM errors, the write may have taken
 * effect; read the object to know.
 */
public class OutcomeUnknownException extends KddmException {
    private static final long serialVersionUID = 1L;

    public OutcomeUnknownException(String message) {
        super(message);
    }
}
