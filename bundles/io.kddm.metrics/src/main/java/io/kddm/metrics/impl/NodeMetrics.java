package io.kddm.metrics.impl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.set.KddmStats;
import io.kddm.api.stats.CoreStats;
import io.kddm.api.stats.TransportStats;
import io.kddm.kdfs.KdfsStats;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * The mapping of a node's figures to Prometheus metrics (the library's data
 * model; its writer makes the text format): every counter and gauge of
 * {@code kddm:stats} as {@code kddm_NAME(_total)}, the get and grab latency
 * histograms as {@code kddm_operation_latency_seconds{op}}, the transport per
 * {@code peer}, the membership (view, lease, nodes up, RTT per peer), and kDFS
 * (mounted, operations by kind, write-back backlog). A service that is absent
 * gives no metric. (kDFS cache hits are not counted anywhere yet: no metric.)
 */
final class NodeMetrics {
    /** The histogram's bucket bounds in seconds: the core's 512 fine buckets are summed into these. */
    static final double[] BOUNDS = {1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1,
        0.25, 0.5, 1, 2.5, 5, 10, Double.POSITIVE_INFINITY};

    /** What the node has now; each may be null (the service is not there). */
    record Sources(KddmStats kddm, CoreStats core, TransportStats transport, Membership membership,
            Boolean kdfsMounted, KdfsStats kdfs) {
    }

    private NodeMetrics() {
    }

    static MetricSnapshots collect(Sources s) {
        List<MetricSnapshot> out = new ArrayList<>();
        if (s.core() != null) {
            s.core().counters().forEach((name, value) -> out.add(counter("kddm_" + name,
                    "kddm:stats counter " + name, Map.of(Labels.EMPTY, value))));
            s.core().gauges().forEach((name, value) -> out.add(gauge("kddm_" + name, "kddm:stats figure " + name,
                    Map.of(Labels.EMPTY, (double) value))));
        }
        if (s.kddm() != null) {
            out.add(HistogramSnapshot.builder().name("kddm_operation_latency_seconds")
                    .help("latency of the gets and grabs asked on this node (kddm:stats)")
                    .dataPoint(histogram("get", s.kddm().get())).dataPoint(histogram("grab", s.kddm().grab()))
                    .build());
        }
        if (s.transport() != null) {
            transport(s.transport().traffic(), out);
        }
        if (s.membership() != null) {
            membership(s.membership(), out);
        }
        if (s.kdfsMounted() != null) {
            out.add(gauge("kddm_kdfs_mounted", "1 when kDFS is mounted on this node",
                    Map.of(Labels.EMPTY, s.kdfsMounted() ? 1.0 : 0.0)));
        }
        if (s.kdfs() != null) {
            var ops = new LinkedHashMap<Labels, Long>();
            s.kdfs().operations().forEach((op, n) -> ops.put(Labels.of("op", op), n));
            out.add(counter("kddm_kdfs_operations", "kDFS operations asked on this node, by kind", ops));
            out.add(gauge("kddm_kdfs_writeback_dirty_inodes", "inodes waiting for kDFS write-back",
                    Map.of(Labels.EMPTY, (double) s.kdfs().dirtyInodes())));
            out.add(gauge("kddm_kdfs_writeback_dirty_pages", "directory and file pages waiting for kDFS write-back",
                    Map.of(Labels.EMPTY, (double) s.kdfs().dirtyPages())));
        }
        return new MetricSnapshots(out);
    }

    private static void transport(List<TransportStats.PeerTraffic> traffic, List<MetricSnapshot> out) {
        var bytesSent = new java.util.LinkedHashMap<Labels, Long>();
        var bytesReceived = new java.util.LinkedHashMap<Labels, Long>();
        var framesSent = new java.util.LinkedHashMap<Labels, Long>();
        var framesReceived = new java.util.LinkedHashMap<Labels, Long>();
        var connected = new java.util.LinkedHashMap<Labels, Double>();
        for (TransportStats.PeerTraffic t : traffic) {
            Labels peer = Labels.of("peer", String.valueOf(t.node()));
            bytesSent.put(peer, t.bytesSent());
            bytesReceived.put(peer, t.bytesReceived());
            framesSent.put(peer, t.framesSent());
            framesReceived.put(peer, t.framesReceived());
            connected.put(peer, t.connected() ? 1.0 : 0.0);
        }
        out.add(counter("kddm_transport_sent_bytes", "bytes written to each peer", bytesSent));
        out.add(counter("kddm_transport_received_bytes", "bytes read from each peer", bytesReceived));
        out.add(counter("kddm_transport_sent_frames", "frames written to each peer", framesSent));
        out.add(counter("kddm_transport_received_frames", "frames read from each peer", framesReceived));
        out.add(gauge("kddm_transport_connected", "1 while a connection to the peer is open", connected));
    }

    private static void membership(Membership m, List<MetricSnapshot> out) {
        var up = new java.util.LinkedHashMap<Labels, Double>();
        var rtt = new java.util.LinkedHashMap<Labels, Double>();
        for (NodeInfo n : m.nodes()) {
            Labels node = Labels.of("node", String.valueOf(n.id()), "state", n.state().name());
            up.put(node, m.isUp(n.id()) ? 1.0 : 0.0);
            n.rtt().ifPresent(d -> rtt.put(Labels.of("peer", String.valueOf(n.id())), d.toNanos() / 1e9));
        }
        out.add(gauge("kddm_node_up", "1 for each node in the view installed here, 0 for the others seen", up));
        out.add(gauge("kddm_peer_rtt_seconds", "latest heartbeat round trip to each peer", rtt));
        out.add(gauge("kddm_view_epoch", "the epoch of the view installed here",
                Map.of(Labels.EMPTY, (double) m.view().epoch())));
        out.add(gauge("kddm_lease_held", "1 while this node holds a lease from a majority of the voters",
                Map.of(Labels.EMPTY, m.hasLease() ? 1.0 : 0.0)));
    }

    /** The core's fine buckets summed into {@link #BOUNDS}: a latency lands in the first bound not below its bucket's. */
    static long[] coarse(KddmStats.Latency latency) {
        long[] counts = new long[BOUNDS.length];
        long[] fine = latency.buckets();
        for (int i = 0; i < fine.length; i++) {
            if (fine[i] == 0) {
                continue;
            }
            double seconds = i == fine.length - 1 ? Double.POSITIVE_INFINITY : upperNanos(i) / 1e9;
            int j = 0;
            while (BOUNDS[j] < seconds) {
                j++;
            }
            counts[j] += fine[i];
        }
        return counts;
    }

    /**
     * {@link KddmStats.Latency#upperBound} in floating point: the top buckets' bounds
     * do not fit a long (and the last holds everything beyond it: +Inf above).
     */
    static double upperNanos(int index) {
        int shift = index / KddmStats.Latency.SUB + KddmStats.Latency.MIN_SHIFT;
        int sub = index % KddmStats.Latency.SUB;
        return (KddmStats.Latency.SUB + sub + 1) * Math.pow(2, shift - 3);
    }

    private static HistogramDataPointSnapshot histogram(String op, KddmStats.Latency latency) {
        return HistogramDataPointSnapshot.builder().labels(Labels.of("op", op))
                .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, coarse(latency))).build();
    }

    private static CounterSnapshot counter(String name, String help, Map<Labels, Long> values) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        values.forEach((labels, v) -> b.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(v).build()));
        return b.build();
    }

    private static GaugeSnapshot gauge(String name, String help, Map<Labels, Double> values) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        values.forEach((labels, v) -> b.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(v).build()));
        return b.build();
    }
}
