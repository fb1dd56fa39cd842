package io.kddm.transport.mina;

import java.nio.ByteBuffer;

/**
 * The frame format, version 1. All integers are big-endian.
 * <pre>
 *   int32  length       bytes that follow: HEADER + payload, at most the frame limit
 *   int8   version      1
 *   int8   kind         {@link FrameKind}
 *   uint16 type         application message type
 *   int64  correlation
 *   bytes  payload
 * </pre>
 * Never Java serialization: payloads are opaque bytes that each message type
 * defines for itself.
 */
final class FrameCodec {
    static final byte VERSION = 1;
    /** Bytes after the length prefix and before the payload. */
    static final int HEADER = 1 + 1 + 2 + 8;
    static final int LENGTH_PREFIX = 4;

    private final int maxFrame;

    /** @param maxFrame the largest accepted value of the length field */
    FrameCodec(int maxFrame) {
        if (maxFrame < HEADER) {
            throw new IllegalArgumentException("frame limit " + maxFrame + " is below the header size " + HEADER);
        }
        this.maxFrame = maxFrame;
    }

    int maxFrame() {
        return maxFrame;
    }

    /** The encoded size of a frame with {@code payloadLength} bytes of payload. */
    static int encodedSize(int payloadLength) {
        return LENGTH_PREFIX + HEADER + payloadLength;
    }

    /** Writes {@code frame} into {@code out}, which must have {@link #encodedSize} bytes left. */
    void encode(Frame frame, ByteBuffer out) {
        int length = HEADER + frame.payload().length;
        if (length > maxFrame) {
            throw new IllegalArgumentException("frame of " + length + " bytes exceeds the limit of " + maxFrame);
        }
        out.putInt(length);
        out.put(VERSION);
        out.put(frame.kind().code);
        out.putShort((short) frame.type());
        out.putLong(frame.correlation());
        out.put(frame.payload());
    }

    /**
     * Reads one frame from {@code in} if a whole one is there; otherwise leaves
     * {@code in} untouched and returns null.
     *
     * @throws FrameException if the bytes cannot start a valid frame; the caller
     *                        closes the connection
     */
    Frame decode(ByteBuffer in) throws FrameException {
        if (in.remaining() < LENGTH_PREFIX) {
            return null;
        }
        int start = in.position();
        int length = in.getInt(start);
        if (length < HEADER) {
            throw new FrameException("frame length " + length + " is below the header size " + HEADER);
        }
        if (length > maxFrame) {
            throw new FrameException("frame length " + length + " exceeds the limit of " + maxFrame);
        }
        if (in.remaining() < LENGTH_PREFIX + length) {
            // The version is checked as soon as it arrives so that garbage is
            // refused at once instead of after waiting for a bogus length.
            if (in.remaining() > LENGTH_PREFIX) {
                checkVersion(in.get(start + LENGTH_PREFIX));
            }
            return null;
        }
        in.position(start + LENGTH_PREFIX);
        checkVersion(in.get());
        FrameKind kind = FrameKind.of(in.get());
        int type = Short.toUnsignedInt(in.getShort());
        long correlation = in.getLong();
        byte[] payload = new byte[length - HEADER];
        in.get(payload);
        return new Frame(kind, type, correlation, payload);
    }

    private static void checkVersion(byte version) throws FrameException {
        if (version != VERSION) {
            throw new FrameException("unsupported frame version " + (version & 0xff) + " (this node speaks " + VERSION + ")");
        }
    }
}
