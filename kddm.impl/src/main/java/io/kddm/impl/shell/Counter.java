package io.kddm.impl.shell;

import java.nio.ByteBuffer;

/** A 64-bit counter as the demonstration commands store it in an object: 8 bytes, big-endian; empty is 0. */
public final class Counter {
    private Counter() {
    }

    public static boolean is(byte[] v) {
        return v.length == 8;
    }

    /** @throws IllegalArgumentException if the object holds something else (text, other bytes) */
    public static long decode(byte[] v) {
        if (v.length == 0) {
            return 0;
        }
        if (!is(v)) {
            throw new IllegalArgumentException("the object holds " + v.length + " bytes, not a 64-bit counter");
        }
        return ByteBuffer.wrap(v).getLong();
    }

    public static byte[] encode(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }
}
