package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.kddm.api.set.ObjectLostException;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * The object side's rows of {@link StateTable}, one transition at a time (see
 * {@link ScriptedNodeTest}).
 */
class ObjectStateTest extends ScriptedNodeTest {
    // ---- requester side --------------------------------------------------------

    @Test
    @Covers({O1, O4, O10})
    void invalidGetAsksTheHomeAndACopyGrantsIt() throws Exception {
        CompletableFuture<Handle> get = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        assertFalse(get.isDone());
        net.deliver(3, Kind.COPY, REMOTE, 3, 0, copyOf("v1"));
        Handle h = done(get);
        assertEquals("v1", text(h.value()));
        assertEquals(ObjectState.READ_COPY, state(REMOTE));
        net.expect(2, Kind.DONE, REMOTE); // node 0: the owner is unchanged
        h.close();
        assertEquals(ObjectState.READ_COPY, state(REMOTE), "a released read copy stays cached");
        try (Handle again = done(local(REMOTE, false))) {
            assertEquals("v1", text(again.value()));
        }
        net.expectNothing();
    }

    @Test
    @Covers({O2, O3})
    void touchMakesTheObjectHereAndMakesThisNodeItsOwner() throws Exception {
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        net.deliver(2, Kind.TOUCH, REMOTE, 1, 0, null);
        try (Handle h = done(grab)) {
            assertEquals("new@1", text(h.value()));
        }
        Message m = net.expect(2, Kind.DONE, REMOTE);
        assertEquals(1, m.node(), "the home learns the new owner");
        assertEquals(ObjectState.WRITE_OWNER, state(REMOTE));
    }

    @Test
    @Covers({O5, O7})
    void ownershipWaitsForEveryListedAck() throws Exception {
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        net.deliver(3, Kind.OWNERSHIP, REMOTE, 0, 2, Wire.ownership(bytes("v7"), Version.NONE, new int[] {2}));
        net.expectNothing();
        assertFalse(grab.isDone(), "node 2 still has a copy");
        net.deliver(2, Kind.INV_ACK, REMOTE, 2, 0, null);
        try (Handle h = done(grab)) {
            assertEquals("v7", text(h.value()));
        }
        assertEquals(1, net.expect(2, Kind.DONE, REMOTE).node());
        assertEquals(ObjectState.WRITE_OWNER, state(REMOTE));
    }

    @Test
    @Covers({O6})
    void anAckThatOvertakesTheObjectIsKeptForIt() throws Exception {
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        // node 2 got its INV from the old owner and acked before the OWNERSHIP reached us
        net.deliver(2, Kind.INV_ACK, REMOTE, 2, 0, null);
        assertFalse(grab.isDone());
        net.deliver(3, Kind.OWNERSHIP, REMOTE, 0, 2, Wire.ownership(bytes("v8"), Version.NONE, new int[] {2}));
        try (Handle h = done(grab)) {
            assertEquals("v8", text(h.value()));
        }
        assertEquals(1, net.expect(2, Kind.DONE, REMOTE).node());
        assertEquals(1, node.stats().acksBeforeObject.sum());
    }

    @Test
    @Covers({O21})
    void readCopyInvalidatedWithNoReaderAcksAtOnce() throws Exception {
        readCopy(REMOTE, "v1");
        net.deliver(3, Kind.INV, REMOTE, 3, 0, null);
        net.expect(3, Kind.INV_ACK, REMOTE);
        assertEquals(ObjectState.INV_COPY, state(REMOTE));
    }

    @Test
    @Covers({O22, O23})
    void readCopyInvalidatedUnderAReaderAcksWhenItLeaves() throws Exception {
        readCopy(REMOTE, "v1");
        Handle reader = done(local(REMOTE, false));
        net.deliver(3, Kind.INV, REMOTE, 3, 0, null);
        net.expectNothing();
        CompletableFuture<Handle> late = local(REMOTE, false);
        awaitQueued(REMOTE, 1);
        assertFalse(late.isDone(), "no new grant on a copy being invalidated");
        reader.close();
        net.expect(3, Kind.INV_ACK, REMOTE);
        // the late reader asks anew, at the home
        net.expect(2, Kind.GET_REQ, REMOTE);
        net.deliver(3, Kind.COPY, REMOTE, 3, 0, copyOf("v2"));
        try (Handle h = done(late)) {
            assertEquals("v2", text(h.value()));
        }
    }

    @Test
    @Covers({O2})
    void readCopyGrabAsksTheHomeForTheOwnership() throws Exception {
        readCopy(REMOTE, "v1");
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        assertFalse(grab.isDone());
    }

    // ---- owner side ------------------------------------------------------------

    @Test
    @Covers({O16})
    void ownerServesAForwardedGetAndRemembersTheCopy() throws Exception {
        owner(REMOTE, "v1");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        Message copy = net.expect(3, Kind.COPY, REMOTE);
        assertEquals("v1", copyText(copy));
        assertEquals(ObjectState.READ_OWNER, state(REMOTE));
        assertEquals(Set.of(3), copyset(REMOTE));
    }

    @Test
    @Covers({O13, O14})
    void readOwnerGrabInvalidatesTheCopysetFirst() throws Exception {
        owner(REMOTE, "v1");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(3, Kind.COPY, REMOTE);
        CompletableFuture<Handle> grab = local(REMOTE, true);
        Message inv = net.expect(3, Kind.INV, REMOTE);
        assertEquals(1, inv.node(), "acks come back to this node");
        assertFalse(grab.isDone());
        net.deliver(3, Kind.INV_ACK, REMOTE, 3, 0, null);
        done(grab).close();
        assertEquals(ObjectState.WRITE_OWNER, state(REMOTE));
        assertTrue(copyset(REMOTE).isEmpty());
    }

    @Test
    @Covers({O15, O18})
    void forwardedGetWaitsForTheWriterAndIsServedOnPut() throws Exception {
        owner(REMOTE, "v1");
        Handle writer = done(local(REMOTE, true));
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expectNothing();
        writer.value(bytes("v2"));
        writer.close();
        assertEquals("v2", copyText(net.expect(3, Kind.COPY, REMOTE)), "the copy carries the put value");
    }

    @Test
    @Covers({O17})
    void forwardedGrabHandsTheOwnershipOverAndInvalidatesTheOthers() throws Exception {
        owner(REMOTE, "v1");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(3, Kind.COPY, REMOTE);
        net.deliver(2, Kind.FWD_GRAB, REMOTE, 2, 0, null);
        Message own = net.expect(2, Kind.OWNERSHIP, REMOTE);
        assertEquals("v1", new String(own.bytes(), 0, own.count(), StandardCharsets.UTF_8));
        assertEquals(Version.NONE, Wire.version(own.bytes(), own.count()), "the version goes with the object");
        assertEquals(3, Byte.toUnsignedInt(own.bytes()[own.count() + Version.BYTES]), "node 3's ack is listed");
        assertEquals(2, net.expect(3, Kind.INV, REMOTE).node(), "node 3 acks to the new owner");
        assertEquals(ObjectState.INV_COPY, state(REMOTE));
    }

    @Test
    @Covers({O18, O2})
    void localGrabQueuedBehindAnOwnershipMoveFollowsTheObject() throws Exception {
        owner(REMOTE, "v1");
        Handle writer = done(local(REMOTE, true));
        net.deliver(2, Kind.FWD_GRAB, REMOTE, 3, 0, null); // queued behind the writer
        CompletableFuture<Handle> next = local(REMOTE, true); // queued behind the forward
        awaitQueued(REMOTE, 2);
        writer.close();
        net.expect(3, Kind.OWNERSHIP, REMOTE);
        net.expect(2, Kind.GRAB_REQ, REMOTE); // it was not overtaken, and asks the home anew
        assertFalse(next.isDone());
        net.deliver(3, Kind.OWNERSHIP, REMOTE, 0, 2, Wire.ownership(bytes("v9"), Version.NONE, new int[0]));
        try (Handle h = done(next)) {
            assertEquals("v9", text(h.value()));
        }
    }

    @Test
    @Covers({O19, O5, O11})
    void ownRequestOvertakenByAHandoffIsMetWhenItComesBack() throws Exception {
        CompletableFuture<Handle> get = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        // Before the home serves that request, node 3 flushes the object and the home hands it to us.
        net.deliver(3, Kind.OWNERSHIP, REMOTE, 1, 2, Wire.ownership(bytes("v7"), Version.NONE, new int[0]));
        assertEquals(1, net.expect(2, Kind.DONE, REMOTE).node(), "the handoff completes at the home");
        try (Handle h = done(get)) {
            assertEquals("v7", text(h.value()));
        }
        // Now the home serves our own request: it forwards it to the owner, us.
        net.deliver(2, Kind.FWD_GET, REMOTE, 1, 0, null);
        assertEquals(0, net.expect(2, Kind.DONE, REMOTE).node(), "met here, so the home moves on");
        net.expectNothing();
        assertEquals(ObjectState.WRITE_OWNER, state(REMOTE));
        done(local(REMOTE, true)).close();
        net.expectNothing();
    }

    @Test
    @Covers({O13})
    void aFlushedReadCopyStaysInTheCopysetSoTheNextWriteStillInvalidatesIt() throws Exception {
        owner(REMOTE, "v1");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(3, Kind.COPY, REMOTE);
        // Node 3 flushed that copy and read again: its second copy is served before an old
        // "dropped" notice (sent on the 3 -> 1 channel) could arrive. Such a notice must not
        // take node 3 out of the copyset, or node 3 would keep reading a stale value.
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(3, Kind.COPY, REMOTE);
        net.deliver(3, Kind.DROPPED, REMOTE, 3, 0, null);
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(3, Kind.INV, REMOTE);
        assertFalse(grab.isDone());
        net.deliver(3, Kind.INV_ACK, REMOTE, 3, 0, null);
        done(grab).close();
    }

    @Test
    @Covers({L1})
    void flushingAReadCopySendsNothing() throws Exception {
        readCopy(REMOTE, "v1");
        assertFalse(node.flush(set, REMOTE));
        assertEquals(ObjectState.INV_COPY, state(REMOTE));
        net.expectNothing();
    }

    @Test
    @Covers({O20})
    void aForwardToANonOwnerIsRefusedNotQueued() throws Exception {
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(2, Kind.NOT_OWNER, REMOTE);
    }

    @Test
    @Covers({O8, O9})
    void aCopyForARequestGivenUpIsIgnored() throws Exception {
        CompletableFuture<Handle> get = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        net.deliver(2, Kind.LOST, REMOTE, 2, 0, bytes("lost with node 3"));
        ExecutionException failure = assertThrows(ExecutionException.class, () -> get.get(5, TimeUnit.SECONDS));
        assertTrue(failure.getCause() instanceof ObjectLostException, failure.toString());
        net.deliver(3, Kind.COPY, REMOTE, 3, 0, copyOf("stale"));
        assertEquals(ObjectState.INV_COPY, state(REMOTE));
        net.expectNothing(); // no DONE for a request that is no more
    }


    @Test
    @Covers({O3, O12})
    void aReadOwnerWithNoCopiesGrabsWithoutAMessage() throws Exception {
        CompletableFuture<Handle> get = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        net.deliver(2, Kind.TOUCH, REMOTE, 0, 0, null); // a touch for a get
        done(get).close();
        assertEquals(1, net.expect(2, Kind.DONE, REMOTE).node());
        assertEquals(ObjectState.READ_OWNER, state(REMOTE));
        done(local(REMOTE, true)).close();
        net.expectNothing();
        assertEquals(ObjectState.WRITE_OWNER, state(REMOTE));
    }

    @Test
    @Covers(O24)
    void anInvalidationOfACopyAlreadyDroppedIsAcknowledgedAtOnce() throws Exception {
        readCopy(REMOTE, "v1");
        node.flush(set, REMOTE); // silently: node 1 stays in node 3's copyset
        assertEquals(ObjectState.INV_COPY, state(REMOTE));
        net.deliver(3, Kind.INV, REMOTE, 4, 0, null);
        net.expect(4, Kind.INV_ACK, REMOTE);
        assertEquals(ObjectState.INV_COPY, state(REMOTE));
    }

    @Test
    @Covers({O1, O2, O5})
    void theNamesOfTheWaitingStatesAreTheOnesKddmObjectsPrints() throws Exception {
        CompletableFuture<Handle> get = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        assertEquals(ObjectState.WAIT_OBJ_READ, state(REMOTE));
        net.deliver(3, Kind.COPY, REMOTE, 3, 0, copyOf("v1"));
        done(get).close();
        net.expect(2, Kind.DONE, REMOTE);
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        assertEquals(ObjectState.WAIT_OBJ_WRITE, state(REMOTE), "a read copy asking for the ownership");
        net.deliver(3, Kind.OWNERSHIP, REMOTE, 0, 2, Wire.ownership(bytes("v2"), Version.NONE, new int[] {4}));
        assertEquals(ObjectState.WAIT_ACK_WRITE, state(REMOTE));
        net.deliver(4, Kind.INV_ACK, REMOTE, 4, 0, null);
        done(grab).close();
        assertEquals(ObjectState.WRITE_OWNER, state(REMOTE));
    }

    @Test
    @Covers(O28)
    void aRequestTheHomeCannotServeYetIsAskedAgainUntilItCan() throws Exception {
        CompletableFuture<Handle> get = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        net.deliver(2, Kind.UNKNOWN_SET, REMOTE, 2, 0, bytes("set 1:99 is not open at its home, node 2"));
        assertEquals(ObjectState.WAIT_OBJ_READ, state(REMOTE), "still waiting: the request will be asked again");
        net.deliver(2, Kind.UNKNOWN_SET, REMOTE, 2, 0, bytes("late duplicate")); // ignored while a retry is pending
        net.expect(2, Kind.GET_REQ, REMOTE); // after 20 ms
        net.expectNothing();
        net.deliver(3, Kind.COPY, REMOTE, 3, 0, copyOf("v1"));
        try (Handle h = done(get)) {
            assertEquals("v1", text(h.value()));
        }
        net.expect(2, Kind.DONE, REMOTE);
        assertEquals(1, node.stats().refusals.sum());
    }

    @Test
    @Covers(O28)
    void aThreadThatTimesOutWhileTheHomeRefusesSaysWhy() throws Exception {
        CompletableFuture<Handle> get = CompletableFuture.supplyAsync(
                () -> node.acquire(set, REMOTE, false, TimeUnit.MILLISECONDS.toNanos(300), false));
        net.expect(2, Kind.GET_REQ, REMOTE);
        net.deliver(2, Kind.UNKNOWN_SET, REMOTE, 2, 0, bytes("set 1:99 is not open at its home, node 2"));
        ExecutionException failed = assertThrows(ExecutionException.class, () -> get.get(5, TimeUnit.SECONDS));
        assertTrue(failed.getCause().getMessage().endsWith(": set 1:99 is not open at its home, node 2"),
                failed.getCause().getMessage());
    }
}
