package io.kddm.transport.mina;

/**
 * One unit on the wire.
 *
 * @param kind        what it carries
 * @param type        the application message type (0 during the handshake)
 * @param correlation matches a reply to its request; 0 otherwise
 * @param payload     the body
 */
record Frame(FrameKind kind, int type, long correlation, byte[] payload) {

    static Frame handshake(FrameKind kind, byte[] payload) {
        return new Frame(kind, 0, 0, payload);
    }
}
