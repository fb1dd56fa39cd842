package io.kddm.api.set;

/** A node the operation depended on died; whether the operation took effect is unknown. */
public class NodeDeadException extends KddmException {
    private static final long serialVersionUID = 1L;

    public NodeDeadException(String message) {
        super(message);
    }

}
