package io.kddm.api.set;

/** An object's bytes exceed its family's size limit. */
public class ObjectTooLargeException extends KddmException {
    private static final long serialVersionUID = 1L;

    public ObjectTooLargeException(String message) {
        super(message);
    }

}
