package io.kddm.api.set;

/** No bundle on this node registered the family. */
public class UnknownFamilyException extends KddmException {
    private static final long serialVersionUID = 1L;

    public UnknownFamilyException(String message) {
        super(message);
    }

}
