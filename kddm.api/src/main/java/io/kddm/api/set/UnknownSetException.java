package io.kddm.api.set;

/** No node knows the set. */
public class UnknownSetException extends KddmException {
    private static final long serialVersionUID = 1L;

    public UnknownSetException(String message) {
        super(message);
    }

}
