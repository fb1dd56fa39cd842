package io.kddm.linker.map.internal;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.SetIds;
import io.kddm.linker.map.Codec;
import io.kddm.linker.map.KddmMaps;

/**
 * A {@link ConcurrentMap} over a kDDM set: an operation on a key is one critical
 * section on its bucket object ({@code get} to read, {@code grab} to change), so
 * it is linearizable cluster-wide. Functions given to {@code compute} and
 * {@code merge} run inside that critical section: they must not use the map.
 */
final class MapView<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V> {
    private final KddmSet set;
    private final long base;
    private final int buckets;
    private final Codec<K> keys;
    private final Codec<V> values;

    private MapView(KddmSet set, long base, int buckets, Codec<K> keys, Codec<V> values) {
        this.set = set;
        this.base = base;
        this.buckets = buckets;
        this.keys = keys;
        this.values = values;
    }

    /**
     * The map at {@code base}, made with {@code buckets} buckets if there is none
     * (the count of an existing map wins).
     */
    static <K, V> MapView<K, V> open(KddmSet set, long base, int buckets, Codec<K> keys, Codec<V> values) {
        if (buckets < 1 || buckets > KddmMaps.MAX_BUCKETS) {
            throw new IllegalArgumentException("a map has 1 to " + KddmMaps.MAX_BUCKETS + " buckets, not " + buckets);
        }
        Optional<MapView<K, V>> existing = find(set, base, keys, values);
        if (existing.isPresent()) {
            return existing.get();
        }
        checkFits(set, base, buckets);
        int stored;
        try (ObjectHandle h = set.grab(base)) { // another node may have made it meanwhile
            stored = MapHeader.buckets(h.value(), where(set, base));
            if (stored == 0) {
                h.value(MapHeader.encode(buckets));
                stored = buckets;
            }
        }
        return new MapView<>(set, base, stored, keys, values);
    }

    /** The map at {@code base} if there is one (a read: nothing is made). */
    static <K, V> Optional<MapView<K, V>> find(KddmSet set, long base, Codec<K> keys, Codec<V> values) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(values, "values");
        checkFits(set, base, 0);
        int stored;
        try (ObjectHandle h = set.get(base)) {
            stored = MapHeader.buckets(h.value(), where(set, base));
        }
        if (stored == 0) {
            return Optional.empty();
        }
        checkFits(set, base, stored);
        return Optional.of(new MapView<>(set, base, stored, keys, values));
    }

    /** Checks that the header and {@code buckets} buckets after it are object ids with one home's bits. */
    private static void checkFits(KddmSet set, long base, int buckets) {
        long last = base + buckets;
        if (base < 0 || last > KddmSet.MAX_OBJECT_ID || (base >>> 24) != (last >>> 24)) {
            throw new IllegalArgumentException("a map at " + base + " with " + buckets + " buckets needs objects "
                    + base + ".." + last + ", which must be object ids (0.." + KddmSet.MAX_OBJECT_ID
                    + ") with the same bits 24..31 (the home node bits) in set " + SetIds.format(set.id()));
        }
    }

    private static String where(KddmSet set, long object) {
        return "object " + object + " of set " + SetIds.format(set.id());
    }

    int buckets() {
        return buckets;
    }

    // ---- critical sections ----------------------------------------------------

    private long bucketOf(byte[] key) {
        int h = Arrays.hashCode(key);
        return base + 1 + Math.floorMod(h ^ (h >>> 16), buckets);
    }

    private <R> R read(long bucket, Function<Bucket, R> f) {
        try (ObjectHandle h = set.get(bucket)) {
            return f.apply(Bucket.decode(h.value(), () -> where(set, bucket)));
        }
    }

    /** {@code f} may change the bucket; if it throws, the put publishes nothing. */
    private <R> R write(long bucket, Function<Bucket, R> f) {
        try (ObjectHandle h = set.grab(bucket)) {
            Bucket b = Bucket.decode(h.value(), () -> where(set, bucket));
            R result = f.apply(b);
            if (b.changed()) {
                h.value(b.encode());
            }
            return result;
        }
    }

    @SuppressWarnings("unchecked")
    private byte[] key(Object key) {
        return keys.encode((K) Objects.requireNonNull(key, "a map key cannot be null"));
    }

    private byte[] value(V value) {
        return values.encode(Objects.requireNonNull(value, "a map value cannot be null"));
    }

    private V decode(byte[] bytes) {
        return bytes == null ? null : values.decode(bytes);
    }

    // ---- one key --------------------------------------------------------------

    @Override
    public V get(Object key) {
        byte[] k = key(key);
        return decode(read(bucketOf(k), b -> b.get(k)));
    }

    @Override
    public boolean containsKey(Object key) {
        byte[] k = key(key);
        return read(bucketOf(k), b -> b.get(k) != null);
    }

    /**
     * One grab: sets the key to {@code next} (null removes it) if {@code when}
     * accepts its current value bytes (null if absent); returns those bytes.
     */
    private byte[] swapIf(Object key, Predicate<byte[]> when, byte[] next) {
        byte[] k = key(key);
        return write(bucketOf(k), b -> {
            byte[] old = b.get(k);
            if (when.test(old)) {
                b.set(k, next);
            }
            return old;
        });
    }

    private Predicate<byte[]> holds(Object value) {
        return old -> old != null && Objects.equals(decode(old), value);
    }

    @Override
    public V put(K key, V value) {
        return decode(swapIf(key, old -> true, value(value)));
    }

    @Override
    public V putIfAbsent(K key, V value) {
        return decode(swapIf(key, Objects::isNull, value(value)));
    }

    @Override
    public V remove(Object key) {
        return decode(swapIf(key, old -> true, null));
    }

    @Override
    public boolean remove(Object key, Object value) {
        return value != null && holds(value).test(swapIf(key, holds(value), null));
    }

    @Override
    public V replace(K key, V value) {
        return decode(swapIf(key, Objects::nonNull, value(value)));
    }

    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        Objects.requireNonNull(oldValue, "a map value cannot be null");
        return holds(oldValue).test(swapIf(key, holds(oldValue), value(newValue)));
    }

    /** One grab: the key's current value (or null) goes through {@code f}; a null result removes the key. */
    private V update(K key, Function<V, V> f) {
        byte[] k = key(key);
        return write(bucketOf(k), b -> {
            V next = f.apply(decode(b.get(k)));
            b.set(k, next == null ? null : values.encode(next));
            return next;
        });
    }

    @Override
    public V compute(K key, BiFunction<? super K, ? super V, ? extends V> f) {
        Objects.requireNonNull(f);
        return update(key, old -> f.apply(key, old));
    }

    @Override
    public V computeIfAbsent(K key, Function<? super K, ? extends V> f) {
        Objects.requireNonNull(f);
        V present = get(key); // a hit costs a read lock, not a write lock
        return present != null ? present : update(key, old -> old != null ? old : f.apply(key));
    }

    @Override
    public V computeIfPresent(K key, BiFunction<? super K, ? super V, ? extends V> f) {
        Objects.requireNonNull(f);
        return update(key, old -> old == null ? null : f.apply(key, old));
    }

    @Override
    public V merge(K key, V value, BiFunction<? super V, ? super V, ? extends V> f) {
        Objects.requireNonNull(value, "a map value cannot be null");
        Objects.requireNonNull(f);
        return update(key, old -> old == null ? value : f.apply(old, value));
    }

    // ---- every bucket, one after the other (weakly consistent) ---------------------

    @Override
    public int size() {
        long total = 0;
        for (int i = 1; i <= buckets; i++) {
            total += read(base + i, Bucket::size); // decoded: a damaged bucket is reported, not miscounted
        }
        return (int) Math.min(total, Integer.MAX_VALUE);
    }

    @Override
    public boolean isEmpty() {
        return !entrySet().iterator().hasNext();
    }

    @Override
    public void clear() {
        for (int i = 1; i <= buckets; i++) {
            if (read(base + i, Bucket::size) > 0) { // a grab of an empty bucket would only invalidate its copies
                write(base + i, b -> {
                    b.clear();
                    return null;
                });
            }
        }
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<K, V>> iterator() {
                return new Entries();
            }

            @Override
            public int size() {
                return MapView.this.size();
            }
        };
    }

    /** Reads one bucket at a time, holding no lock between {@code next} calls. */
    private final class Entries implements Iterator<Map.Entry<K, V>> {
        private int bucket;
        private Iterator<Bucket.Entry> current = Collections.emptyIterator();
        private K last;

        @Override
        public boolean hasNext() {
            while (!current.hasNext() && bucket < buckets) {
                bucket++;
                current = read(base + bucket, Bucket::entries).iterator();
            }
            return current.hasNext();
        }

        @Override
        public Map.Entry<K, V> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Bucket.Entry e = current.next();
            last = keys.decode(e.key());
            return new SimpleEntry<>(last, values.decode(e.value())) {
                private static final long serialVersionUID = 1L;

                @Override
                public V setValue(V value) {
                    super.setValue(value);
                    return put(getKey(), value); // written through, as ConcurrentHashMap's entries are
                }
            };
        }

        @Override
        public void remove() {
            if (last == null) {
                throw new IllegalStateException();
            }
            MapView.this.remove(last);
            last = null;
        }
    }
}
