package io.kddm.transport.mina;

/**
 * What a frame carries. The first four only travel while a connection is being
 * authenticated; the others only once it is.
 */
enum FrameKind {
    HELLO(1, true), AUTH(2, true), AUTH_OK(3, true), REFUSE(4, true),
    MESSAGE(5, false), REQUEST(6, false), REPLY(7, false), FAILURE(8, false);

    final byte code;
    final boolean handshake;

    FrameKind(int code, boolean handshake) {
        this.code = (byte) code;
        this.handshake = handshake;
    }

    private static final FrameKind[] BY_CODE = new FrameKind[16];
    static {
        for (FrameKind k : values()) {
            BY_CODE[k.code] = k;
        }
    }

    static FrameKind of(byte code) throws FrameException {
        if (code <= 0 || code >= BY_CODE.length || BY_CODE[code] == null) {
            throw new FrameException("unknown frame kind " + (code & 0xff));
        }
        return BY_CODE[code];
    }
}
