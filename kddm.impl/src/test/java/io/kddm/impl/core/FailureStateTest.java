package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.kddm.api.membership.View;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.NodeDeadException;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * The failure rows of {@link StateTable}, one at a time (see
 * {@link ScriptedNodeTest}): what node 1 does, as a home and as a holder, when
 * membership says a node left or died.
 */
class FailureStateTest extends ScriptedNodeTest {

    private void die(int n) {
        down.add(n);
        node.nodeDown(n);
    }

    @Test
    @Covers({F1, O29})
    void aNodeThatLeavesHandsEveryOwnedObjectOffFirst() throws Exception {
        owner(REMOTE, "v1");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(3, Kind.COPY, REMOTE);
        CompletableFuture<Integer> left = CompletableFuture.supplyAsync(() -> node.evacuate(Duration.ofSeconds(5)));
        Message handoff = net.expect(2, Kind.HANDOFF_REQ, REMOTE);
        assertEquals(2, handoff.node(), "to its home, which surely knows the set (not to node 3's copy)");
        assertFalse(left.isDone(), "it waits until the object has left");
        net.deliver(2, Kind.FWD_GRAB, REMOTE, 2, 1, null); // the home's forward, marked as a handoff
        Message own = net.expect(2, Kind.OWNERSHIP, REMOTE);
        assertEquals(1, own.node(), "a handoff");
        assertEquals(2, net.expect(3, Kind.INV, REMOTE).node(), "a grab on the home's behalf: node 3's copy goes, acknowledged to it");
        assertEquals(ObjectState.INV_COPY, state(REMOTE));
        net.expectNothing();
        assertFalse(left.isDone(), "it waits until the home knows the new owner");
        net.deliver(2, Kind.HANDED_OFF, REMOTE, 2, 0, null);
        assertEquals(0, left.get(5, TimeUnit.SECONDS), "nothing stayed behind");
        assertThrows(KddmException.class, () -> node.acquire(set, REMOTE, false, TimeUnit.SECONDS.toNanos(1), false),
                "a node that left grants nothing");
    }

    @Test
    @Covers(F1)
    void aLeaverWhoseHomeIsLeavingTooWaitsForTheViewThatSaysSo() throws Exception {
        // FaultsIT once: node 4 left in order, and node 2, leaving 90 ms later while its view still had node 4,
        // counted the two objects it owned there as "no other node could take: they are lost".
        io.kddm.api.membership.View one = inViewOne();
        owner(REMOTE, "v1");
        down.add(2); // its home's connection closed: it leaves, and the view does not say so yet
        CompletableFuture<Integer> left = CompletableFuture.supplyAsync(() -> node.evacuate(Duration.ofSeconds(10)));
        Await.until("node 1 leaves", () -> node.leaving);
        net.expectNothing();
        assertFalse(left.isDone(), "it waits for the view while its home is in it");
        node.viewInstalled(one, view(2, 1, 3));
        node.nodeDown(2);
        assertEquals(0, left.get(5, TimeUnit.SECONDS),
                "lost with its home, which left first (a memory family: its home does not move): not this leave's loss");
    }

    @Test
    @Covers(F1)
    void aLeaverWhoseHomeMovedHandsItToTheNextActingHome() throws Exception {
        backups = 1;
        io.kddm.api.membership.View one = inViewOne();
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        net.deliver(2, Kind.OWNERSHIP, REMOTE, 0, 2, Wire.ownership(bytes("v1"), new Version(1, 1), new int[0]));
        done(grab).close();
        answerRebuilds(); // the put's backup, its DONE
        down.add(2);
        CompletableFuture<Integer> left = CompletableFuture.supplyAsync(() -> node.evacuate(Duration.ofSeconds(10)));
        Await.until("node 1 leaves", () -> node.leaving);
        node.viewInstalled(one, view(2, 1, 3)); // node 2 left: node 3 acts for its objects
        node.nodeDown(2);
        assertEquals(3, awaitSent(3, Kind.HANDOFF_REQ).node(), "handed to node 3, the next acting home, for itself");
        assertFalse(left.isDone());
        net.deliver(3, Kind.FWD_GRAB, REMOTE, 3, 1, null); // the acting home's forward, marked as a handoff
        assertEquals(Kind.OWNERSHIP, awaitSent(3, Kind.OWNERSHIP).kind());
        net.deliver(3, Kind.HANDED_OFF, REMOTE, 3, 0, null);
        assertEquals(0, left.get(5, TimeUnit.SECONDS), "nothing stayed behind");
    }

    /** The next message of {@code kind} to {@code to}; requests sent meanwhile (backups, claims) answered empty. */
    private Message awaitSent(int to, Kind kind) throws InterruptedException {
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); System.nanoTime() < end;) {
            ScriptedNodeTest.Script.Sent s = net.sent.poll(100, TimeUnit.MILLISECONDS);
            if (s != null && s.message().kind() == kind && s.to() == to) {
                return s.message();
            }
            if (s != null && s.reply() != null) {
                s.reply().complete(Wire.EMPTY);
            }
        }
        throw new AssertionError("no " + kind + " to node " + to);
    }

    @Test
    @Covers(F16)
    void aHomeThatLeavesRefusesTheOthersRequestsWhichAskAgain() throws Exception {
        ownedBy(2);
        CompletableFuture<Integer> left = CompletableFuture.supplyAsync(() -> node.evacuate(Duration.ofSeconds(2)));
        Await.until("node 1 leaves", () -> node.leaving);
        // Memory objects homed here cannot be kept (homes do not move): only disk-backed ones are stored.
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        assertTrue(text(net.expect(3, Kind.UNKNOWN_SET, LOCAL).bytes()).contains("is leaving the cluster"));
        left.get(10, TimeUnit.SECONDS);
    }

    @Test
    @Covers(F16)
    void aHomeThatLeavesStoresTheDiskBackedObjectsItHomesFirst() throws Exception {
        diskBacked = true;
        store.put(LOCAL, bytes("old"));
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        net.expect(2, Kind.OWNERSHIP, LOCAL); // touched at the home, from its store, and handed to node 2
        net.deliver(2, Kind.DONE, LOCAL, 2, 0, null);
        CompletableFuture<Integer> left = CompletableFuture.supplyAsync(() -> node.evacuate(Duration.ofSeconds(5)));
        // Node 1 grabs the object back for itself: its home forwards its own request to node 2.
        assertEquals(1, net.expect(2, Kind.FWD_GRAB, LOCAL).node());
        net.deliver(2, Kind.OWNERSHIP, LOCAL, 0, 7, Wire.ownership(bytes("written"), Version.NONE, new int[0]));
        assertEquals(0, left.get(5, TimeUnit.SECONDS));
        assertEquals("written", text(store.get(LOCAL)), "what node 2 wrote is in the home's store");
        assertEquals(HomeState.NO_OWNER, homeState(LOCAL));
    }

    @Test
    @Covers(F16)
    void theLastNodeUpStoresWhatItOwnsAndHomesWithoutALease() throws Exception {
        diskBacked = true;
        store.put(LOCAL, bytes("old"));
        try (Handle h = done(local(LOCAL, true))) { // touched at the home, from its store
            h.value(bytes("newest"));
        }
        lease = false; // the other voters left before node 1
        node.leaseChanged(false);
        assertEquals(0, node.evacuate(Duration.ofSeconds(5)));
        assertEquals("newest", text(store.get(LOCAL)), "what node 1 wrote last is in its store");
        assertEquals(HomeState.NO_OWNER, homeState(LOCAL));
        net.expectNothing();
    }

    @Test
    @Covers(F13)
    void aNodeTakenOutOfTheClusterDropsEverythingItHeld() throws Exception {
        owner(REMOTE, "v1");
        ownedBy(2);
        CompletableFuture<Handle> waiting = local(REMOTE + 1, false);
        net.expect(2, Kind.GET_REQ, REMOTE + 1);
        Handle held = done(local(REMOTE, true));
        node.excluded(View.NONE);
        ExecutionException failed = assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS));
        assertTrue(failed.getCause().getMessage().contains("taken out of the cluster"), failed.toString());
        held.value(bytes("too late"));
        io.kddm.api.set.KddmException put = assertThrows(io.kddm.api.set.KddmException.class, held::close);
        assertTrue(put.getMessage().contains("did not take effect"), "publishes nothing, and says so: " + put);
        assertTrue(set.objects.isEmpty() && set.managed.isEmpty(), "no copy, ownership or home record left");
        assertEquals(0, node.heldBytes());
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        net.expect(3, Kind.TOUCH, LOCAL); // a home record afresh: the others act as if this home had restarted
    }

    @Test
    @Covers({F14, F15})
    void withoutALeaseNothingIsGrantedOrServedAndWaitingThreadsFailFast() throws Exception {
        owner(REMOTE, "v1");
        lease = false;
        node.leaseChanged(false);
        assertThrows(io.kddm.api.set.NoQuorumException.class,
                () -> node.acquire(set, REMOTE, false, TimeUnit.SECONDS.toNanos(5), false), "a hit fails fast too");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        net.expectNothing(); // neither served as owner nor as home
        lease = true;
        node.leaseChanged(true);
        java.util.Set<Kind> served = java.util.EnumSet.noneOf(Kind.class);
        for (int i = 0; i < 2; i++) {
            Message m = net.poll(3);
            served.add(m.kind());
        }
        assertEquals(java.util.EnumSet.of(Kind.COPY, Kind.TOUCH), served, "both served once the lease is back");
    }

    @Test
    @Covers({D1, D2})
    void messagesAreTakenByTheViewInstalledHere() throws Exception {
        View one = view(1, new View.Member(1, 1, 1), new View.Member(2, 1, 1), new View.Member(3, 1, 1));
        node.viewInstalled(View.NONE, one);
        // From node 3 of view 2, where node 4 joined: it waits until view 2 is installed here.
        net.deliverAt(2, SET, 3, Kind.GET_REQ, LOCAL, 3, 0, null);
        net.deliverAt(2, SET, 3, Kind.DONE, LOCAL, 3, 0, null); // and every later message of node 3 with it
        net.expectNothing();
        View two = view(2, new View.Member(1, 1, 1), new View.Member(2, 1, 1), new View.Member(3, 1, 1),
                new View.Member(4, 7, 2));
        node.viewInstalled(one, two);
        net.expect(3, Kind.TOUCH, LOCAL);
        assertEquals(HomeState.OWNED, homeState(LOCAL), "its DONE came after its request, as sent");
        // From node 4 as of view 1 (before it joined, an older incarnation): dropped.
        net.deliverAt(1, SET, 4, Kind.GET_REQ, LOCAL + 1, 4, 0, null);
        // From node 5, in no view here: dropped.
        net.deliverAt(2, SET, 5, Kind.GET_REQ, LOCAL + 2, 5, 0, null);
        net.expectNothing();
        assertEquals(2, node.stats().outsideView.sum());
    }

    @Test
    @Covers(F17)
    void aNodeOutOfTheViewAsksNothingUntilAViewHasItAgain() throws Exception {
        View one = view(1, new View.Member(1, 1, 1), new View.Member(2, 1, 1), new View.Member(3, 1, 1));
        node.viewInstalled(View.NONE, one);
        View two = view(2, new View.Member(2, 1, 1), new View.Member(3, 1, 1));
        node.excluded(two); // known before it is installed here: view 1, which has node 1, is still installed
        CompletableFuture<Handle> waiting = local(REMOTE, false);
        awaitQueued(REMOTE, 1);
        net.expectNothing(); // a GET_REQ stamped with view 1 would be dropped by node 2 (D2), and never asked again
        node.viewInstalled(one, two);
        net.expectNothing(); // view 2 has no node 1 either
        assertFalse(waiting.isDone());
        View three = view(3, new View.Member(1, 9, 3), new View.Member(2, 1, 1), new View.Member(3, 1, 1));
        node.viewInstalled(two, three);
        net.expect(2, Kind.GET_REQ, REMOTE); // joined again: the waiter asks now
        net.deliver(3, Kind.COPY, REMOTE, 3, 0, copyOf("v1"));
        try (Handle h = done(waiting)) {
            assertEquals("v1", text(h.value()));
        }
    }

    private static View view(long epoch, View.Member... members) {
        java.util.SortedMap<Integer, View.Member> m = new java.util.TreeMap<>();
        for (View.Member x : members) {
            m.put(x.node(), x);
        }
        return new View(epoch, m);
    }

    @Test
    @Covers(F4)
    void aRequesterThatDiesWhileTouchingLosesTheObjectForGood() throws Exception {
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        net.expect(2, Kind.TOUCH, LOCAL);
        die(2); // it may have made the object, and someone may have seen it
        assertEquals(HomeState.LOST, homeState(LOCAL));
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        net.expect(3, Kind.LOST, LOCAL);
    }

    @Test
    @Covers({F5, F6})
    void aReaderThatDiesMidRequestLetsTheNextRequestStartAndItsQueuedOnesGo() throws Exception {
        ownedBy(3);
        net.deliver(2, Kind.GET_REQ, LOCAL, 2, 0, null);
        assertEquals(2, net.expect(3, Kind.FWD_GET, LOCAL).node());
        net.deliver(4, Kind.GET_REQ, LOCAL, 4, 0, null);
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null); // queued behind node 4's
        die(2);
        assertEquals(4, net.expect(3, Kind.FWD_GET, LOCAL).node(), "the next request starts");
        assertEquals(HomeState.FORWARDED, homeState(LOCAL));
        net.deliver(4, Kind.DONE, LOCAL, 0, 0, null);
        net.expectNothing(); // node 2's queued grab went with it
        assertEquals(HomeState.OWNED, homeState(LOCAL));
    }

    @Test
    @Covers(F7)
    void anOwnerForgetsADeadCopyHolderAndStopsWaitingForItsAck() throws Exception {
        owner(REMOTE, "v1");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(3, Kind.COPY, REMOTE);
        die(3);
        done(local(REMOTE, true)).close(); // no INV for the dead copy
        net.expectNothing();
        assertEquals(ObjectState.WRITE_OWNER, state(REMOTE));

        CompletableFuture<Handle> grab = local(REMOTE + 1, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE + 1);
        net.deliver(4, Kind.OWNERSHIP, REMOTE + 1, 0, 2, Wire.ownership(bytes("v2"), Version.NONE, new int[] {5}));
        assertEquals(ObjectState.WAIT_ACK_WRITE, state(REMOTE + 1));
        die(5);
        try (Handle h = done(grab)) {
            assertEquals("v2", text(h.value()));
        }
        assertEquals(1, net.expect(2, Kind.DONE, REMOTE + 1).node());
    }

    @Test
    @Covers(F8)
    void aDeferredInvalidationForADeadNewOwnerDropsTheCopy() throws Exception {
        readCopy(REMOTE, "v1");
        Handle reader = done(local(REMOTE, false));
        net.deliver(3, Kind.INV, REMOTE, 4, 0, null); // node 4 is the new owner
        assertEquals(ObjectState.INV_DEFERRED, state(REMOTE));
        die(4);
        assertEquals(ObjectState.INV_DEFERRED, state(REMOTE), "held: dropped once released");
        assertEquals("v1", text(reader.value()), "the reader keeps what it was granted");
        reader.close();
        assertEquals(ObjectState.INV_COPY, state(REMOTE));
        net.expectNothing(); // no ack for the dead node
    }

    /**
     * A get granted from a COPY whose thread has not woken yet (the test holds
     * the object's monitor), then an INV for node 3, deferred, then node 3 dies:
     * the waiter wakes with the bytes it was granted. Dropping the copy at once
     * left it a handle on no bytes (CoherenceTest's crash case, once).
     */
    @Test
    @Covers(F8)
    void aWaiterGrantedBeforeTheDeadNodesInvalidationWakesWithItsBytes() throws Exception {
        readCopy(REMOTE, "v0");
        net.deliver(3, Kind.INV, REMOTE, 3, 0, null);
        net.expect(3, Kind.INV_ACK, REMOTE);
        CompletableFuture<Handle> waiter = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        awaitQueued(REMOTE, 1);
        ObjectEntry e = set.objects.get(REMOTE);
        synchronized (e) { // the waiter is granted below, and cannot wake before this block ends
            net.deliver(3, Kind.COPY, REMOTE, 3, 0, copyOf("v1"));
            net.deliver(3, Kind.INV, REMOTE, 3, 0, null);
            die(3);
        }
        Handle h = waiter.get(5, TimeUnit.SECONDS);
        assertEquals("v1", text(h.value()), "the bytes it was granted");
        h.close();
        assertEquals(ObjectState.INV_COPY, state(REMOTE), "then the copy goes");
    }

    @Test
    @Covers({F9, F10, F11})
    void whenAHomeDiesItsObjectsCopiesGoOnceReleasedAndNothingIsGranted() throws Exception {
        readCopy(REMOTE, "v1"); // homed on node 2
        Handle reader = done(local(REMOTE, false));
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        die(2);
        ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> grab.get(5, TimeUnit.SECONDS));
        assertTrue(failed.getCause() instanceof NodeDeadException, failed.toString());
        assertEquals(ObjectState.HOME_DOWN, state(REMOTE));
        assertTrue(local(REMOTE, false).handle((h, e) -> e).get(5, TimeUnit.SECONDS) != null,
                "nothing is granted while the home is down");
        reader.close();
        assertEquals(ObjectState.HOME_DOWN, state(REMOTE), "until the home is asked anew");
        ObjectEntry e = set.objects.get(REMOTE);
        synchronized (e) {
            assertEquals(ObjectState.INV_COPY, e.state, "the copy was dropped once released");
            assertEquals(null, e.value);
        }
        down.remove(2); // the home is back (restarted, with no record)
        CompletableFuture<Handle> again = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        net.deliver(2, Kind.TOUCH, REMOTE, 0, 0, null);
        done(again).close();
    }

    /**
     * Membership reports a node that restarted before it was found dead as dead
     * first: a view that has its new incarnation has not its old one
     * ({@code RaftMembershipTest.aCutOffNodeLosesItsLeaseFirstThenRejoinsByItselfAsANewIncarnation}):
     * here, what the core does with that. What the old incarnation owned is
     * lost; the new one is served as a new node.
     */
    @Test
    @Covers(F12)
    void aRestartedNodeIsFirstDeadThenNew() throws Exception {
        ownedBy(2);
        die(2);
        down.remove(2); // the new incarnation
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        net.expect(2, Kind.LOST, LOCAL); // never made anew, not even by its old owner
        net.deliver(2, Kind.GRAB_REQ, LOCAL + 1, 2, 0, null);
        net.expect(2, Kind.TOUCH, LOCAL + 1); // a fresh object is served
    }
}
