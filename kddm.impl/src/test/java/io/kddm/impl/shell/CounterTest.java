package io.kddm.impl.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class CounterTest {
    @Test
    void emptyIsZeroAndEightBytesRoundTrip() {
        assertEquals(0, Counter.decode(new byte[0]));
        assertEquals(-42, Counter.decode(Counter.encode(-42)));
    }

    @Test
    void anythingElseIsNotACounterRatherThanZero() {
        // kddm:incr on an object holding text must not overwrite it with 1.
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Counter.decode("hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals("the object holds 5 bytes, not a 64-bit counter", ex.getMessage());
    }
}
