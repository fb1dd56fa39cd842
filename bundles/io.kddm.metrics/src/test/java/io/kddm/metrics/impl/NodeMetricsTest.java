package io.kddm.metrics.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.KddmStats;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.stats.CoreStats;
import io.kddm.api.stats.TransportStats;
import io.kddm.impl.core.CoreStatsService;
import io.kddm.impl.core.KddmService;
import io.kddm.impl.core.SimNetwork;
import io.kddm.kdfs.KdfsStats;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;

/** The metric mapping, written by the Prometheus library, over in-process nodes (the core's simulated network). */
class NodeMetricsTest {
    private SimNetwork network;
    private final List<KddmService> cores = new ArrayList<>();

    @AfterEach
    void stop() {
        if (network != null) {
            network.shutdown();
        }
        cores.forEach(KddmService::close);
        if (network != null) {
            network.close();
        }
    }

    private static String text(NodeMetrics.Sources sources) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, NodeMetrics.collect(sources), EscapingScheme.DEFAULT);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The value of the sample {@code line} (a metric name with its labels) in {@code text}. */
    private static double value(String text, String line) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(line) + " (\\S+)$").matcher(text);
        assertTrue(m.find(), "no sample " + line + " in:\n" + text);
        return Double.parseDouble(m.group(1));
    }

    /** A family of objects kept in memory only, homed round robin. */
    private static final SetFamily FAMILY = new SetFamily() {
        @Override
        public String name() {
            return "metrics-test";
        }

        @Override
        public String ioLinker() {
            return "metrics-memory";
        }
    };

    @Test
    void grabsAndGetsOfAWorkloadMoveTheCountersAndTheHistogram() throws Exception {
        network = new SimNetwork(5, Duration.ofMillis(1));
        for (int id = 1; id <= 2; id++) {
            network.node(id);
        }
        for (int id = 1; id <= 2; id++) {
            SimNetwork.Node n = network.node(id);
            KddmService k = new KddmService(n, n.membership, Duration.ofSeconds(5));
            k.addFamily(FAMILY);
            k.addIoLinker(new MemoryLinker());
            cores.add(k);
        }
        KddmService one = cores.get(0);
        CoreStats figures = new CoreStatsService(one);
        NodeMetrics.Sources sources = new NodeMetrics.Sources(one.stats(), figures, null,
                network.node(1).membership, null, null);
        String before = text(sources);
        KddmSet set = one.create(FAMILY.name());
        int n = 25;
        for (int i = 0; i < n; i++) {
            try (ObjectHandle h = set.grab(i % 4)) {
                h.value(new byte[] {(byte) i});
            }
            try (ObjectHandle h = set.get(i % 4)) {
                assertEquals((byte) i, h.value()[0]);
            }
        }
        String after = text(new NodeMetrics.Sources(one.stats(), figures, null, network.node(1).membership, null, null));
        assertEquals(n, value(after, "kddm_grabs_total") - value(before, "kddm_grabs_total"));
        assertEquals(n, value(after, "kddm_gets_total") - value(before, "kddm_gets_total"));
        assertEquals(n, value(after, "kddm_operation_latency_seconds_count{op=\"grab\"}")
                - value(before, "kddm_operation_latency_seconds_count{op=\"grab\"}"));
        assertEquals(value(after, "kddm_operation_latency_seconds_count{op=\"grab\"}"),
                value(after, "kddm_operation_latency_seconds_bucket{op=\"grab\",le=\"+Inf\"}"));
        assertTrue(after.contains("# TYPE kddm_grabs_total counter"), after);
        assertTrue(after.contains("# TYPE kddm_operation_latency_seconds histogram"), after);
        assertEquals(1.0, value(after, "kddm_lease_held"));
        assertEquals(1.0, value(after, "kddm_node_up{node=\"2\",state=\"ALIVE\"}"));
        assertTrue(value(after, "kddm_bytes_held") > 0, "bytes of the copies held");
    }

    @Test
    void latenciesLandInTheFirstBoundNotBelowThem() {
        long[] fine = new long[KddmStats.Latency.BUCKETS];
        fine[0] = 3; // up to 72 ns
        int oneMs = 0;
        while (KddmStats.Latency.upperBound(oneMs) < 1_000_000) {
            oneMs++;
        }
        fine[oneMs] = 2; // just over 1 ms: the 2.5 ms bucket
        fine[KddmStats.Latency.BUCKETS - 1] = 1; // beyond 10 s: +Inf
        long[] coarse = NodeMetrics.coarse(new KddmStats.Latency(fine));
        assertEquals(3, coarse[0]);
        assertEquals(2, coarse[7], "le=0.0025");
        assertEquals(1, coarse[NodeMetrics.BOUNDS.length - 1]);
        assertEquals(6, java.util.Arrays.stream(coarse).sum());
        for (int i = 0; i < 400; i++) {
            assertEquals(KddmStats.Latency.upperBound(i), NodeMetrics.upperNanos(i), "bucket " + i);
        }
    }

    @Test
    void transportTrafficIsPerPeer() throws Exception {
        TransportStats traffic = () -> List.of(new TransportStats.PeerTraffic(2, 100, 200, 3, 4, true),
                new TransportStats.PeerTraffic(3, 10, 20, 1, 2, false));
        SortedMap<String, Long> none = new TreeMap<>();
        CoreStats empty = new CoreStats() {
            @Override
            public SortedMap<String, Long> counters() {
                return none;
            }

            @Override
            public SortedMap<String, Long> gauges() {
                return none;
            }
        };
        KdfsStats kdfs = new KdfsStats(new TreeMap<>(Map.of("create", 7L)), 3, 5);
        String text = text(new NodeMetrics.Sources(null, empty, traffic, null, true, kdfs));
        assertEquals(100, value(text, "kddm_transport_sent_bytes_total{peer=\"2\"}"));
        assertEquals(20, value(text, "kddm_transport_received_bytes_total{peer=\"3\"}"));
        assertEquals(4, value(text, "kddm_transport_received_frames_total{peer=\"2\"}"));
        assertEquals(0, value(text, "kddm_transport_connected{peer=\"3\"}"));
        assertEquals(1, value(text, "kddm_kdfs_mounted"));
        assertEquals(7, value(text, "kddm_kdfs_operations_total{op=\"create\"}"));
        assertEquals(3, value(text, "kddm_kdfs_writeback_dirty_inodes"));
        assertEquals(5, value(text, "kddm_kdfs_writeback_dirty_pages"));
    }

    /** Objects in memory only: a first touch is empty, a store is dropped. */
    private static final class MemoryLinker implements IoLinker {
        @Override
        public String id() {
            return "metrics-memory";
        }

        @Override
        public byte[] firstTouch(SetContext set, long objectId) {
            return new byte[1];
        }

        @Override
        public void remove(SetContext set, long objectId) {
        }
    }
}
