package io.kddm.api.set;

/** The operation did not complete within the node's operation timeout. */
public class OperationTimeoutException extends KddmException {
    private static final long serialVersionUID = 1L;

    public OperationTimeoutException(String message) {
        super(message);
    }

}
