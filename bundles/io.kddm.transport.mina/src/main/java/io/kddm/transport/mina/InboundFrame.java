package io.kddm.transport.mina;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

import io.kddm.api.transport.Inbound;

/** A MESSAGE or REQUEST frame as its handler sees it; a request is answered once, on its connection. */
final class InboundFrame implements Inbound {
    private final Connection connection;
    private final Frame frame;
    private final int maxFrame;
    private final AtomicBoolean answered = new AtomicBoolean();

    InboundFrame(Connection connection, Frame frame, int maxFrame) {
        this.connection = connection;
        this.frame = frame;
        this.maxFrame = maxFrame;
    }

    @Override
    public int sender() {
        return connection.node();
    }

    @Override
    public int type() {
        return frame.type();
    }

    @Override
    public byte[] payload() {
        return frame.payload();
    }

    @Override
    public boolean isRequest() {
        return frame.kind() == FrameKind.REQUEST;
    }

    @Override
    public void reply(byte[] payload) {
        answer(FrameKind.REPLY, payload);
    }

    @Override
    public void fail(String reason) {
        answer(FrameKind.FAILURE, reason.getBytes(StandardCharsets.UTF_8));
    }

    private void answer(FrameKind kind, byte[] payload) {
        if (!isRequest()) {
            throw new IllegalStateException("a one-way message cannot be answered");
        }
        if (!answered.compareAndSet(false, true)) {
            throw new IllegalStateException("request already answered");
        }
        if (FrameCodec.HEADER + payload.length > maxFrame) {
            kind = FrameKind.FAILURE;
            payload = ("reply of " + payload.length + " bytes exceeds the frame limit").getBytes(StandardCharsets.UTF_8);
        }
        if (connection.phase == Connection.Phase.OPEN) {
            connection.session.write(new Frame(kind, frame.type(), frame.correlation(), payload));
        }
    }

    @Override
    public String toString() {
        return "message 0x" + Integer.toHexString(frame.type()) + " from node " + sender() + " ("
                + Arrays.toString(Arrays.copyOf(frame.payload(), Math.min(8, frame.payload().length))) + "...)";
    }
}
