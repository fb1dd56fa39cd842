package io.kddm.transport.mina;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;

import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private final FrameCodec codec = new FrameCodec(1024);

    private ByteBuffer encode(Frame... frames) {
        int size = 0;
        for (Frame f : frames) {
            size += FrameCodec.encodedSize(f.payload().length);
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        for (Frame f : frames) {
            codec.encode(f, b);
        }
        return b.flip();
    }

    @Test
    void roundTripsEveryKind() throws Exception {
        for (FrameKind kind : FrameKind.values()) {
            Frame f = new Frame(kind, 0xFFFF, Long.MIN_VALUE + 7, new byte[] {1, 2, 3});
            Frame back = codec.decode(encode(f));
            assertEquals(kind, back.kind());
            assertEquals(0xFFFF, back.type());
            assertEquals(Long.MIN_VALUE + 7, back.correlation());
            assertArrayEquals(new byte[] {1, 2, 3}, back.payload());
        }
    }

    @Test
    void waitsForWholeFrameWithoutConsuming() throws Exception {
        ByteBuffer whole = encode(new Frame(FrameKind.MESSAGE, 9, 0, new byte[100]));
        for (int cut = 0; cut < whole.limit(); cut++) {
            ByteBuffer part = ByteBuffer.wrap(whole.array(), 0, cut);
            assertNull(codec.decode(part), "cut at " + cut);
            assertEquals(0, part.position(), "nothing consumed at cut " + cut);
        }
    }

    @Test
    void decodesBackToBackFrames() throws Exception {
        ByteBuffer b = encode(new Frame(FrameKind.REQUEST, 1, 1, new byte[0]),
                new Frame(FrameKind.REPLY, 1, 1, new byte[] {42}));
        assertEquals(FrameKind.REQUEST, codec.decode(b).kind());
        assertEquals(42, codec.decode(b).payload()[0]);
        assertEquals(0, b.remaining());
    }

    @Test
    void refusesOversizedLengthBeforeItArrives() {
        ByteBuffer b = ByteBuffer.allocate(4).putInt(1025).flip();
        FrameException e = assertThrows(FrameException.class, () -> codec.decode(b));
        assertTrue(e.getMessage().contains("exceeds the limit of 1024"), e.getMessage());
    }

    @Test
    void refusesLengthBelowHeader() {
        ByteBuffer b = ByteBuffer.allocate(4).putInt(3).flip();
        assertThrows(FrameException.class, () -> codec.decode(b));
    }

    @Test
    void refusesUnknownVersionAsSoonAsItArrives() {
        ByteBuffer b = ByteBuffer.allocate(5).putInt(100).put((byte) 2).flip();
        FrameException e = assertThrows(FrameException.class, () -> codec.decode(b));
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
    }

    @Test
    void refusesUnknownKind() {
        ByteBuffer b = encode(new Frame(FrameKind.MESSAGE, 1, 0, new byte[0]));
        b.put(5, (byte) 99);
        FrameException e = assertThrows(FrameException.class, () -> codec.decode(b));
        assertTrue(e.getMessage().contains("unknown frame kind 99"), e.getMessage());
    }

    @Test
    void refusesToEncodeOversizedFrame() {
        Frame f = new Frame(FrameKind.MESSAGE, 1, 0, new byte[1024]);
        assertThrows(IllegalArgumentException.class, () -> codec.encode(f, ByteBuffer.allocate(2000)));
    }

    @Test
    void randomBytesNeverDecodeSilentlyIntoMoreThanTheyHold() {
        // Garbage either fails, waits for more, or yields frames whose sizes add up to what was there.
        Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            byte[] junk = new byte[random.nextInt(64)];
            random.nextBytes(junk);
            ByteBuffer b = ByteBuffer.wrap(junk);
            try {
                Frame f;
                while ((f = codec.decode(b)) != null) {
                    assertTrue(f.payload().length <= junk.length);
                }
            } catch (FrameException expected) {
                // closed with a reason: fine
            }
        }
    }
}
