package io.kddm.transport.mina;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class HandshakeTest {
    private final Handshake alice = new Handshake("shared secret".getBytes(StandardCharsets.UTF_8));
    private final Handshake bob = new Handshake("shared secret".getBytes(StandardCharsets.UTF_8));
    private final Handshake mallory = new Handshake("guessed secret".getBytes(StandardCharsets.UTF_8));

    private Hello hello(Handshake h, int node) {
        return new Hello(node, 1000 + node, "127.0.0.1", 7000 + node, h.nonce(), new byte[0]);
    }

    @Test
    void sameSecretProvesBothWays() {
        Hello i = hello(alice, 1);
        Hello a = hello(bob, 2);
        assertTrue(Handshake.matches(alice.acceptorProof(i, a), bob.acceptorProof(i, a)));
        assertTrue(Handshake.matches(alice.initiatorProof(i, a), bob.initiatorProof(i, a)));
    }

    @Test
    void otherSecretFails() {
        Hello i = hello(alice, 1);
        Hello a = hello(mallory, 2);
        assertFalse(Handshake.matches(alice.acceptorProof(i, a), mallory.acceptorProof(i, a)));
        assertFalse(Handshake.matches(alice.initiatorProof(i, a), mallory.initiatorProof(i, a)));
    }

    @Test
    void proofsCannotBeReflectedOrReplayed() {
        Hello i = hello(alice, 1);
        Hello a = hello(bob, 2);
        assertFalse(Arrays.equals(alice.acceptorProof(i, a), alice.initiatorProof(i, a)), "roles differ");
        Hello again = hello(alice, 1);
        assertFalse(Arrays.equals(alice.acceptorProof(i, a), alice.acceptorProof(again, a)), "fresh nonce");
    }

    @Test
    void helloRoundTripsAndRejectsBadInput() throws Exception {
        Hello h = new Hello(255, -5, "node.example", 65535, alice.nonce(), new byte[32]);
        Hello back = Hello.decode(h.encode());
        assertEquals(255, back.node());
        assertEquals(-5, back.incarnation());
        assertEquals("node.example", back.host());
        assertArrayEquals(h.nonce(), back.nonce());
        byte[] bytes = h.encode();
        assertThrows(FrameException.class, () -> Hello.decode(Arrays.copyOf(bytes, bytes.length - 1)));
        assertThrows(FrameException.class, () -> Hello.decode(Arrays.copyOf(bytes, bytes.length + 1)));
        Hello zero = new Hello(0, 1, "h", 1, alice.nonce(), new byte[0]);
        assertThrows(FrameException.class, () -> Hello.decode(zero.encode()));
    }

    @Test
    void emptySecretIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Handshake(new byte[0]));
    }
}
