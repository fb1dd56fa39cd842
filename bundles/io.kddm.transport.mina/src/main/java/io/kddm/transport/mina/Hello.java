package io.kddm.transport.mina;

import java.net.InetSocketAddress;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The first frame each side sends: who it is, where it listens, a fresh nonce,
 * and (from the acceptor) its proof of the cluster secret.
 */
record Hello(int node, long incarnation, String host, int port, byte[] nonce, byte[] proof) {
    static final int MAX_HOST = 255;

    InetSocketAddress listenAddress() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    byte[] encode() {
        byte[] h = host.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(2 + 8 + 1 + h.length + 4 + 1 + nonce.length + 1 + proof.length);
        b.putShort((short) node).putLong(incarnation);
        b.put((byte) h.length).put(h).putInt(port);
        b.put((byte) nonce.length).put(nonce);
        b.put((byte) proof.length).put(proof);
        return b.array();
    }

    static Hello decode(byte[] payload) throws FrameException {
        try {
            ByteBuffer b = ByteBuffer.wrap(payload);
            int node = Short.toUnsignedInt(b.getShort());
            long incarnation = b.getLong();
            String host = new String(bytes(b), StandardCharsets.UTF_8);
            int port = b.getInt();
            byte[] nonce = bytes(b);
            byte[] proof = bytes(b);
            if (b.hasRemaining()) {
                throw new FrameException("HELLO has " + b.remaining() + " trailing bytes");
            }
            if (node < 1 || node > 255) {
                throw new FrameException("HELLO names node " + node + ", outside 1..255");
            }
            if (port < 1 || port > 65535) {
                throw new FrameException("HELLO names port " + port);
            }
            if (nonce.length != Handshake.NONCE_BYTES) {
                throw new FrameException("HELLO nonce has " + nonce.length + " bytes");
            }
            return new Hello(node, incarnation, host, port, nonce, proof);
        } catch (BufferUnderflowException e) {
            throw new FrameException("HELLO is truncated");
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[Byte.toUnsignedInt(b.get())];
        b.get(out);
        return out;
    }
}
