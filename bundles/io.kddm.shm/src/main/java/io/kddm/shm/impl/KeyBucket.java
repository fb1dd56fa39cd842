package io.kddm.shm.impl;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One object of {@link ShmSets#KEYS}: the keys that hash to it and the id of
 * each one's segment. Empty when none (a first touch).
 *
 * @param ids segment id by key
 */
record KeyBucket(Map<Integer, Integer> ids) {

    KeyBucket {
        ids = Map.copyOf(ids);
    }

    /** The id of {@code key}'s segment, 0 if it has none. */
    int id(int key) {
        return ids.getOrDefault(key, 0);
    }

    KeyBucket with(int key, int id) {
        Map<Integer, Integer> m = new LinkedHashMap<>(ids);
        m.put(key, id);
        return new KeyBucket(m);
    }

    KeyBucket without(int key) {
        Map<Integer, Integer> m = new LinkedHashMap<>(ids);
        m.remove(key);
        return new KeyBucket(m);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(4 + 8 * ids.size()).putInt(ids.size());
        ids.forEach((k, v) -> b.putInt(k).putInt(v));
        return b.array();
    }

    static KeyBucket decode(byte[] bytes) {
        Map<Integer, Integer> m = new LinkedHashMap<>();
        if (bytes.length > 0) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int n = b.getInt();
            for (int i = 0; i < n; i++) {
                m.put(b.getInt(), b.getInt());
            }
        }
        return new KeyBucket(m);
    }
}
