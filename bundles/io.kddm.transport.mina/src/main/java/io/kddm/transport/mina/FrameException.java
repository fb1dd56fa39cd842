package io.kddm.transport.mina;

/** Bytes on a connection that are not a valid frame; the connection is closed. */
final class FrameException extends Exception {
    private static final long serialVersionUID = 1L;

    FrameException(String reason) {
        super(reason);
    }
}
