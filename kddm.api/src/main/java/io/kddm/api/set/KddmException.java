package io.kddm.api.set;

/** A kDDM operation failed. */
public class KddmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KddmException(String message) {
        super(message);
    }

    public KddmException(String message, Throwable cause) {
        super(message, cause);
    }
}
