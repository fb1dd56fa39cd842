package io.kddm.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.testing.Configs;
import io.kddm.testing.LogLines;

/**
 * A change of the membership's configuration on running nodes (what SCR does
 * through {@code @Modified} when a {@code .cfg} changes): the timings apply
 * without stopping the component (its lease and view stay), the voters and the
 * lease are refused with an ERROR line and stay as they were.
 */
class LiveConfigTest {
    @TempDir
    Path dir;
    private LocalNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    /** The configuration of LocalNodes' fast timings, with {@code changes}. */
    private static MembershipConfig config(Map<String, Object> changes) {
        Map<String, Object> p = new HashMap<>(Map.of("voters", "1,2,3", "peers", "127.0.0.1:1",
                "heartbeat.interval.ms", "100", "suspect.after.ms", "400", "dead.after.ms", "1200", "lease.ms", "800"));
        p.putAll(changes);
        return Configs.of(MembershipConfig.class, p);
    }

    private LocalNodes fourNodes() throws Exception {
        nodes = new LocalNodes(dir, 1, 2, 3);
        for (int id = 1; id <= 4; id++) {
            nodes.start(id);
        }
        nodes.await(() -> "all four agree on a view of 1-4", () -> nodes.agree(1, 2, 3, 4));
        return nodes;
    }

    @Test
    void timingsApplyLiveAndTheFailureDetectorUsesThem() throws Exception {
        fourNodes();
        RaftMembership one = nodes.node(1).membership();
        try (LogLines log = new LogLines(SettingsChange.class)) {
            // dead.after 10 minutes on every voter: whoever leads does not take a silent node out.
            for (int id = 1; id <= 3; id++) {
                nodes.node(id).membership().modified(config(Map.of("suspect.after.ms", "500000",
                        "dead.after.ms", "600000", "heartbeat.interval.ms", "50")));
            }
            assertEquals(Duration.ofMillis(600_000), one.settings().deadAfter());
            assertEquals(Duration.ofMillis(50), one.settings().heartbeat());
            assertEquals(List.of("INFO io.kddm.membership: heartbeat.interval.ms changed from 100 ms to 50 ms, live",
                    "INFO io.kddm.membership: suspect.after.ms changed from 400 ms to 500000 ms, live",
                    "INFO io.kddm.membership: dead.after.ms changed from 1200 ms to 600000 ms, live"),
                    log.lines().subList(0, 3));
            long epoch = one.view().epoch();
            nodes.stop(4, false); // a crash: silent from now on
            // The old dead.after (1.2 s) plus the lease (0.8 s) would have taken node 4 out by now.
            Thread.sleep(4_000);
            assertEquals(epoch, one.view().epoch(), "node 4 stays in the view while dead.after is 10 minutes");
            assertTrue(one.hasLease(), "node 1 kept its lease across the change");
            for (int id = 1; id <= 3; id++) {
                nodes.node(id).membership().modified(config(Map.of()));
            }
            assertEquals(Duration.ofMillis(1200), one.settings().deadAfter());
            nodes.await(() -> "node 4 taken out once dead.after is 1.2 s again", () -> nodes.agree(1, 2, 3));
            assertSame(one, nodes.node(1).membership(), "the same membership, never restarted");
            assertTrue(log.with("ERROR").isEmpty(), log.lines().toString());
        }
    }

    @Test
    void votersLeaseAndInconsistentTimingsAreRefusedAndStayAsTheyWere() throws Exception {
        fourNodes();
        RaftMembership two = nodes.node(2).membership();
        MembershipSettings before = two.settings();
        try (LogLines log = new LogLines(SettingsChange.class)) {
            two.modified(config(Map.of("voters", "1,2")));
            two.modified(config(Map.of("lease.ms", "5000")));
            two.modified(config(Map.of("suspect.after.ms", "50"))); // below the heartbeat
            two.modified(config(Map.of("voters", "1,x")));
            assertSame(before, two.settings(), "nothing applied");
            List<String> errors = log.with("ERROR");
            assertEquals(4, errors.size(), log.lines().toString());
            assertTrue(errors.get(0).contains("voters changed from [1, 2, 3] to [1, 2]: refused live"), errors.get(0));
            assertTrue(errors.get(1).contains("lease.ms changed from 800 to 5000: refused live"), errors.get(1));
            assertTrue(errors.get(2).contains("refused, need heartbeat.interval.ms < suspect.after.ms"), errors.get(2));
            assertTrue(errors.get(3).contains("'x' is not a node id: refused"), errors.get(3));
            assertFalse(log.lines().stream().anyMatch(l -> l.startsWith("INFO")), log.lines().toString());
        }
        nodes.start(5);
        nodes.await(() -> "node 5 joins: the views go on as before", () -> nodes.agree(1, 2, 3, 4, 5));
        assertSame(two, nodes.node(2).membership());
    }
}
