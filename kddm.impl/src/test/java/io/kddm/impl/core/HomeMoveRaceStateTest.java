package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.membership.View;
import io.kddm.impl.core.Wire.Kind;

/**
 * What NemesisIT found when a home was cut off and came back within a second
 * (seed 6073077609496950254, round 31), node 1 scripted: the node acting for
 * the home meanwhile also owned the object, so its forward to itself was still
 * on its loopback when the home came back; it then handed the object over
 * behind the back of the new home, whose records, rebuilt from this node's
 * claim, said it still owned it. The home forwarded the next grab of that node
 * to itself, the node answered NOT_OWNER, and the recovery dropped its request:
 * the object was served to nobody again. Keeping that request, the first fix
 * kept a dead incarnation's too when its node was back (round 34, a pause).
 */
class HomeMoveRaceStateTest extends ScriptedNodeTest {
    /** Homed on node 3: node 1 acts for it while node 3 is out of the view. */
    private static final long ON_THREE = (3L << 24) | 5;

    @BeforeEach
    void oneBackup() {
        backups = 1;
    }

    @Test
    @Covers({R15})
    void aForwardThisNodeSentItselfAsActingHomeIsDroppedOnceTheHomeCameBack() throws Exception {
        View one = inViewOne();
        CompletableFuture<Handle> grab = local(ON_THREE, true);
        net.expect(3, Kind.GRAB_REQ, ON_THREE);
        net.deliverAt(1, SET, 3, Kind.OWNERSHIP, ON_THREE, 0, 2, Wire.ownership(bytes("v1"), new Version(1, 1),
                new int[0]));
        answerRebuilds();
        done(grab).close();
        answerRebuilds();
        assertTrue(owns(ON_THREE), "node 1 owns the object");
        // Node 3 cut off: node 1, the next member after it, acts for its objects, and rebuilds their records.
        down.add(3);
        View two = view(2, 1, 2);
        node.viewInstalled(one, two);
        node.nodeDown(3);
        answerRebuilds();
        // Node 3 back as a new incarnation, within a second: it acts for them again.
        down.remove(3);
        node.viewInstalled(two, withNewIncarnation(one, 3, 3));
        answerRebuilds();
        // Node 2's grab, served by node 1 as acting home in view 2: the forward to itself comes now.
        net.deliverAt(2, SET, 1, Kind.FWD_GRAB, ON_THREE, 2, 0, null);
        net.expectNothing();
        assertTrue(owns(ON_THREE), "node 1 still owns the object, as node 3's rebuilt records say");
    }

    @Test
    @Covers({R5, H13})
    void aRequestOfTheNodeThatAnsweredNotOwnerIsServedOnceTheClaimsSayWhoOwns() throws Exception {
        inViewOne();
        ownedBy(2);
        // The home's record is wrong: node 2 asks for the object the home thinks it owns.
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        assertEquals(2, net.expect(2, Kind.FWD_GRAB, LOCAL).node());
        net.deliver(2, Kind.NOT_OWNER, LOCAL, 2, 0, null);
        Map<Integer, ScriptedNodeTest.Script.Sent> asked = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            ScriptedNodeTest.Script.Sent claim = net.sent.poll(5, TimeUnit.SECONDS);
            assertTrue(claim != null && claim.message().kind() == Kind.CLAIM, "every member is asked: " + claim);
            asked.put(claim.to(), claim);
        }
        assertEquals(java.util.Set.of(2, 3), asked.keySet());
        asked.get(2).reply().complete(Wire.EMPTY);
        asked.get(3).reply().complete(FailoverStateTest.claim(OwnerFailover.OWNER, new Version(1, 9), ""));
        // Node 3 owns it: node 2's grab, kept through the recovery, goes there.
        assertEquals(2, net.expect(3, Kind.FWD_GRAB, LOCAL).node(), "node 2's grab is served, not dropped");
        assertEquals(3, set.managed.get(LOCAL).owner);
    }

    @Test
    @Covers({R5})
    void aRequestOfADeadIncarnationIsDroppedEvenWithItsNodeBackAsANewOne() throws Exception {
        View one = inViewOne();
        ownedBy(2);
        net.deliver(3, Kind.GRAB_REQ, LOCAL, 3, 0, null);
        assertEquals(3, net.expect(2, Kind.FWD_GRAB, LOCAL).node());
        // Node 3 paused past the bound and came back: its old incarnation's grab will never be answered by it.
        node.viewInstalled(one, withNewIncarnation(one, 3, 2));
        Map<Integer, ScriptedNodeTest.Script.Sent> asked = new HashMap<>();
        for (ScriptedNodeTest.Script.Sent s; (s = net.sent.poll(500, TimeUnit.MILLISECONDS)) != null;) {
            assertEquals(Kind.CLAIM, s.message().kind(), "only the survivors' claims are asked: " + s);
            asked.put(s.to(), s);
        }
        assertEquals(java.util.Set.of(2, 3), asked.keySet());
        asked.get(2).reply().complete(FailoverStateTest.claim(OwnerFailover.OWNER, new Version(1, 4), ""));
        asked.get(3).reply().complete(Wire.EMPTY);
        net.expectNothing(); // the old incarnation's grab is not forwarded again
        // The new incarnation's grab is served: the home does not wait for a DONE nobody will send (NemesisIT).
        net.deliverAt(2, SET, 3, Kind.GRAB_REQ, LOCAL, 3, 0, null);
        assertEquals(3, net.expect(2, Kind.FWD_GRAB, LOCAL).node());
    }

    private boolean owns(long id) {
        ObjectEntry e = set.objects.get(id);
        synchronized (e) {
            return e.state.owner() && e.incoming == null;
        }
    }

    /** View {@code epoch}: the members of {@code base}, {@code n} back as a new incarnation that joined in it. */
    private static View withNewIncarnation(View base, int n, long epoch) {
        java.util.SortedMap<Integer, View.Member> m = new java.util.TreeMap<>(base.members());
        m.put(n, new View.Member(n, 2, epoch));
        return new View(epoch, m);
    }
}
