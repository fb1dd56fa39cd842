package io.kddm.health.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.felix.hc.api.Result.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

import io.kddm.api.stats.CoreStats;
import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.Transport;
import io.kddm.impl.core.CoreStatsService;
import io.kddm.impl.core.KddmService;
import io.kddm.impl.core.SimNetwork;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsStats;

/** The checks' verdicts on in-process nodes (the core's simulated network) and on small fakes of the services. */
class HealthChecksTest {
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

    private List<SimNetwork.Node> cluster(int count) {
        network = new SimNetwork(11, Duration.ofMillis(1));
        List<SimNetwork.Node> nodes = new ArrayList<>();
        for (int id = 1; id <= count; id++) {
            nodes.add(network.node(id));
        }
        for (SimNetwork.Node n : nodes) {
            cores.add(new KddmService(n, n.membership, Duration.ofSeconds(5)));
        }
        return nodes;
    }

    @Test
    void liveNodesIsCriticalNamingTheDeadNodeAndMembershipSaysWhoLostItsLease() {
        List<SimNetwork.Node> nodes = cluster(3);
        SimNetwork.Node one = nodes.get(0);
        Verdict healthy = LiveNodesCheck.verdict(one.membership, one);
        assertEquals(Status.OK, healthy.status(), healthy.message());
        assertEquals("3 of 3 nodes up (voters [1, 2, 3])", healthy.message());
        assertEquals(Status.OK, MembershipConvergedCheck.verdict(one.membership).status());

        network.crash(3);
        Verdict down = LiveNodesCheck.verdict(one.membership, one);
        assertEquals(Status.CRITICAL, down.status());
        assertEquals("2 of 3 nodes up; down: node 3 DEAD", down.message());
        assertEquals(Status.OK, MembershipConvergedCheck.verdict(one.membership).status(), "1 and 2 agree");
        Verdict three = MembershipConvergedCheck.verdict(nodes.get(2).membership);
        assertEquals(Status.CRITICAL, three.status(), three.message());

        network.crash(2);
        Verdict noMajority = LiveNodesCheck.verdict(one.membership, one);
        assertEquals(Status.CRITICAL, noMajority.status());
        assertTrue(noMajority.message().contains("1 of 3 voters up: no majority"), noMajority.message());
    }

    @Test
    void missingServicesAreCritical() {
        assertEquals(Status.CRITICAL, LiveNodesCheck.verdict(null, null).status());
        assertEquals(Status.CRITICAL, MembershipConvergedCheck.verdict(null).status());
        assertEquals(Status.CRITICAL, TransportListeningCheck.verdict(null).status());
        assertEquals(Status.CRITICAL, CoreReadyCheck.verdict(null).status());
        List<SimNetwork.Node> nodes = cluster(1);
        Verdict core = CoreReadyCheck.verdict(cores.get(0));
        assertEquals(Status.OK, core.status(), core.message());
        // The simulated transport has no listen address: not listening.
        assertEquals(Status.CRITICAL, TransportListeningCheck.verdict(nodes.get(0)).status());
    }

    /** A transport listening on 127.0.0.1:7001 with these peers (only what the check reads). */
    private static Transport transport(List<PeerStatus> peers) {
        return (Transport) Proxy.newProxyInstance(Transport.class.getClassLoader(), new Class<?>[] {Transport.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "localNode" -> 1;
                    case "addressOf" -> Optional.of(new InetSocketAddress("127.0.0.1", 7001));
                    case "peers" -> peers;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void transportListeningWarnsOfAPeerThatRefusedThisNode() {
        PeerStatus two = new PeerStatus(new InetSocketAddress("127.0.0.1", 7002), 2, PeerStatus.State.CONNECTED, "");
        PeerStatus three = new PeerStatus(new InetSocketAddress("127.0.0.1", 7003), 0, PeerStatus.State.REFUSED,
                "authentication failed");
        Verdict ok = TransportListeningCheck.verdict(transport(List.of(two)));
        assertEquals(Status.OK, ok.status());
        assertEquals("node 1 listening on 127.0.0.1:7001, 1 of 1 peer addresses connected", ok.message());
        Verdict refused = TransportListeningCheck.verdict(transport(List.of(two, three)));
        assertEquals(Status.WARN, refused.status());
        assertTrue(refused.message().endsWith("refused by 127.0.0.1:7003: authentication failed"), refused.message());
    }

    @Test
    void bundlesNotActiveAreNamed() {
        var active = new BundlesActiveCheck.BundleState("a 1.0.0", Bundle.ACTIVE, false);
        var fragment = new BundlesActiveCheck.BundleState("f 1.0.0", Bundle.RESOLVED, true);
        var resolved = new BundlesActiveCheck.BundleState("io.kddm.kdfs 0.1.0", Bundle.RESOLVED, false);
        assertEquals(Status.OK, BundlesActiveCheck.verdict(List.of(active, fragment)).status());
        Verdict v = BundlesActiveCheck.verdict(List.of(active, fragment, resolved));
        assertEquals(Status.CRITICAL, v.status());
        assertEquals("1 of 3 bundles not active: io.kddm.kdfs 0.1.0 (RESOLVED, not started)", v.message());
    }

    /** Core figures set by the test. */
    private static final class Figures implements CoreStats {
        final SortedMap<String, Long> counters = new TreeMap<>();
        final SortedMap<String, Long> gauges = new TreeMap<>();

        @Override
        public SortedMap<String, Long> counters() {
            return new TreeMap<>(counters);
        }

        @Override
        public SortedMap<String, Long> gauges() {
            return new TreeMap<>(gauges);
        }
    }

    private static HealthConfig config() {
        return (HealthConfig) Proxy.newProxyInstance(HealthConfig.class.getClassLoader(),
                new Class<?>[] {HealthConfig.class}, (proxy, method, args) -> method.getDefaultValue());
    }

    private static long s(long seconds) {
        return TimeUnit.SECONDS.toNanos(seconds);
    }

    @Test
    void objectsLostAreCriticalWithinTheWindowThenAWarning() {
        Figures f = new Figures();
        f.counters.put(CoreStats.OBJECTS_LOST, 0L);
        ObjectsLostCheck check = new ObjectsLostCheck(f, config());
        assertEquals(Status.OK, check.verdict(s(0)).status());
        f.counters.put(CoreStats.OBJECTS_LOST, 2L);
        Verdict lost = check.verdict(s(10));
        assertEquals(Status.CRITICAL, lost.status());
        assertTrue(lost.message().startsWith("2 objects lost in the last 300 s"), lost.message());
        assertEquals(Status.CRITICAL, check.verdict(s(300)).status(), "the loss at 10 s is inside (0 s, 300 s]");
        Verdict old = check.verdict(s(311));
        assertEquals(Status.WARN, old.status(), old.message());
        f.counters.put(CoreStats.OBJECTS_LOST, 3L);
        assertTrue(check.verdict(s(312)).message().startsWith("1 objects lost in the last 300 s (3 since start)"));
        assertEquals(Status.CRITICAL, new ObjectsLostCheck(null, config()).verdict(s(0)).status());
    }

    @Test
    void timeoutsWarnWhileInTheWindow() {
        Figures f = new Figures();
        f.counters.put(CoreStats.TIMEOUTS, 5L);
        TimeoutsCheck check = new TimeoutsCheck(f, config());
        // What happened before the first look counts as recent: nobody can tell when it was.
        assertEquals(Status.WARN, check.verdict(s(0)).status());
        assertEquals(Status.WARN, check.verdict(s(59)).status());
        assertEquals(Status.OK, check.verdict(s(61)).status());
        f.counters.put(CoreStats.TIMEOUTS, 7L);
        Verdict again = check.verdict(s(62));
        assertEquals(Status.WARN, again.status());
        assertEquals("2 operations timed out in the last 60 s (7 since start)", again.message());
        assertEquals(Status.OK, check.verdict(s(200)).status());
    }

    @Test
    void counterWindowKeepsOnlyWhatItNeeds() {
        CounterWindow w = new CounterWindow(s(10));
        assertEquals(3, w.grew(s(0), 3));
        assertEquals(3, w.grew(s(5), 3));
        assertEquals(0, w.grew(s(10), 3), "the reading at 0 s is the baseline at 10 s");
        assertEquals(4, w.grew(s(12), 7));
        assertEquals(4, w.grew(s(20), 7), "baseline: the reading at 10 s");
        assertEquals(0, w.grew(s(22), 7));
    }

    @Test
    void memoryBudgetWarnsNearItAndIsCriticalOverIt() {
        assertEquals(Status.OK, MemoryBudgetCheck.verdict(5000, 0, 90).status());
        assertEquals("50 of 100 bytes held (50 %)", MemoryBudgetCheck.verdict(50, 100, 90).message());
        assertEquals(Status.WARN, MemoryBudgetCheck.verdict(90, 100, 90).status());
        assertEquals(Status.CRITICAL, MemoryBudgetCheck.verdict(101, 100, 90).status());
    }

    @Test
    void memoryBudgetReadsTheCoreFigures() {
        cluster(1);
        CoreStats figures = new CoreStatsService(cores.get(0));
        Map<String, Long> gauges = figures.gauges();
        assertTrue(gauges.containsKey(CoreStats.BYTES_HELD) && gauges.containsKey(CoreStats.MEMORY_BUDGET), "" + gauges);
        assertEquals(0L, figures.counters().get(CoreStats.OBJECTS_LOST));
        assertEquals(Status.OK, new MemoryBudgetCheck(figures, config()).execute().getStatus());
    }

    /** kDFS as far as the check reads it. */
    private static Kdfs kdfs(boolean mounted, Path partition) {
        return (Kdfs) Proxy.newProxyInstance(Kdfs.class.getClassLoader(), new Class<?>[] {Kdfs.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "mounted" -> mounted;
                    case "partition" -> Optional.ofNullable(partition);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void kdfsMustBeMountedOnlyWhenConfigured() {
        assertEquals(Status.OK, KdfsMountedCheck.verdict(null, null).status());
        assertEquals(Status.OK, KdfsMountedCheck.verdict(null, kdfs(false, null)).status());
        assertEquals(Status.CRITICAL, KdfsMountedCheck.verdict("/data/kdfs", null).status());
        Verdict notMounted = KdfsMountedCheck.verdict("/data/kdfs", kdfs(false, null));
        assertEquals(Status.CRITICAL, notMounted.status());
        assertTrue(notMounted.message().startsWith("partition /data/kdfs configured, not mounted"));
        Verdict mounted = KdfsMountedCheck.verdict("/data/kdfs", kdfs(true, Path.of("/data/kdfs")));
        assertEquals(Status.OK, mounted.status());
        assertEquals("mounted, partition /data/kdfs", mounted.message());
    }

    @Test
    void kdfsWriteBackBacklogWarnsOverItsThreshold() {
        assertEquals(Status.OK, KdfsWriteBackCheck.verdict(null, false, 10).status());
        Verdict few = KdfsWriteBackCheck.verdict(new KdfsStats(new TreeMap<>(), 10, 3), true, 10);
        assertEquals(Status.OK, few.status());
        assertEquals("10 inodes, 3 pages wait for write-back", few.message());
        assertEquals(Status.WARN,
                KdfsWriteBackCheck.verdict(new KdfsStats(new TreeMap<>(), 11, 3), true, 10).status());
    }

    @Test
    void reportIsHealthyUpToWarnAndNamesWhatFails() {
        var ok = new HealthReport.Check("live nodes", List.of("kddm", "cluster"), Status.OK, "3 of 3 nodes up", 1);
        var warn = new HealthReport.Check("operations timing out", List.of("kddm"), Status.WARN, "2 \"timed\" out", 0);
        var bad = new HealthReport.Check("kdfs mounted", List.of("kddm"), Status.CRITICAL, "not\nmounted", 2);
        HealthReport fine = new HealthReport("1", List.of(ok, warn));
        assertTrue(fine.healthy());
        assertEquals(Status.WARN, fine.status());
        HealthReport failing = new HealthReport("1", List.of(ok, warn, bad));
        assertFalse(failing.healthy());
        assertEquals(List.of("kdfs mounted"), failing.failing());
        String json = failing.json();
        assertTrue(json.startsWith("{\"node\":\"1\",\"status\":\"CRITICAL\",\"healthy\":false,"
                + "\"failing\":[\"kdfs mounted\"],\"checks\":[{\"name\":\"kdfs mounted\""), json);
        assertTrue(json.contains("\"message\":\"not\\nmounted\""), json);
        assertTrue(json.contains("\"message\":\"2 \\\"timed\\\" out\""), json);
        assertTrue(failing.table().endsWith("node 1: CRITICAL (failing: kdfs mounted)\n"), failing.table());
        assertFalse(new HealthReport("1", List.of()).healthy(), "no check at all is not healthy");
    }
}
