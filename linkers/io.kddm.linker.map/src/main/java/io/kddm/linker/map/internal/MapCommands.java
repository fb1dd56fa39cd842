package io.kddm.linker.map.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentMap;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.SetIds;
import io.kddm.linker.map.Codec;
import io.kddm.linker.map.KddmMaps;

/**
 * {@code map:*}: the string map at object {@code --base} (default 0) of a set,
 * from the shell. {@code fill}, {@code verify} and {@code await} drive and check
 * workloads from scripts.
 */
@Component(service = MapCommands.class, property = {"osgi.command.scope=map", "osgi.command.function=put",
    "osgi.command.function=get", "osgi.command.function=remove", "osgi.command.function=list",
    "osgi.command.function=fill", "osgi.command.function=verify", "osgi.command.function=await"})
public final class MapCommands {
    private static final String BASE = "--base";
    private static final String BUCKETS = "--buckets";

    private final Kddm kddm;

    @Activate
    public MapCommands(@Reference Kddm kddm) {
        this.kddm = kddm;
    }

    /** The map, made if there is none (commands that write). */
    private ConcurrentMap<String, String> map(String set, long base, int buckets) {
        return MapView.open(kddm.lookup(SetIds.parse(set)), base, buckets, Codec.UTF8, Codec.UTF8);
    }

    /** The map if there is one (commands that read make nothing). */
    private Optional<MapView<String, String>> find(String set, long base) {
        return MapView.find(kddm.lookup(SetIds.parse(set)), base, Codec.UTF8, Codec.UTF8);
    }

    private ConcurrentMap<String, String> existing(String set, long base) {
        return find(set, base).orElseThrow(() -> new IllegalArgumentException("there is no map at object " + base
                + " of set " + set + " (map:put or map:fill makes one)"));
    }

    private static String where(String set, long base) {
        return "the map at object " + base + " of set " + set;
    }

    @Descriptor("sets KEY to VALUE (--buckets: bucket count if the map is new)")
    public String put(@Parameter(names = BASE, absentValue = "0") long base,
            @Parameter(names = BUCKETS, absentValue = "" + KddmMaps.DEFAULT_BUCKETS) int buckets,
            @Descriptor("set id, NODE:NUMBER") String set, @Descriptor("key") String key,
            @Descriptor("value") String value) {
        String old = map(set, base, buckets).put(key, value);
        return key + " = " + value + (old == null ? " (new)" : " (was " + old + ")");
    }

    @Descriptor("prints the value of KEY; fails if the map has no such key")
    public String get(@Parameter(names = BASE, absentValue = "0") long base,
            @Descriptor("set id, NODE:NUMBER") String set, @Descriptor("key") String key) {
        String value = existing(set, base).get(key);
        if (value == null) {
            throw new IllegalArgumentException("no key '" + key + "' in " + where(set, base));
        }
        return value;
    }

    @Descriptor("removes KEY; fails if the map has no such key")
    public String remove(@Parameter(names = BASE, absentValue = "0") long base,
            @Descriptor("set id, NODE:NUMBER") String set, @Descriptor("key") String key) {
        String old = existing(set, base).remove(key);
        if (old == null) {
            throw new IllegalArgumentException("no key '" + key + "' in " + where(set, base));
        }
        return "removed " + key + " (was " + old + ")";
    }

    @Descriptor("lists the entries, sorted by key (at most --limit of them)")
    public String list(@Parameter(names = BASE, absentValue = "0") long base,
            @Parameter(names = "--limit", absentValue = "1000") int limit,
            @Descriptor("set id, NODE:NUMBER") String set) {
        if (limit < 0) {
            throw new IllegalArgumentException("--limit cannot be negative");
        }
        Map<String, String> sorted = new TreeMap<>(existing(set, base));
        StringBuilder out = new StringBuilder();
        sorted.entrySet().stream().limit(limit).forEach(e -> out.append(e.getKey()).append(" = ")
                .append(e.getValue()).append('\n'));
        out.append(sorted.size()).append(sorted.size() == 1 ? " entry" : " entries");
        if (sorted.size() > limit) {
            out.append(", ").append(sorted.size() - limit).append(" not shown");
        }
        return out.toString();
    }

    private static void checkRange(long count) {
        if (count < 1 || count > 10_000_000) {
            throw new IllegalArgumentException("COUNT must be 1..10000000, not " + count);
        }
    }

    private static String value(String key, int round) {
        return key + "/" + round;
    }

    @Descriptor("ROUNDS times, sets PREFIX-0..PREFIX-(COUNT-1) each to KEY/ROUND; prints when it started and ended "
            + "(ms since the epoch)")
    public String fill(@Parameter(names = BASE, absentValue = "0") long base,
            @Parameter(names = BUCKETS, absentValue = "" + KddmMaps.DEFAULT_BUCKETS) int buckets,
            @Parameter(names = "--rounds", absentValue = "1") int rounds,
            @Descriptor("set id, NODE:NUMBER") String set, @Descriptor("key prefix") String prefix,
            @Descriptor("how many keys") int count) {
        checkRange(count);
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be at least 1");
        }
        ConcurrentMap<String, String> map = map(set, base, buckets);
        long start = System.currentTimeMillis();
        for (int round = 1; round <= rounds; round++) {
            for (int i = 0; i < count; i++) {
                String key = prefix + "-" + i;
                map.put(key, value(key, round));
            }
        }
        return "put " + (long) rounds * count + " entries (" + rounds + " rounds of " + count + ") from " + start
                + " to " + System.currentTimeMillis();
    }

    @Descriptor("checks that PREFIX-0..PREFIX-(COUNT-1) are each KEY/ROUND (as map:fill --rounds ROUND left them)")
    public String verify(@Parameter(names = BASE, absentValue = "0") long base,
            @Parameter(names = "--round", absentValue = "1") int round,
            @Descriptor("set id, NODE:NUMBER") String set, @Descriptor("key prefix") String prefix,
            @Descriptor("how many keys") int count) {
        checkRange(count);
        ConcurrentMap<String, String> map = existing(set, base);
        List<String> wrong = new ArrayList<>();
        int bad = 0;
        for (int i = 0; i < count; i++) {
            String key = prefix + "-" + i;
            String actual = map.get(key);
            if (!value(key, round).equals(actual)) {
                if (bad++ < 5) {
                    wrong.add(key + " = " + actual);
                }
            }
        }
        if (bad > 0) {
            throw new IllegalStateException(bad + " of " + count + " entries differ from " + prefix + "-N/" + round
                    + " in " + where(set, base) + ", e.g. " + String.join(", ", wrong));
        }
        return "all " + count + " entries " + prefix + "-0.." + prefix + "-" + (count - 1) + " as expected";
    }

    @Descriptor("waits (up to --timeout seconds) until every KEY is in the map: a barrier for scripts")
    public String await(@Parameter(names = BASE, absentValue = "0") long base,
            @Parameter(names = "--timeout", absentValue = "60") int timeout,
            @Descriptor("set id, NODE:NUMBER") String set, @Descriptor("keys") String... keys)
            throws InterruptedException {
        if (timeout < 0 || timeout > 86_400 || keys.length == 0) {
            throw new IllegalArgumentException("map:await takes --timeout 0..86400 and at least one key");
        }
        long deadline = System.nanoTime() + timeout * 1_000_000_000L;
        for (String key : keys) {
            while (!find(set, base).map(m -> m.containsKey(key)).orElse(false)) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException("no key '" + key + "' in " + where(set, base) + " after "
                            + timeout + " s");
                }
                Thread.sleep(20);
            }
        }
        return "every key present: " + String.join(" ", keys);
    }
}
