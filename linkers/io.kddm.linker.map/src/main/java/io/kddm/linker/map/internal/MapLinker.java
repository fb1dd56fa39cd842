package io.kddm.linker.map.internal;

import java.util.concurrent.ConcurrentMap;

import org.osgi.service.component.annotations.Component;

import io.kddm.api.linker.InterfaceLinker;
import io.kddm.api.set.KddmSet;
import io.kddm.linker.map.Codec;
import io.kddm.linker.map.KddmMaps;

/**
 * The {@code map} interface linker: {@code Kddm.view(set, "map", ConcurrentMap.class)}
 * is the map of UTF-8 strings at object 0 of the set; {@link KddmMaps} opens
 * any map, with any codecs.
 */
@Component(property = "kddm.linker.interface=" + MapLinker.NAME)
@SuppressWarnings("rawtypes") // a view type is a Class, and Class<ConcurrentMap<String, String>> does not exist
public final class MapLinker implements InterfaceLinker<ConcurrentMap>, KddmMaps {
    public static final String NAME = "map";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<ConcurrentMap> viewType() {
        return ConcurrentMap.class;
    }

    @Override
    public ConcurrentMap<String, String> open(KddmSet set) {
        return open(set, 0, Codec.UTF8, Codec.UTF8);
    }

    @Override
    public <K, V> ConcurrentMap<K, V> open(KddmSet set, long base, int buckets, Codec<K> keys, Codec<V> values) {
        return MapView.open(set, base, buckets, keys, values);
    }
}
