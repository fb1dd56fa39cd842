package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The cluster page (bundle io.kddm.web) of node 1 of three JVMs, opened in
 * headless Chromium (Debian's {@code chromium}, run as a plain process: its DOM
 * once the page's script has drawn it, and a screenshot): the three nodes
 * alive, an object's state on every node after a workload, then node 3
 * killed with -9 and marked dead. The screenshot goes to docs/cluster-page.png
 * (the README shows it). Skipped only where chromium is not installed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterPageIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    /** The workload's counter: a well-known set of the demo family homed by node bits; object homed on node 1. */
    private static final String SET = "0:7";
    private static final long OBJECT = (1L << 24) | 1;
    private static final int INCREMENTS = 500;

    private static LocalCluster cluster;
    private static final NodeProcess[] NODES = new NodeProcess[4];
    private static String chromium;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        chromium = findChromium().orElse(null);
        Assumptions.assumeTrue(chromium != null,
                "ClusterPageIT skipped: no chromium on the PATH (apt-get install chromium; .ci/run installs it)");
        cluster = new LocalCluster("cluster-page-it", 3);
        cluster.wellKnown(SET, "demo-nodebits"); // opened by every node at start, its home (node 1) too
        NODES[1] = cluster.startWithHttp(1, "--headless");
        NODES[2] = cluster.startWithHttp(2, "--exec", "kddm:nodes --await 3\necho (kddm:incr --times " + INCREMENTS
                + " " + SET + " " + OBJECT + " 1)\necho WORKED\nsleep 300\n");
        NODES[3] = cluster.startWithHttp(3, "--headless");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Optional<String> findChromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, "chromium");
            if (Files.isExecutable(p)) {
                return Optional.of(p.toString());
            }
        }
        return Optional.empty();
    }

    /** GET of node 1's {@code path}: status and body, or status -1 while it does not answer. */
    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(cluster.url(1, path)).timeout(Duration.ofSeconds(5)).GET().build();
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    }

    /** Node 1's JSON at {@code path} once {@code until} holds (asked every 200 ms, at most {@link #LIMIT}). */
    private static String awaitJson(String path, Predicate<String> until, String what) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = get(path);
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200 && until.test(r.body())) {
                    return r.body();
                }
            } catch (IOException notYet) {
                last = notYet.toString(); // HTTP not up yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError(what + " not seen within " + LIMIT + " at " + path + "; last answer: " + last);
    }

    private static String node(int id, String state) {
        return "\\{\"id\":" + id + ",\"address\":\"[^\"]*\",\"state\":\"" + state + "\"";
    }

    private static boolean matches(String regex, String text) {
        return Pattern.compile(regex).matcher(text).find();
    }

    /** Chromium's arguments for one run, each with a fresh profile folder. */
    private static List<String> chromium(Path profile, String... extra) {
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile, "--virtual-time-budget=4000"));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    /**
     * The page's DOM as Chromium drew it, once {@code until} holds of it: asked again
     * (at most 5 times) while the page's first answers are not in yet.
     */
    private static String dom(String path, Predicate<String> until, String what) throws Exception {
        String last = "";
        for (int attempt = 0; attempt < 5; attempt++) {
            Path profile = Files.createTempDirectory(cluster.base, "chromium-");
            NodeProcess.Result r = NodeProcess.run(chromium(profile, "--dump-dom", cluster.url(1, path).toString()),
                    Duration.ofSeconds(30));
            last = r.output();
            if (r.status() == 0 && until.test(last)) {
                return last;
            }
        }
        throw new AssertionError("the page never showed " + what + "; its last DOM:\n" + last);
    }

    private static String row(String dom, int node) {
        Matcher m = Pattern.compile("<tr id=\"node-" + node + "\"[^>]*>").matcher(dom);
        return m.find() ? m.group() : "";
    }

    @Test
    @Order(1)
    void thePageShowsTheThreeNodesAliveAndAnObjectOnEachOfThem() throws Exception {
        awaitJson("/cluster/api/nodes", body -> matches(node(1, "ALIVE"), body) && matches(node(2, "ALIVE"), body)
                && matches(node(3, "ALIVE"), body) && !body.contains("\"report\":null"),
                "three nodes alive with their reports");
        NODES[2].awaitOutput("(?m)^WORKED$", LIMIT);
        assertTrue(NODES[2].output().contains(String.valueOf(INCREMENTS)), NODES[2].output());
        // Asked once here, the object is watched: every node reports on it within a round or two.
        String object = "/cluster/api/object?set=" + SET + "&object=" + OBJECT;
        String json = awaitJson(object, body -> body.contains("\"pending\":false")
                && body.contains("\"state\":\"WRITE_OWNER\"") && body.contains("\"holders\":[2]"),
                "node 2 owning the counter");
        assertTrue(json.contains("\"homeState\":\"OWNED\",\"owner\":2"), "its home, node 1, knows node 2 owns it: " + json);
        // Node 2's cumulative grabs, as node 1 read them from the board, count the whole workload.
        awaitJson("/cluster/api/nodes", body -> grabs(body, 2) >= INCREMENTS, "node 2's " + INCREMENTS + " grabs");

        String dom = dom("/cluster?set=" + SET + "&object=" + OBJECT, d -> d.contains("data-alive=\"3\"")
                && d.contains("data-object=\"WRITE_OWNER\"") && row(d, 2).contains("data-grabs"),
                "three nodes alive and the object");
        for (int id = 1; id <= 3; id++) {
            assertTrue(row(dom, id).contains("data-state=\"ALIVE\""), "node " + id + ": " + row(dom, id));
        }
        assertTrue(dom.contains(">3 nodes: 3 alive<"), dom);
        Matcher grabs = Pattern.compile("data-grabs=\"(\\d+)\"").matcher(row(dom, 2));
        assertTrue(grabs.find() && Long.parseLong(grabs.group(1)) >= INCREMENTS, row(dom, 2));
        assertTrue(dom.contains("<td>0:7</td>") || dom.contains(">web.board<"), "the sets table is drawn");
    }

    private static long grabs(String nodesJson, int node) {
        Matcher m = Pattern.compile(node(node, "[A-Z]+") + "[^}]*\"report\":\\{[^}]*\"grabs\":(\\d+)").matcher(nodesJson);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    @Order(2)
    void aNodeKilledIsMarkedDeadOnThePage() throws Exception {
        NODES[3].kill();
        awaitJson("/cluster/api/nodes", body -> matches(node(3, "DEAD"), body), "node 3 dead");
        String dom = dom("/cluster?set=" + SET + "&object=" + OBJECT, d -> row(d, 3).contains("data-state=\"DEAD\""),
                "node 3 dead");
        assertTrue(row(dom, 1).contains("data-state=\"ALIVE\"") && row(dom, 2).contains("data-state=\"ALIVE\""),
                "nodes 1 and 2 alive: " + row(dom, 1) + row(dom, 2));
        assertTrue(dom.contains("data-dead=\"1\""), dom);

        // The picture the README shows.
        Path profile = Files.createTempDirectory(cluster.base, "chromium-");
        Path shot = cluster.base.resolve("cluster-page.png");
        NodeProcess.Result r = NodeProcess.run(chromium(profile, "--window-size=1280,900", "--screenshot=" + shot,
                cluster.url(1, "/cluster?set=" + SET + "&object=" + OBJECT).toString()), Duration.ofSeconds(30));
        assertEquals(0, r.status(), r.output());
        byte[] png = Files.readAllBytes(shot);
        assertTrue(png.length > 10_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG: " + png.length);
        Path docs = Files.createDirectories(NodeProcess.ROOT.resolve("docs"));
        Files.copy(shot, docs.resolve("cluster-page.png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
