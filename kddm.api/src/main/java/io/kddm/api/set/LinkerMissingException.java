package io.kddm.api.set;

/** The IO linker of the set's family is not available on this node (retryable once it returns). */
public class LinkerMissingException extends KddmException {
    private static final long serialVersionUID = 1L;

    public LinkerMissingException(String message) {
        super(message);
    }

}
