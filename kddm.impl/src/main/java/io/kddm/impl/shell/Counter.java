package io.kddm.impl.shell;

import java.nio.ByteBuffer;

/** A 64-bit counter as the demonstration commands store it in an object: 8 bytes, big-endian; empty is 0. */
public final class Counter {
    private Counter() {
    }

    public static boolean is(byte[] v) {
        return v.length == 8;
    }

    public static long decode(byte[] v) {
        return is(v) ? ByteBuffer.wrap(v).getLong() : 0;
    }

    public static byte[] encode(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }
}
