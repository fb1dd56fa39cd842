package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Health checks and metrics over HTTP on one cluster of three JVMs started with
 * {@code --http}: {@code /health} answers 200 with every check on each node,
 * {@code /metrics} of node 2 counts the grabs of its {@code kddm:incr} workload,
 * then node 3 is killed with -9: node 1's {@code /health} answers 503 naming
 * "live nodes", and node 2's {@code --exec kddm:health}, run once node 3 is out of
 * its view, fails so the process exits 1.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HealthMetricsIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    /** A well-known set of the demo family homed by node bits; the object is homed on node 1. */
    private static final String SET = "0:9";
    private static final long OBJECT = (1L << 24) | 5;
    private static final int INCREMENTS = 200;
    private static final List<String> CHECKS = List.of("bundles active", "transport listening",
            "membership converged", "core ready", "kdfs mounted", "live nodes", "objects lost",
            "operations timing out", "memory budget", "kdfs write-back backlog");

    private static LocalCluster cluster;
    private static final NodeProcess[] NODES = new NodeProcess[4];
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        cluster = new LocalCluster("health-metrics-it", 3);
        cluster.wellKnown(SET, "demo-nodebits");
        NODES[1] = cluster.startWithHttp(1, "--headless");
        NODES[2] = cluster.startWithHttp(2, "--exec", "kddm:nodes --await 3\nkddm:health\nkddm:stats\n"
                + "echo (kddm:incr --times " + INCREMENTS + " " + SET + " " + OBJECT + " 1)\necho WORKED\n"
                + "kddm:nodes --gone 3 --timeout 120\nkddm:health\n", "--wait", "30");
        NODES[3] = cluster.startWithHttp(3, "--headless");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static HttpResponse<String> get(int node, String path) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(cluster.url(node, path)).timeout(Duration.ofSeconds(10)).GET().build();
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    }

    /** Node {@code node}'s answer at {@code path} once it has {@code status} (asked every 200 ms, at most LIMIT). */
    private static HttpResponse<String> await(int node, String path, int status) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = get(node, path);
                if (r.statusCode() == status) {
                    return r;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException notYet) {
                last = notYet.toString(); // HTTP not up yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("node " + node + " " + path + " never answered " + status + " within " + LIMIT
                + "; last answer: " + last);
    }

    /** The status code {@code curl} gets at node {@code node}'s {@code path}, as a supervisor's probe would. */
    private static int curl(int node, String path) throws Exception {
        Process p = new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                cluster.url(node, path).toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor(), "curl: " + out);
        return Integer.parseInt(out);
    }

    private static double sample(String metrics, String line) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(line) + " (\\S+)$").matcher(metrics);
        assertTrue(m.find(), "no sample " + line + " in:\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    @Test
    @Order(1)
    void everyNodeIsHealthyWithEveryCheck() throws Exception {
        NODES[2].awaitOutput("(?m)^WORKED$", LIMIT);
        for (int id = 1; id <= 3; id++) {
            HttpResponse<String> r = await(id, "/health", 200);
            String body = r.body();
            assertTrue(body.startsWith("{\"node\":\"" + id + "\",\"status\":\""), body);
            assertTrue(body.contains("\"healthy\":true,\"failing\":[]"), body);
            assertEquals("application/json", r.headers().firstValue("Content-Type").orElse("").split(";")[0]);
            for (String check : CHECKS) {
                assertTrue(body.contains("{\"name\":\"" + check + "\""), "no '" + check + "' in " + body);
            }
            assertEquals(200, curl(id, "/health"));
        }
        // --exec kddm:health on node 2 before its workload: the table, every check there, and the script went on.
        String out = NODES[2].output();
        for (String check : CHECKS) {
            assertTrue(Pattern.compile("(?m)^" + Pattern.quote(check) + " +(OK|WARN) ").matcher(out).find(),
                    "'" + check + "' not OK in node 2's kddm:health:\n" + out);
        }
        assertTrue(out.contains("node 2: OK") || out.contains("node 2: WARN"), out);
    }

    @Test
    @Order(2)
    void metricsCountTheGrabsOfAWorkload() throws Exception {
        String out = NODES[2].awaitOutput("(?m)^WORKED$", LIMIT) > 0 ? NODES[2].output() : "";
        Matcher before = Pattern.compile("(?m)^grabs\\s+(\\d+)").matcher(out);
        assertTrue(before.find(), "no grabs row in node 2's kddm:stats:\n" + out);
        long grabsBefore = Long.parseLong(before.group(1));
        HttpResponse<String> r = get(2, "/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                r.headers().toString());
        String metrics = r.body();
        double grabs = sample(metrics, "kddm_grabs_total");
        assertTrue(grabs >= grabsBefore + INCREMENTS, "kddm_grabs_total " + grabs + ", " + grabsBefore
                + " before " + INCREMENTS + " increments");
        assertTrue(sample(metrics, "kddm_operation_latency_seconds_count{op=\"grab\"}") >= INCREMENTS);
        assertTrue(metrics.contains("# TYPE kddm_operation_latency_seconds histogram"), metrics);
        // The first increment fetched the object from node 1, its home (later ones find it owned here).
        assertTrue(sample(metrics, "kddm_transport_sent_frames_total{peer=\"1\"}") > 0, metrics);
        assertTrue(sample(metrics, "kddm_transport_received_bytes_total{peer=\"1\"}") > 0, metrics);
        assertEquals(1.0, sample(metrics, "kddm_transport_connected{peer=\"3\"}"));
        assertTrue(sample(metrics, "kddm_peer_rtt_seconds{peer=\"1\"}") > 0, metrics);
        assertEquals(1.0, sample(metrics, "kddm_lease_held"));
        assertEquals(0.0, sample(metrics, "kddm_kdfs_mounted"), "no partition configured");
        // A second scrape: the counters only grow.
        assertTrue(sample(get(2, "/metrics").body(), "kddm_grabs_total") >= grabs);
    }

    @Test
    @Order(3)
    void aKilledNodeMakesHealth503NamingLiveNodesAndKddmHealthExit1() throws Exception {
        NODES[3].kill();
        HttpResponse<String> r = await(1, "/health", 503);
        String body = r.body();
        assertTrue(body.contains("\"healthy\":false"), body);
        assertTrue(body.contains("\"failing\":[\"live nodes\"]"), body);
        assertEquals(503, curl(1, "/health"));
        assertTrue(Pattern.compile("\"name\":\"live nodes\",\"tags\":\\[[^]]*\\],\"status\":\"CRITICAL\","
                + "\"message\":\"2 of 3 nodes up; down: node 3 (DEAD|SUSPECT)").matcher(body).find(), body);
        // Node 2 ran kddm:health once node 3 was out of its view: it failed, so --exec exits 1.
        assertEquals(1, NODES[2].awaitExit(LIMIT), NODES[2].output());
        String out = NodeProcess.withoutConsoleLog(NODES[2].output());
        assertTrue(out.contains("kddm: unhealthy: live nodes"), out);
        assertTrue(Pattern.compile("(?m)^live nodes +CRITICAL +2 of 3 nodes up").matcher(out).find(), out);
    }
}
