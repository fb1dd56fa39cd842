package io.kddm.kdfs.fuse.internal;

/** A mount or unmount that cannot be done, with what to do about it. */
final class FuseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FuseException(String message) {
        super(message);
    }
}
