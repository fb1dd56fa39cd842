package io.kddm.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.api.membership.NodeState;
import io.kddm.api.membership.View;
import io.kddm.api.membership.ViewListener;

/**
 * Agreed views on nodes in one JVM over real TCP, voters 1, 2 and 3 and a
 * fourth node that does not vote, with a fault hook for cuts (the multi-JVM
 * tests pause, kill and cut real processes): every node installs the same views
 * in the same order, a silent node is taken out and a cut-off one loses its
 * lease before the others act, an excluded node rejoins by itself as a new
 * incarnation, an orderly leave is a view change, and a minority fails.
 */
class RaftMembershipTest {
    @TempDir
    Path dir;
    private LocalNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private LocalNodes fourNodes() throws Exception {
        nodes = new LocalNodes(dir, 1, 2, 3);
        for (int id = 1; id <= 4; id++) {
            nodes.start(id);
        }
        nodes.await(() -> "all four agree on a view of 1-4", () -> nodes.agree(1, 2, 3, 4));
        return nodes;
    }

    /** Records every view one node installs, and whether it was told it was excluded. */
    private static final class Recorder implements ViewListener {
        final List<View> views = new CopyOnWriteArrayList<>();
        final List<View> excluded = new CopyOnWriteArrayList<>();

        @Override
        public void installed(View previous, View current) {
            views.add(current);
        }

        @Override
        public void excluded(View current) {
            excluded.add(current);
        }
    }

    @Test
    void everyNodeJoinsAndAllInstallTheSameViewsInOrder() throws Exception {
        fourNodes();
        Recorder[] rec = new Recorder[5];
        for (int id = 1; id <= 4; id++) {
            rec[id] = new Recorder();
            nodes.node(id).membership().addViewListener(rec[id]);
        }
        nodes.start(5);
        nodes.await(() -> "node 5 in everyone's view", () -> nodes.agree(1, 2, 3, 4, 5));
        for (int id = 1; id <= 4; id++) {
            List<View> seen = rec[id].views;
            assertEquals(seen.get(seen.size() - 1), nodes.node(1).membership().view(), "node " + id);
            for (int i = 1; i < seen.size(); i++) {
                assertTrue(seen.get(i).epoch() > seen.get(i - 1).epoch(), "epochs grow on node " + id + ": " + seen);
            }
        }
        View v = nodes.node(5).membership().view();
        assertEquals(v.epoch(), v.member(5).orElseThrow().joined(), "node 5 joined in the latest view");
        nodes.await(() -> "node 5 ALIVE for node 1", // the node states follow the view on the membership thread
                () -> nodes.node(1).membership().node(5).map(n -> n.state() == NodeState.ALIVE).orElse(false));
    }

    @Test
    void aNodeThatLeavesInOrderIsLeftNotDead() throws Exception {
        fourNodes();
        nodes.stop(4, true);
        nodes.await(() -> "the others agree on 1-3", () -> nodes.agree(1, 2, 3));
        nodes.await(() -> "node 4 LEFT for node 1", // the node states follow the view on the membership thread
                () -> nodes.node(1).membership().node(4).orElseThrow().state() == NodeState.LEFT);
    }

    @Test
    void aCrashedNodeIsTakenOutAndTheOthersActOnlyOnceItsLeaseHasRunOut() throws Exception {
        fourNodes();
        Recorder rec = new Recorder();
        nodes.node(1).membership().addViewListener(rec);
        long crashed = System.nanoTime();
        nodes.stop(4, false);
        nodes.await(() -> "the others agree on 1-3", () -> nodes.agree(1, 2, 3));
        long installed = System.nanoTime() - crashed;
        // The view is published first, the node states right after, on the membership thread.
        nodes.await(() -> "node 4 DEAD for node 1",
                () -> nodes.node(1).membership().node(4).orElseThrow().state() == NodeState.DEAD);
        MembershipSettings s = LocalNodes.FAST_TIMINGS;
        // The voters wait dead.after of silence, then the lease bound after they applied the exclusion.
        assertTrue(installed > s.deadAfter().plus(s.lease()).toNanos(), "installed after " + installed / 1_000_000
                + " ms: the survivors must not act before the dead node's lease has surely run out");
        System.out.println("crash to the view without node 4 installed: " + installed / 1_000_000 + " ms");
    }

    @Test
    void aCutOffNodeLosesItsLeaseFirstThenRejoinsByItselfAsANewIncarnation() throws Exception {
        fourNodes();
        Recorder rec = new Recorder();
        var four = nodes.node(4);
        four.membership().addViewListener(rec);
        long before = four.membership().view().member(4).orElseThrow().incarnation();
        long cut = System.nanoTime();
        four.transport().cut(1, 2, 3);
        for (int id = 1; id <= 3; id++) {
            nodes.node(id).transport().cut(4);
        }
        nodes.await(() -> "node 4 lost its lease", () -> !four.membership().hasLease());
        long lost = System.nanoTime() - cut;
        nodes.await(() -> "nodes 1-3 installed a view without node 4",
                () -> !nodes.node(1).membership().view().contains(4) && !nodes.node(2).membership().view().contains(4)
                        && !nodes.node(3).membership().view().contains(4));
        long out = System.nanoTime() - cut;
        assertTrue(lost < out, "node 4 lost its lease (" + lost / 1_000_000 + " ms) before the others acted ("
                + out / 1_000_000 + " ms)");
        assertTrue(rec.excluded.isEmpty(), "node 4 cannot know yet: it hears nothing");
        for (int id = 1; id <= 4; id++) {
            nodes.node(id).transport().heal();
        }
        long healed = System.nanoTime();
        nodes.await(() -> "all four agree again", () -> nodes.agree(1, 2, 3, 4));
        System.out.println("cut: lease lost after " + lost / 1_000_000 + " ms, taken out after " + out / 1_000_000
                + " ms; healed: all agree again after " + (System.nanoTime() - healed) / 1_000_000 + " ms");
        assertEquals(1, rec.excluded.size(), "node 4 was told it had been taken out, once");
        long after = four.membership().view().member(4).orElseThrow().incarnation();
        assertNotEquals(before, after, "it came back as a new incarnation");
    }

    @Test
    void theVotersLeaderCutOffIsReplacedAndTheRestKeepTheirLeases() throws Exception {
        fourNodes();
        int leader = 0;
        for (int id = 1; id <= 3; id++) {
            if (nodes.node(id).membership().leads()) {
                leader = id;
            }
        }
        assertTrue(leader != 0, "a leader was elected");
        int l = leader;
        nodes.node(l).transport().cut(1, 2, 3, 4);
        for (var n : nodes.running()) {
            if (n.id() != l) {
                n.transport().cut(l);
            }
        }
        Integer[] rest = nodes.running().stream().map(LocalNodes.Node::id).filter(id -> id != l)
                .toArray(Integer[]::new);
        nodes.await(() -> "the old leader lost its lease", () -> !nodes.node(l).membership().hasLease());
        nodes.await(() -> "the others take the old leader out and agree", () -> {
            for (int id : rest) {
                var m = nodes.node(id).membership();
                if (m.view().contains(l) || !m.hasLease() || !m.view().members().keySet().containsAll(List.of(rest))) {
                    return false;
                }
            }
            return true;
        });
        for (var n : nodes.running()) {
            n.transport().heal();
        }
        nodes.await(() -> "all four agree again", () -> nodes.agree(1, 2, 3, 4));
    }

    @Test
    void aMinorityHasNoLease() throws Exception {
        fourNodes();
        // Voters 2 and 3 cut off from everybody: voter 1 and node 4 are no majority of the voters.
        for (int id : new int[] {2, 3}) {
            nodes.node(id).transport().cut(1, 2, 3, 4);
        }
        for (int id : new int[] {1, 4}) {
            nodes.node(id).transport().cut(2, 3);
        }
        nodes.await(() -> "nobody holds a lease", () -> nodes.running().stream()
                .noneMatch(n -> n.membership().hasLease()));
        for (var n : nodes.running()) {
            n.transport().heal();
        }
        nodes.await(() -> "all four agree again", () -> nodes.agree(1, 2, 3, 4));
    }

    @Test
    void aVoterThatRestartsKeepsItsRaftStateAndTheViewsGoOn() throws Exception {
        fourNodes();
        long epoch = nodes.node(1).membership().view().epoch();
        nodes.stop(3, true);
        nodes.await(() -> "1, 2, 4 agree", () -> nodes.agree(1, 2, 4));
        nodes.start(3);
        nodes.await(() -> "all four agree again", () -> nodes.agree(1, 2, 3, 4));
        assertTrue(nodes.node(3).membership().view().epoch() > epoch);
        assertFalse(dir.resolve("raft-3.state").toFile().length() == 0, "voter 3's Raft state is on disk");
        // Voter 1 crashes: taking it out needs voters 2 and 3, and a voter that had lost its state
        // would no longer count toward a majority.
        nodes.stop(1, false);
        nodes.await(() -> "2, 3, 4 agree without 1, by voters 2 and 3", () -> nodes.agree(2, 3, 4));
    }

    /**
     * Every voter but the leader crashes and comes back, then the leader
     * crashes: the two others still elect one of them. A voter that restarts
     * starts a pre-vote before it hears of the leader, then hears of it in the
     * same term; MicroRaft 0.7 keeps that pre-vote's state, and its own check
     * of the leader's heartbeats never suspects that leader again. Before the
     * {@link Voter}'s own check, nobody stood for election: the view stayed
     * with the dead leader for good (NemesisIT, a leader killed after two
     * restarts).
     */
    @Test
    void aLeaderThatCrashesAfterEveryOtherVoterRestartedIsReplaced() throws Exception {
        fourNodes();
        // Every other voter restarted under one leader: an election meanwhile (it happens, the CI saw one)
        // would clear their state, so the round of restarts is made again until none came (3 tries).
        int l = 0;
        for (int attempt = 1; attempt <= 3 && l == 0; attempt++) {
            int leader = leader();
            for (int f = 1; f <= 3; f++) {
                if (f != leader) {
                    nodes.stop(f, false);
                    nodes.start(f);
                    nodes.await(() -> "all four agree again", () -> nodes.agree(1, 2, 3, 4));
                }
            }
            l = leader != 0 && leader() == leader ? leader : 0;
        }
        assertTrue(l != 0, "in 3 rounds of restarts, the leader changed in each");
        int dead = l;
        nodes.stop(dead, false);
        Integer[] rest = nodes.running().stream().map(LocalNodes.Node::id).toArray(Integer[]::new);
        nodes.await(() -> "the others elect a new leader and take " + dead + " out", () -> nodes.agree(rest));
        assertNotEquals(dead, leader());
    }

    /**
     * A voter that crashes and comes back at once restores views from its Raft
     * state that hold its old incarnation (and the others may still have it).
     * None of those is installed: the core above would take it for its own
     * membership and carry on from what the old incarnation held (NemesisIT: a
     * home restarted that way kept no records and made an object anew).
     */
    @Test
    void aRestartedVoterInstallsNoViewOfItsOldIncarnation() throws Exception {
        fourNodes();
        nodes.stop(3, false);
        var three = nodes.start(3);
        long incarnation = three.membership().node(3).orElseThrow().incarnation();
        Recorder r = new Recorder();
        three.membership().addViewListener(r);
        nodes.await(() -> "all four agree again", () -> nodes.agree(1, 2, 3, 4));
        assertFalse(r.views.isEmpty());
        for (View v : r.views) {
            assertTrue(!v.members().containsKey(3) || v.contains(3, incarnation), "node 3 (incarnation "
                    + incarnation + ") installed " + v + ", which has an earlier incarnation of it");
        }
    }

    /** The voter that leads now, or 0. */
    private int leader() {
        for (var n : nodes.running()) {
            if (n.membership().leads()) {
                return n.id();
            }
        }
        return 0;
    }
}
