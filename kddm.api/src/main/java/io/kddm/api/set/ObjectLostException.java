package io.kddm.api.set;

/** The object's only copy was on a node that died. */
public class ObjectLostException extends KddmException {
    private static final long serialVersionUID = 1L;

    public ObjectLostException(String message) {
        super(message);
    }

}
