package io.kddm.linker.map.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.kddm.linker.map.KddmMaps;

/** The object at a map's base: a magic and the bucket count, fixed when the map is made. */
final class MapHeader {
    private static final byte[] MAGIC = "KDDMMAP1".getBytes(StandardCharsets.US_ASCII);
    private static final int SIZE = MAGIC.length + Integer.BYTES;

    private MapHeader() {
    }

    static byte[] encode(int buckets) {
        return ByteBuffer.allocate(SIZE).put(MAGIC).putInt(buckets).array();
    }

    /**
     * The bucket count, or 0 for an empty object (no map yet).
     *
     * @throws IllegalArgumentException if the object holds something else than a map header
     */
    static int buckets(byte[] bytes, String where) {
        if (bytes.length == 0) {
            return 0;
        }
        if (bytes.length != SIZE || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IllegalArgumentException(where + " holds " + bytes.length
                    + " bytes that are not a map header: is there a map at this base?");
        }
        int buckets = ByteBuffer.wrap(bytes, MAGIC.length, Integer.BYTES).getInt();
        if (buckets < 1 || buckets > KddmMaps.MAX_BUCKETS) {
            throw new IllegalArgumentException(where + " is a map header with an impossible bucket count " + buckets);
        }
        return buckets;
    }
}
