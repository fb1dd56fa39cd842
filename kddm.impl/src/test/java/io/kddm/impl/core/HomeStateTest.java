package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import io.kddm.api.set.SetIds;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * The home side's rows of {@link StateTable}, one transition at a time (see
 * {@link ScriptedNodeTest}): node 1 is the home.
 */
class HomeStateTest extends ScriptedNodeTest {
    @Test
    @Covers({H1, H2, H9, H5})
    void homeWithNoOwnerSendsATouchThenForwardsToTheNewOwner() throws Exception {
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        assertEquals(1, net.expect(2, Kind.TOUCH, LOCAL).node(), "a touch for a grab");
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        net.expectNothing(); // one request at a time per object
        net.deliver(2, Kind.DONE, LOCAL, 2, 0, null);
        assertEquals(3, net.expect(2, Kind.FWD_GET, LOCAL).node());
    }

    @Test
    @Covers({F3})
    void homeFailsTheRequestWhenTheOwnerDies() throws Exception {
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        net.expect(2, Kind.TOUCH, LOCAL);
        net.deliver(2, Kind.DONE, LOCAL, 2, 0, null);
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        net.expect(2, Kind.FWD_GET, LOCAL);
        down.add(2);
        node.nodeDown(2);
        assertTrue(text(net.expect(3, Kind.LOST, LOCAL).bytes()).contains("node 2"));
    }

    @Test
    @Covers({H3, H8, H11})
    void writtenBackObjectIsTouchedAnewAtTheHome() throws Exception {
        diskBacked = true;
        store.put(LOCAL, bytes("on disk"));
        net.deliver(2, Kind.GET_REQ, LOCAL, 2, 0, null);
        assertEquals("on disk", copyText(net.expect(2, Kind.COPY, LOCAL)), "first touch made at the home");
        net.deliver(2, Kind.DONE, LOCAL, 0, 0, null);
        assertEquals(ObjectState.READ_OWNER, state(LOCAL));
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        net.expect(2, Kind.OWNERSHIP, LOCAL);
        net.deliver(2, Kind.DONE, LOCAL, 2, 0, null);
        // node 2 asks to write it back; the home lets it when no other request is in flight
        net.deliver(2, Kind.WRITEBACK_REQ, LOCAL, 2, 0, null);
        net.expect(2, Kind.FWD_WRITEBACK, LOCAL);
        net.deliver(2, Kind.WRITTEN_BACK, LOCAL, 2, StoreReplicas.VERSIONED,
                Wire.copy(bytes("written back"), new Version(0, 7)));
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        Message copy = net.expect(3, Kind.COPY, LOCAL);
        assertEquals("written back", copyText(copy));
        assertEquals(new Version(0, 7), versions.get(LOCAL), "stored at the version it was written back at (S16)");
        assertEquals(new Version(0, 7), Wire.version(copy.bytes(), copy.bytes().length - Version.BYTES),
                "and touched anew at that version");
    }

    @Test
    @Covers({B2, O25})
    void ownerOverBudgetWritesBackDiskBackedObjects() throws Exception {
        diskBacked = true;
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        net.deliver(2, Kind.OWNERSHIP, REMOTE, 0, 2, Wire.ownership(bytes("v1"), Version.NONE, new int[0]));
        Handle h = done(grab);
        h.value(bytes("v2"));
        h.close();
        net.expect(2, Kind.DONE, REMOTE);
        assertEquals(2, node.evict(set, set.objects.get(REMOTE)));
        net.expect(2, Kind.WRITEBACK_REQ, REMOTE);
        assertEquals(ObjectState.WRITE_OWNER, state(REMOTE), "nothing is dropped before the home's go-ahead");
        net.deliver(2, Kind.FWD_WRITEBACK, REMOTE, 2, 0, null);
        Message back = net.expect(2, Kind.WRITTEN_BACK, REMOTE);
        assertEquals(StoreReplicas.VERSIONED, back.count(), "flagged: its bytes end with the version");
        assertEquals("v2", copyText(back), "the home's store gets it");
        assertEquals(new Version(0, 1), Wire.version(back.bytes(), back.bytes().length - Version.BYTES),
                "with its version: the put's (S16)");
        assertEquals(ObjectState.INV_COPY, state(REMOTE));
    }

    @Test
    @Covers({O26})
    void writeBackGoAheadForAnObjectInUseAgainKeepsIt() throws Exception {
        diskBacked = true;
        owner(REMOTE, "v1");
        assertEquals(2, node.evict(set, set.objects.get(REMOTE)));
        net.expect(2, Kind.WRITEBACK_REQ, REMOTE);
        Handle reader = done(local(REMOTE, false));
        net.deliver(2, Kind.FWD_WRITEBACK, REMOTE, 2, 0, null);
        assertEquals(0, net.expect(2, Kind.DONE, REMOTE).node(), "kept: the owner stays");
        assertEquals(ObjectState.WRITE_OWNER, state(REMOTE));
        reader.close();
    }

    @Test
    void evictionNeverTouchesAHeldObject() throws Exception {
        owner(REMOTE, "v1");
        Handle h = done(local(REMOTE, false));
        assertEquals(0, node.evict(set, set.objects.get(REMOTE)));
        assertEquals(ObjectState.WRITE_OWNER, state(REMOTE));
        h.close();
        net.expectNothing();
    }


    @Test
    @Covers(H7)
    void aHandoffFromANodeThatNoLongerOwnsTheObjectIsAnsweredAndAWriteBackDropped() throws Exception {
        ownedBy(2);
        net.deliver(3, Kind.HANDOFF_REQ, LOCAL, 4, 0, null); // node 3 flushes (or leaves) what it no longer owns
        // a leaving node waits for this word; a grab took the object between its look and its request
        assertEquals(1, net.expect(3, Kind.HANDED_OFF, LOCAL).node(), "nothing to hand off: the home knows the owner");
        net.deliver(3, Kind.WRITEBACK_REQ, LOCAL, 3, 0, null);
        net.expectNothing();
        assertEquals(HomeState.OWNED, homeState(LOCAL));
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null); // and the home still serves the next request
        assertEquals(3, net.expect(2, Kind.FWD_GET, LOCAL).node());
        assertEquals(HomeState.FORWARDED, homeState(LOCAL));
    }

    @Test
    @Covers(H10)
    void aDoneWithNoRequestInFlightIsIgnored() throws Exception {
        ownedBy(2);
        net.deliver(3, Kind.DONE, LOCAL, 3, 0, null);
        net.expectNothing();
        assertEquals(HomeState.OWNED, homeState(LOCAL));
        net.deliver(3, Kind.GRAB_REQ, LOCAL, 3, 0, null);
        assertEquals(3, net.expect(2, Kind.FWD_GRAB, LOCAL).node(), "node 2 is still the owner");
    }

    @Test
    @Covers({H14, F2})
    void aLostObjectFailsEveryLaterRequestAndIsNeverMadeAnew() throws Exception {
        ownedBy(2);
        down.add(2);
        node.nodeDown(2);
        assertEquals(HomeState.LOST, homeState(LOCAL));
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        assertTrue(text(net.expect(3, Kind.LOST, LOCAL).bytes()).contains("lost with node 2"));
        net.deliver(4, Kind.GRAB_REQ, LOCAL, 4, 0, null);
        net.expect(4, Kind.LOST, LOCAL); // not a TOUCH
        assertEquals(HomeState.LOST, homeState(LOCAL));
    }

    @Test
    @Covers(H17)
    void aRequestForASetUnknownHereIsRefused() throws Exception {
        long unknown = SetIds.of(1, 12345);
        net.deliver(unknown, 2, Kind.GET_REQ, LOCAL, 2, 0, null);
        assertEquals("set 1:12345 is not open at its home, node 1",
                text(net.expect(2, Kind.UNKNOWN_SET, LOCAL).bytes()));
        net.deliver(unknown, 2, Kind.DONE, LOCAL, 2, 0, null); // a late message: dropped, the set not opened
        net.expectNothing();
        assertNull(node.set(unknown));
    }
}
