package io.kddm.linker.map;

import java.util.concurrent.ConcurrentMap;

import org.osgi.annotation.versioning.ProviderType;

import io.kddm.api.set.KddmSet;

/**
 * Opens maps stored in kDDM sets. A map lives in the objects {@code base} (its
 * header: the bucket count) to {@code base + buckets}; entries are spread over
 * the bucket objects by the hash of the key's bytes. Every operation on one key
 * is one {@code get} or {@code grab} of its bucket, so a map opened on any node
 * sees the same contents, and {@code compute}/{@code merge} are atomic.
 * {@code size}, iteration and {@code clear} go bucket by bucket and are weakly
 * consistent, as in {@link java.util.concurrent.ConcurrentHashMap}. Null keys
 * and values are refused.
 * <p>
 * The bucket count is fixed by the first node that opens the map; later opens
 * use it, whatever they ask. A bucket holds at most the set family's object
 * size limit: a write that would exceed it fails with
 * {@link io.kddm.api.set.ObjectTooLargeException} and changes nothing.
 * <p>
 * For a set whose family homes objects by the node bits of the object id
 * ({@code NODE_BITS}), such as a well-known set, {@code base} must carry the
 * home node in bits 24..31: the whole map is then homed on that node.
 */
@ProviderType
public interface KddmMaps {

    /** Buckets of a map created without saying how many. */
    int DEFAULT_BUCKETS = 64;

    /** Largest bucket count. */
    int MAX_BUCKETS = 1 << 16;

    /**
     * The map at {@code base} in {@code set}, created with {@code buckets} buckets
     * if it does not exist yet.
     *
     * @throws IllegalArgumentException if the object at {@code base} is not a map header,
     *                                  or the map would not fit in the set's object ids
     */
    <K, V> ConcurrentMap<K, V> open(KddmSet set, long base, int buckets, Codec<K> keys, Codec<V> values);

    /** The map at {@code base} in {@code set}, with {@link #DEFAULT_BUCKETS} if it is new. */
    default <K, V> ConcurrentMap<K, V> open(KddmSet set, long base, Codec<K> keys, Codec<V> values) {
        return open(set, base, DEFAULT_BUCKETS, keys, values);
    }
}
