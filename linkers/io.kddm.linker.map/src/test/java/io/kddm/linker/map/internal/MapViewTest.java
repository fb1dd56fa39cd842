package io.kddm.linker.map.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.ObjectTooLargeException;
import io.kddm.impl.core.History;
import io.kddm.impl.core.KddmService;
import io.kddm.impl.core.Linearizability;
import io.kddm.impl.core.SimNetwork;
import io.kddm.linker.map.Codec;
import io.kddm.linker.map.KddmMaps;
import io.kddm.linker.memory.DemoFamily;
import io.kddm.linker.memory.MemoryIoLinker;

/** The map view on in-process kDDM nodes over a simulated network that reorders messages. */
class MapViewTest {
    private final MapLinker linker = new MapLinker();
    private SimNetwork network;
    private final List<KddmService> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        if (network != null) {
            network.shutdown();
            nodes.forEach(KddmService::close);
            network.close();
        }
    }

    /** {@code count} nodes, each with the memory linker and the demo family; returns node 1's new set, seen from every node. */
    private List<KddmSet> cluster(int count, Duration maxDelay) {
        network = new SimNetwork(7, maxDelay);
        for (int id = 1; id <= count; id++) {
            network.node(id);
        }
        for (int id = 1; id <= count; id++) {
            SimNetwork.Node n = network.node(id);
            KddmService k = new KddmService(n, n.membership, Duration.ofSeconds(20));
            k.addFamily(new DemoFamily());
            k.addIoLinker(new MemoryIoLinker());
            nodes.add(k);
        }
        long set = nodes.get(0).create(DemoFamily.NAME).id();
        return nodes.stream().map(k -> k.lookup(set)).toList();
    }

    @Test
    void behavesAsAConcurrentMap() {
        KddmSet set = cluster(1, Duration.ZERO).get(0);
        ConcurrentMap<String, String> map = linker.open(set);
        assertTrue(map.isEmpty());
        assertNull(map.put("a", "1"));
        assertEquals("1", map.put("a", "2"));
        assertEquals("2", map.putIfAbsent("a", "3"));
        assertNull(map.putIfAbsent("b", "x"));
        assertFalse(map.replace("a", "1", "9"));
        assertTrue(map.replace("a", "2", "9"));
        assertNull(map.replace("zz", "1"));
        assertFalse(map.remove("b", "y"));
        assertTrue(map.remove("b", "x"));
        assertEquals("9!", map.compute("a", (k, v) -> v + "!"));
        assertEquals("n", map.computeIfAbsent("n", k -> "n"));
        assertEquals("n", map.computeIfAbsent("n", k -> "other"));
        assertNull(map.computeIfPresent("nothing", (k, v) -> "x"));
        assertEquals("n+m", map.merge("n", "m", (a, b) -> a + "+" + b));
        assertNull(map.compute("n", (k, v) -> null), "null removes");
        assertFalse(map.containsKey("n"));
        for (int i = 0; i < 200; i++) { // more keys than buckets
            map.put("k" + i, "v" + i);
        }
        assertEquals(201, map.size());
        Map<String, String> copy = new HashMap<>(map);
        assertEquals("v17", copy.get("k17"));
        assertEquals("9!", copy.get("a"));
        for (Iterator<Map.Entry<String, String>> it = map.entrySet().iterator(); it.hasNext();) {
            Map.Entry<String, String> e = it.next();
            if (e.getKey().endsWith("7")) {
                it.remove();
            } else if (e.getKey().equals("a")) {
                e.setValue("written through");
            }
        }
        assertFalse(map.containsKey("k17"));
        assertEquals("written through", map.get("a"));
        assertEquals(181, map.size());
        assertThrows(NullPointerException.class, () -> map.put("x", null));
        assertThrows(NullPointerException.class, () -> map.get(null));
        map.clear();
        assertTrue(map.isEmpty());
        assertEquals(0, map.size());
    }

    @Test
    void theFirstOpenFixesTheBucketCountAndOtherDataIsRefused() {
        KddmSet set = cluster(1, Duration.ZERO).get(0);
        MapView<String, String> first = MapView.open(set, 100, 4, Codec.UTF8, Codec.UTF8);
        first.put("k", "v");
        MapView<String, String> again = MapView.open(set, 100, 512, Codec.UTF8, Codec.UTF8);
        assertEquals(4, again.buckets(), "the stored count wins");
        assertTrue(MapView.find(set, 200, Codec.UTF8, Codec.UTF8).isEmpty(), "no map there");
        try (ObjectHandle h = set.get(200)) {
            assertEquals(0, h.value().length, "and looking made none");
        }
        long nearTheEnd = (3L << 24) - 5; // 4 buckets fit before the next node's ids, 64 would not
        MapView.open(set, nearTheEnd, 4, Codec.UTF8, Codec.UTF8).put("k", "v");
        assertEquals("v", MapView.open(set, nearTheEnd, KddmMaps.DEFAULT_BUCKETS, Codec.UTF8, Codec.UTF8).get("k"));
        assertEquals("v", again.get("k"));
        try (ObjectHandle h = set.grab(50)) {
            h.value("not a map".getBytes());
        }
        IllegalArgumentException notAMap = assertThrows(IllegalArgumentException.class,
                () -> MapView.open(set, 50, 4, Codec.UTF8, Codec.UTF8));
        assertTrue(notAMap.getMessage().contains("object 50 of set") && notAMap.getMessage().contains("not a map"),
                notAMap.getMessage());
        IllegalArgumentException crossing = assertThrows(IllegalArgumentException.class,
                () -> MapView.open(set, (2L << 24) - 2, 4, Codec.UTF8, Codec.UTF8));
        assertTrue(crossing.getMessage().contains("bits 24..31"), crossing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MapView.open(set, 0, 0, Codec.UTF8, Codec.UTF8));
        assertThrows(IllegalArgumentException.class,
                () -> MapView.open(set, 0, KddmMaps.MAX_BUCKETS + 1, Codec.UTF8, Codec.UTF8));
    }

    @Test
    void aCorruptBucketIsReportedWithItsObjectAndNeverReadAsEmpty() {
        KddmSet set = cluster(1, Duration.ZERO).get(0);
        MapView<String, String> map = MapView.open(set, 0, 1, Codec.UTF8, Codec.UTF8);
        map.put("k", "value");
        byte[] bucket;
        try (ObjectHandle h = set.grab(1)) {
            bucket = h.value();
            h.value(java.util.Arrays.copyOf(bucket, bucket.length - 2)); // truncated
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> map.get("k"));
        assertTrue(e.getMessage().startsWith("object 1 of set ") && e.getMessage().contains("not a map bucket"),
                e.getMessage());
        assertThrows(IllegalStateException.class, () -> map.put("other", "v"), "nor overwritten");
        assertThrows(IllegalStateException.class, map::size, "nor miscounted");
        try (ObjectHandle h = set.get(1)) {
            assertEquals(bucket.length - 2, h.value().length, "the bad bucket is left as it was");
        }
    }

    @Test
    void aWriteOverTheObjectLimitFailsAndChangesNothing() {
        KddmSet set = cluster(1, Duration.ZERO).get(0);
        MapView<String, String> map = MapView.open(set, 0, 1, Codec.UTF8, Codec.UTF8);
        map.put("small", "v");
        String big = "x".repeat(new DemoFamily().maxObjectSize());
        assertThrows(ObjectTooLargeException.class, () -> map.put("big", big));
        assertEquals(Map.of("small", "v"), new TreeMap<>(map));
    }

    @Test
    void theSameMapFromThreeNodesIsLinearizable() throws Exception {
        List<KddmSet> sets = cluster(3, Duration.ofMillis(2));
        int keys = 6;
        int threads = 2;
        int ops = 250;
        History history = new History();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(sets.size() * threads);
        for (int node = 0; node < sets.size(); node++) {
            // Two buckets for six keys: operations on different keys meet on one object too.
            ConcurrentMap<Long, Long> map = linker.open(sets.get(node), 0, 2, Codec.LONG, Codec.LONG);
            for (int t = 0; t < threads; t++) {
                Random random = new Random(node * 100 + t);
                new Thread(() -> {
                    try {
                        for (int i = 0; i < ops; i++) {
                            long key = random.nextInt(keys);
                            long invoke = System.nanoTime();
                            switch (random.nextInt(3)) {
                                case 0 -> {
                                    Long v = map.get(key);
                                    history.add(new History.Op(key, History.Kind.READ, 0, v == null ? 0 : v, invoke,
                                            System.nanoTime()));
                                }
                                case 1 -> {
                                    long v = random.nextInt(1000);
                                    map.put(key, v);
                                    history.add(new History.Op(key, History.Kind.WRITE, v, 0, invoke,
                                            System.nanoTime()));
                                }
                                default -> {
                                    long d = 1 + random.nextInt(5);
                                    long v = map.merge(key, d, Long::sum);
                                    history.add(new History.Op(key, History.Kind.ADD, d, v, invoke,
                                            System.nanoTime()));
                                }
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    } finally {
                        done.countDown();
                    }
                }).start();
            }
        }
        assertTrue(done.await(120, java.util.concurrent.TimeUnit.SECONDS), "the workload ends");
        assertEquals(List.of(), errors);
        int checked = Linearizability.checkAll(history);
        assertEquals(sets.size() * threads * ops, checked, "every operation checked");
        System.out.println("map view: " + checked + " operations from 3 nodes linearizable per key");
        // Every node sees the same contents at the end.
        Map<Long, Long> seen = new TreeMap<>(linker.open(sets.get(0), 0, 2, Codec.LONG, Codec.LONG));
        assertEquals(keys, seen.size(), "every key was written: " + seen);
        for (KddmSet s : sets.subList(1, sets.size())) {
            assertEquals(seen, new TreeMap<>(linker.open(s, 0, 2, Codec.LONG, Codec.LONG)));
        }
    }

    @Test
    void bucketBytesRoundTrip() {
        Bucket b = Bucket.decode(new byte[0], () -> "x");
        b.set(new byte[] {1}, new byte[] {2, 3});
        b.set(new byte[] {4}, new byte[0]);
        byte[] bytes = b.encode();
        Bucket back = Bucket.decode(bytes, () -> "x");
        assertArrayEquals(new byte[] {2, 3}, back.get(new byte[] {1}));
        assertArrayEquals(new byte[0], back.get(new byte[] {4}));
        assertEquals(2, back.size());
        assertFalse(back.changed());
        byte[] trailing = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThrows(IllegalStateException.class, () -> Bucket.decode(trailing, () -> "x"));
    }
}
