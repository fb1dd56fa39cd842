package io.kddm.linker.map;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * How a map's keys or values become bytes. Keys are compared and hashed by
 * their bytes, so a key codec must give equal keys equal bytes on every node.
 *
 * @param <T> the type coded
 */
public interface Codec<T> {

    byte[] encode(T value);

    /** @throws IllegalArgumentException if {@code bytes} are not a value of this codec */
    T decode(byte[] bytes);

    /** UTF-8 strings. */
    Codec<String> UTF8 = of(s -> s.getBytes(StandardCharsets.UTF_8), b -> new String(b, StandardCharsets.UTF_8));

    /** 64-bit signed integers, 8 bytes big-endian. */
    Codec<Long> LONG = of(l -> ByteBuffer.allocate(Long.BYTES).putLong(l).array(), b -> {
        if (b.length != Long.BYTES) {
            throw new IllegalArgumentException("a long takes 8 bytes, not " + b.length);
        }
        return ByteBuffer.wrap(b).getLong();
    });

    static <T> Codec<T> of(Function<T, byte[]> encode, Function<byte[], T> decode) {
        return new Codec<>() {
            @Override
            public byte[] encode(T value) {
                return encode.apply(value);
            }

            @Override
            public T decode(byte[] bytes) {
                return decode.apply(bytes);
            }
        };
    }
}
