package io.kddm.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.SetIds;

/**
 * The page's model on three in-process nodes: what one node's page shows of
 * every node goes through the board set only, and is checked exactly.
 */
class ClusterModelTest {
    private WebCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return (List<Map<String, Object>>) o;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private static Map<String, Object> byId(List<Map<String, Object>> rows, int id) {
        return rows.stream().filter(r -> ((Double) r.get("id")).intValue() == id).findFirst()
                .orElseThrow(() -> new AssertionError("no row for node " + id + " in " + rows));
    }

    @Test
    void everyNodeSeesEveryNodeAndItsReportThroughTheBoard() {
        cluster = new WebCluster(3, 1);
        cluster.rounds(1, 2, 3);
        cluster.rounds(1, 2, 3);
        for (int page = 1; page <= 3; page++) {
            Map<String, Object> doc = JsonText.object(cluster.model(page).nodes());
            assertEquals(page, ((Double) doc.get("node")).intValue());
            assertEquals(List.of(1.0, 2.0, 3.0), doc.get("view"));
            assertEquals(true, doc.get("lease"));
            List<Map<String, Object>> nodes = list(doc.get("nodes"));
            assertEquals(3, nodes.size());
            for (int n = 1; n <= 3; n++) {
                Map<String, Object> row = byId(nodes, n);
                assertEquals("ALIVE", row.get("state"));
                assertEquals(true, row.get("inView"));
                assertEquals(n == page, row.get("local"));
                Map<String, Object> report = map(row.get("report"));
                assertNotNull(report, "node " + page + " read node " + n + "'s report");
                // Node n published round 2; a node reading before n's second round still has round 1.
                double expected = n < page || n == page ? 2 : 1;
                assertEquals(expected, report.get("round"), "node " + n + " seen from " + page);
                assertNull(row.get("boardError"));
            }
        }
    }

    @Test
    void theActivityOfARoundIsExactAndLeavesTheBoardOut() throws Exception {
        cluster = new WebCluster(3, 2);
        KddmSet set = cluster.kddm(2).create(WebCluster.FAMILY);
        cluster.rounds(1, 2, 3);
        cluster.rounds(1, 2, 3);
        // Two threads of node 2 and one of node 3 at once on the same objects.
        CompletableFuture<Void> a = CompletableFuture.runAsync(() -> work(set, 40, 0));
        CompletableFuture<Void> b = CompletableFuture.runAsync(() -> work(set, 30, 25));
        KddmSet on3 = cluster.kddm(3).lookup(set.id());
        work(on3, 7, 3);
        a.get(30, TimeUnit.SECONDS);
        b.get(30, TimeUnit.SECONDS);
        cluster.rounds(2, 3, 1);
        Map<Integer, NodeReport> seen = cluster.model(1).reports();
        assertEquals(40 + 30 + 25, seen.get(2).operations(), "node 2's gets and grabs, none of the board's");
        assertEquals(7 + 3, seen.get(3).operations());
        assertEquals(0, seen.get(1).operations(), "node 1 only ran the board");
        assertEquals(1.0, seen.get(2).seconds());
        assertTrue(seen.get(2).grabP50() > 0 && seen.get(2).grabP50() <= seen.get(2).grabP99());
        cluster.rounds(1, 2, 3);
        cluster.rounds(1, 2, 3);
        assertEquals(0, cluster.model(1).reports().get(2).operations(), "an idle round counts nothing");

        Map<String, Object> stats = JsonText.object(cluster.model(1).stats());
        Map<String, Object> series = map(stats.get("series"));
        assertEquals(List.of("1", "2", "3"), List.copyOf(series.keySet()));
        @SuppressWarnings("unchecked")
        List<List<Double>> two = (List<List<Double>>) series.get("2");
        // Node 2's rounds as node 1 read them: 1 (which measures nothing: not charted), 3 and 4 (2 and 5
        // were overwritten before node 1's rounds read them), in operations a second.
        assertEquals(List.of(95.0, 0.0), two.stream().map(p -> p.get(1)).toList());
    }

    private static void work(KddmSet set, int grabs, int gets) {
        for (int i = 0; i < grabs; i++) {
            try (ObjectHandle h = set.grab(i % 5)) {
                h.value(new byte[] {(byte) i});
            }
        }
        for (int i = 0; i < gets; i++) {
            try (ObjectHandle h = set.get(i % 5)) {
                h.value();
            }
        }
    }

    @Test
    void anObjectIsShownOnEveryNodeWithItsHolders() throws Exception {
        cluster = new WebCluster(3, 3);
        KddmSet a = cluster.kddm(1).create(WebCluster.FAMILY);
        KddmSet c = cluster.kddm(3).lookup(a.id());
        cluster.kddm(2).lookup(a.id());
        long object = 4; // round robin over [1 2 3]: homed on node 2
        try (ObjectHandle h = a.grab(object)) {
            h.value(new byte[] {9, 9});
        }
        try (ObjectHandle h = c.get(object)) {
            h.value();
        }
        ObjectRef ref = new ObjectRef(a.id(), object);
        Map<String, Object> first = JsonText.object(cluster.model(2).object(ref));
        assertEquals(true, first.get("pending"), "nobody reported on it yet");
        cluster.rounds(2, 1, 3, 2); // 2 publishes what it watches; 1 and 3 report on it; 2 reads them
        Map<String, Object> doc = JsonText.object(cluster.model(2).object(ref));
        assertEquals(false, doc.get("pending"));
        assertEquals(SetIds.format(a.id()), doc.get("set"));
        List<Map<String, Object>> nodes = list(doc.get("nodes"));
        Map<String, Object> one = map(byId(nodes, 1).get("row"));
        Map<String, Object> two = map(byId(nodes, 2).get("row"));
        Map<String, Object> three = map(byId(nodes, 3).get("row"));
        assertEquals("READ_OWNER", one.get("state"));
        assertEquals(List.of(3.0), one.get("copyset"));
        assertEquals(2.0, one.get("bytes"));
        assertEquals("INV_COPY", two.get("state"));
        assertEquals(2.0, two.get("home"));
        assertEquals(1.0, two.get("owner"), "node 2 homes it and knows node 1 owns it");
        assertEquals("OWNED", two.get("homeState"));
        assertEquals("READ_COPY", three.get("state"));
        assertEquals(null, one.get("homeState"));
        // Holders are asked off the round's thread: a few rounds at most.
        List<?> holders = null;
        for (int i = 0; i < 200 && holders == null; i++) {
            cluster.rounds(2);
            holders = (List<?>) JsonText.object(cluster.model(2).object(ref)).get("holders");
            Thread.sleep(10);
        }
        assertEquals(List.of(1.0, 3.0), holders, "the owner first, then the read copy");

        // Node 3 grabs it: the next rounds show it moved.
        try (ObjectHandle h = c.grab(object)) {
            h.value(new byte[] {1});
        }
        cluster.rounds(1, 3, 2);
        nodes = list(JsonText.object(cluster.model(2).object(ref)).get("nodes"));
        assertEquals("INV_COPY", map(byId(nodes, 1).get("row")).get("state"));
        assertEquals("WRITE_OWNER", map(byId(nodes, 3).get("row")).get("state"));
        assertEquals(3.0, map(byId(nodes, 2).get("row")).get("owner"));
    }

    @Test
    void badQuestionsGetErrnoNamesAndLoseNothing() {
        cluster = new WebCluster(3, 4);
        KddmSet a = cluster.kddm(1).create(WebCluster.FAMILY);
        try (ObjectHandle h = a.grab(1)) {
            h.value(new byte[] {7});
        }
        Api api = new Api(cluster.model(1), () -> "{\"available\":false}");
        Map<String, String> q = new HashMap<>();
        q.put("set", "x:y");
        q.put("object", "1");
        assertError(api.get("/object", q::get), 400, "EINVAL");
        q.put("set", SetIds.format(a.id()));
        q.put("object", "-1");
        assertError(api.get("/object", q::get), 400, "EINVAL");
        q.put("object", "4294967296");
        assertError(api.get("/object", q::get), 400, "EINVAL");
        q.put("object", "seven");
        assertError(api.get("/object", q::get), 400, "EINVAL");
        q.remove("object");
        assertError(api.get("/object", q::get), 400, "EINVAL");
        assertError(api.get("/nothing", q::get), 404, "ENOENT");
        assertError(api.get(null, q::get), 404, "ENOENT");

        q.put("set", "9:99");
        q.put("object", "1");
        assertEquals(200, api.get("/object", q::get).status(), "not known yet: pending");
        cluster.rounds(1, 2, 3, 1);
        assertError(api.get("/object", q::get), 404, "ENOENT");

        q.put("set", SetIds.format(a.id()));
        assertEquals(200, api.get("/object", q::get).status());
        assertEquals(200, api.get("/kdfs", q::get).status());
        assertEquals(200, api.get("/nodes", q::get).status());
        assertEquals(200, api.get("/stats", q::get).status());
        Map<String, Object> sets = JsonText.object(api.get("/sets", q::get).body());
        Map<String, Object> listed = list(sets.get("sets")).stream()
                .filter(s -> s.get("id").equals(SetIds.format(a.id()))).findFirst().orElseThrow();
        assertEquals("test", listed.get("family"));
        assertEquals("test-memory", listed.get("ioLinker"));
        assertEquals(List.of(1.0, 2.0, 3.0), listed.get("homes"));
        assertEquals(true, listed.get("registered"));
        Map<String, Object> board = list(sets.get("families")).stream()
                .filter(f -> f.get("name").equals(BoardFamily.NAME)).findFirst().orElseThrow();
        assertEquals("NODE_BITS", board.get("home"));
        assertEquals(SetIds.format(Board.SET) + ".." + SetIds.format(Board.SET), board.get("wellKnown"));
        try (ObjectHandle h = a.get(1)) {
            assertEquals(7, h.value()[0], "asking lost nothing");
        }
    }

    private static void assertError(Api.Reply reply, int status, String errno) {
        assertEquals(status, reply.status(), reply.body());
        String error = (String) JsonText.object(reply.body()).get("error");
        assertTrue(error.startsWith(errno + ": "), error);
    }

    @Test
    void aCrashedNodeIsShownDeadAndTheOthersGoOn() {
        cluster = new WebCluster(3, 5);
        cluster.rounds(1, 2, 3);
        cluster.rounds(1, 2, 3);
        cluster.network.crash(3);
        cluster.rounds(1, 2);
        cluster.rounds(1, 2);
        Map<String, Object> doc = JsonText.object(cluster.model(1).nodes());
        assertEquals(List.of(1.0, 2.0), doc.get("view"));
        List<Map<String, Object>> nodes = list(doc.get("nodes"));
        assertEquals("DEAD", byId(nodes, 3).get("state"));
        assertNull(byId(nodes, 3).get("boardError"), "not read any more, so no error");
        assertEquals(false, byId(nodes, 3).get("inView"));
        // Node 1 runs its rounds before the others: it read node 3's first round, and node 2's third.
        assertEquals(1.0, map(byId(nodes, 3).get("report")).get("round"), "its last report, kept");
        assertEquals(3.0, map(byId(nodes, 2).get("report")).get("round"), "node 2 goes on");
        assertEquals(3000.0, map(byId(nodes, 3).get("report")).get("ageMs"), "made three rounds ago");
    }

    @Test
    void reportsReadBackAsWritten() {
        ObjectRef ref = new ObjectRef(SetIds.of(3, 77), 4_000_000_000L);
        NodeReport r = new NodeReport(7, 12, 1_700_000_000_123L, 1.5, 95, 1_000, 9_000, 2_000, 20_000, 100, 50, 1,
                4096, List.of(new NodeReport.ObjectRow(ref, true, new io.kddm.api.set.ObjectStatus(ref.objectId(),
                        "READ_OWNER", 3, "2.5", List.of(3, 200), 1, 0, 2, 255, "OWNED", 7)),
                        new NodeReport.ObjectRow(new ObjectRef(SetIds.of(1, 1), 0), false, null)));
        assertEquals(r, NodeReport.decode(r.encode()));
        assertNull(NodeReport.decode(new byte[0]));
        byte[] cut = java.util.Arrays.copyOf(r.encode(), 30);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> NodeReport.decode(cut));
        byte[] other = r.encode();
        other[0] = 9;
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> NodeReport.decode(other));
    }
}
