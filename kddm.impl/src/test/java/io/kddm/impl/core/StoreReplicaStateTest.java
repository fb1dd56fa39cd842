package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.membership.View;
import io.kddm.impl.core.Wire.Kind;

/**
 * Replicated stores (rows S1-S5), node 1 scripted, in a disk-backed family
 * whose linker stores each object on two nodes: home H and the node before it
 * (home 1's store nodes are 1 and 3, home 2's are 2 and 1, home 3's 3 and 2),
 * so that an acting home by store node differs from the next member (R14).
 */
class StoreReplicaStateTest extends ScriptedNodeTest {
    /** Homed on node 3: node 2 stores it too. */
    static final long ON_3 = (3L << 24) | 5;

    @BeforeEach
    void replicated() {
        diskBacked = true;
        storeCopies = 2;
    }

    private CompletableFuture<byte[]> syncFrom(int holder, long id, String value) {
        return net.ask(holder, Kind.SYNC, id, holder, LocalOperations.Store.SYNC.ordinal(), bytes(value));
    }

    @Test
    @Covers({S1, S3})
    void aStoreAtTheHomeIsMadeOnItsOtherStoreNodeBeforeItReturns() throws Exception {
        inViewOne();
        CompletableFuture<byte[]> sync = syncFrom(2, LOCAL, "v1");
        ScriptedNodeTest.Script.Sent store = net.expectRequest(3, Kind.STORE, LOCAL);
        assertEquals("v1", stored(store.message()), "home 1's other store node is node 3");
        assertEquals(LocalOperations.Store.SYNC.ordinal(), storeKind(store.message()));
        assertArrayEquals(bytes("v1"), this.store.get(LOCAL), "stored here first");
        Thread.sleep(100);
        assertFalse(sync.isDone(), "the holder's sync returns once node 3 has it too");
        store.reply().complete(Wire.EMPTY);
        sync.get(5, TimeUnit.SECONDS);
        assertTrue(missed.isEmpty(), "nobody missed it");
        // As a store node itself (S3): node 2, acting home of its own objects, sends one here.
        long on2 = (2L << 24) | 7;
        byte[] reply = net.ask(2, Kind.STORE, on2, 2, LocalOperations.Store.SYNC.ordinal(), bytes("theirs"))
                .get(5, TimeUnit.SECONDS);
        assertEquals(0, reply.length);
        assertArrayEquals(bytes("theirs"), this.store.get(on2), "stored through the linker, and acknowledged");
        net.expectNothing();
    }

    /**
     * Every worker of node 1 is in a store waiting for node 3's answer; node 1 still
     * stores what node 2, acting home of its objects, sends it: else two homes
     * replicating to each other would each wait for the other's workers.
     */
    @Test
    @Covers(S3)
    void aStoreNodeTakesStoresWhileItsOwnStoresWaitForTheirs() throws Exception {
        inViewOne();
        java.util.List<CompletableFuture<byte[]>> syncs = new java.util.ArrayList<>();
        java.util.List<ScriptedNodeTest.Script.Sent> waiting = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            syncs.add(syncFrom(2, LOCAL + i, "v" + i)); // more than the 4 workers
        }
        for (int i = 0; i < 4; i++) {
            waiting.add(net.expectRequest(3, Kind.STORE, pending())); // (in whatever order the workers took them)
        }
        long on2 = (2L << 24) | 7;
        byte[] reply = net.ask(2, Kind.STORE, on2, 2, LocalOperations.Store.SYNC.ordinal(), bytes("theirs"))
                .get(5, TimeUnit.SECONDS);
        assertEquals(0, reply.length, "stored although every worker waits");
        assertTrue(missed.isEmpty(), "answered while node 1's stores still wait for node 3 (not once they gave up)");
        assertArrayEquals(bytes("theirs"), store.get(on2));
        for (ScriptedNodeTest.Script.Sent w : waiting) {
            w.reply().complete(Wire.EMPTY);
        }
        for (int i = 0; i < 2; i++) {
            ScriptedNodeTest.Script.Sent more = next(Kind.STORE);
            more.reply().complete(Wire.EMPTY);
        }
        for (CompletableFuture<byte[]> f : syncs) {
            f.get(5, TimeUnit.SECONDS);
        }
    }

    /** The object of the next message node 1 sends (waits for it). */
    private long pending() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (net.sent.peek() == null && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        return net.sent.peek().message().objectId();
    }

    @Test
    @Covers({S1, S2})
    void aStoreNodeThatFailsIsRecordedAsMissedBeforeTheStoreReturnsAndHealedSoonAfter() throws Exception {
        inViewOne();
        CompletableFuture<byte[]> sync = syncFrom(2, LOCAL, "v1");
        net.expectRequest(3, Kind.STORE, LOCAL).reply().completeExceptionally(new IllegalStateException("disk full"));
        sync.get(5, TimeUnit.SECONDS);
        assertEquals(Set.of(LOCAL), missed.get(3), "recorded in the heal index before the sync returned");
        assertEquals(1, node.stats().storesMissed.sum());
        // About a second later node 1 heals node 3, which is still in the view, with what it stores now.
        ScriptedNodeTest.Script.Sent heal = net.expectRequest(3, Kind.STORE, LOCAL);
        assertEquals("v1", stored(heal.message()));
        heal.reply().complete(Wire.EMPTY);
        awaitHealed(3);
    }

    @Test
    @Covers({S1, S4})
    void aStoreNodeOutOfTheViewIsHealedWhenItIsBack() throws Exception {
        View one = inViewOne();
        View two = without(3, one, view(2, 1, 2));
        assertEquals(2, node.home(set, ON_3), "the first store node of home 3 in the view (R14), not node 1, the next "
                + "member after 3");
        syncFrom(2, LOCAL, "while 3 was out").get(5, TimeUnit.SECONDS);
        assertEquals(Set.of(LOCAL), missed.get(3), "no STORE to a node out of the view: recorded");
        net.expectNothing();
        down.remove(3);
        node.viewInstalled(two, view(3, 1, 2, 3));
        ScriptedNodeTest.Script.Sent heal = next(Kind.STORE);
        assertEquals(3, heal.to());
        assertEquals("while 3 was out", stored(heal.message()), "the value stored here now");
        heal.reply().complete(Wire.EMPTY);
        awaitHealed(3);
        assertEquals(1, node.stats().storesHealed.sum());
    }

    @Test
    @Covers({S5, R16})
    void aHomeBackIsHealedBeforeItsClaimsAreAnswered() throws Exception {
        long on2 = (2L << 24) | 7; // home 2's store nodes: 2 and 1
        View one = inViewOne();
        View two = without(2, one, view(2, 1, 3));
        assertEquals(1, node.home(set, on2), "node 1 acts for home 2, from its replica");
        syncFrom(3, on2, "made while 2 was out").get(5, TimeUnit.SECONDS);
        assertEquals(Set.of(on2), missed.get(2));
        // Node 2 is back: it acts for its objects again, and asks node 1 for its claims.
        down.remove(2);
        node.viewInstalled(two, view(3, 1, 2, 3));
        CompletableFuture<byte[]> claims = net.ask(2, Kind.CLAIMS, 0, 2, 0, null);
        ScriptedNodeTest.Script.Sent heal = net.expectRequest(2, Kind.STORE, on2);
        assertEquals("made while 2 was out", stored(heal.message()));
        Thread.sleep(100);
        assertFalse(claims.isDone(), "the claims wait until node 2 stored what it missed");
        heal.reply().complete(Wire.EMPTY);
        claims.get(5, TimeUnit.SECONDS);
        awaitHealed(2);
    }

    @Test
    @Covers({S6, S7})
    void aNodeThatJoinsAsksWhereItMissedStoresAndSaysWhereOthersDid() throws Exception {
        node.viewInstalled(View.NONE, view(1, 1, 2, 3));
        java.util.List<Integer> asked = new java.util.ArrayList<>();
        boolean failedOnce = false;
        for (ScriptedNodeTest.Script.Sent s; (s = net.sent.poll(1500, TimeUnit.MILLISECONDS)) != null;) {
            if (s.message().kind() == Kind.MISSED) {
                asked.add(s.to());
                if (s.to() == 3 && !failedOnce) {
                    // Node 3's core has not started yet: it is asked again.
                    failedOnce = true;
                    s.reply().completeExceptionally(new io.kddm.api.transport.RemoteFailureException(3,
                            "no handler for message type 0x" + Integer.toHexString(Kind.MISSED.type()) + " on node 3"));
                } else {
                    s.reply().complete(java.nio.ByteBuffer.allocate(8).putLong(SET).array());
                }
            } else if (s.reply() != null) {
                s.reply().complete(Wire.EMPTY);
            }
        }
        java.util.Collections.sort(asked);
        assertEquals(java.util.List.of(2, 3, 3), asked, "every other member is asked, node 3 again once it could not answer");
        missed.put(2, java.util.concurrent.ConcurrentHashMap.newKeySet());
        missed.get(2).add(LOCAL);
        byte[] sets = net.ask(2, Kind.MISSED, 0, 2, 0, null).get(5, TimeUnit.SECONDS);
        assertEquals(SET, java.nio.ByteBuffer.wrap(sets).getLong(), "node 2 missed a store of set SET here");
        assertEquals(8, sets.length);
        assertEquals(0, net.ask(3, Kind.MISSED, 0, 3, 0, null).get(5, TimeUnit.SECONDS).length, "node 3 missed none");
    }

    @Test
    @Covers(S8)
    void aStoreOfANodeThatNoLongerActsForTheObjectIsRefused() throws Exception {
        inViewOne();
        // A late STORE from node 3, which does not act for LOCAL (node 1 does): refused, nothing stored.
        CompletableFuture<byte[]> late = net.ask(3, Kind.STORE, LOCAL, 3, LocalOperations.Store.SYNC.ordinal(),
                bytes("old"));
        assertTrue(assertThrows(java.util.concurrent.ExecutionException.class, () -> late.get(5, TimeUnit.SECONDS))
                .getCause().getMessage().contains("does not act as home"));
        assertNull(store.get(LOCAL));
        // Here, a store asked of an earlier incarnation, or of a home this node does not act for, is refused.
        assertThrows(io.kddm.api.set.KddmException.class, () -> node.stores.store(set, LOCAL,
                LocalOperations.Store.SYNC, bytes("old"), node.excludedAt - 1, null));
        assertThrows(io.kddm.api.set.KddmException.class, () -> node.stores.store(set, ON_3,
                LocalOperations.Store.SYNC, bytes("old"), node.excludedAt, null));
        assertNull(store.get(LOCAL));
        assertNull(store.get(ON_3));
        net.expectNothing();
        // A heal into this node, which acts for the object, is taken from any store node (S5).
        net.ask(3, Kind.STORE, LOCAL, 3, LocalOperations.Store.SYNC.ordinal() | StoreReplicas.HEAL, bytes("healed"))
                .get(5, TimeUnit.SECONDS);
        assertArrayEquals(bytes("healed"), store.get(LOCAL));
        // Taken out while a store waits for its other store node: the store is void, and what node 3 did not take
        // is not recorded as missed (healing it with this node's value would undo the next acting home's stores).
        CompletableFuture<byte[]> sync = syncFrom(2, LOCAL, "v2");
        ScriptedNodeTest.Script.Sent pending = net.expectRequest(3, Kind.STORE, LOCAL);
        node.excluded(view(5, 2, 3));
        pending.reply().completeExceptionally(new IllegalStateException("sent in an older view: not taken"));
        assertTrue(assertThrows(java.util.concurrent.ExecutionException.class, () -> sync.get(5, TimeUnit.SECONDS))
                .getCause().getMessage().contains("taken out of the cluster while it stored"));
        assertTrue(missed.isEmpty(), "nothing recorded: " + missed);
    }

    @Test
    @Covers(S9)
    void aSyncWhoseHomeLeavesTheViewIsAskedOfTheNewActingHomeAtOnce() throws Exception {
        View one = inViewOne();
        CompletableFuture<Void> sync = syncOfACopyHomedOn3();
        net.expectRequest(3, Kind.SYNC, ON_3); // node 3 pauses: no answer
        down.add(3);
        node.viewInstalled(one, view(2, 1, 2));
        node.nodeDown(3);
        ScriptedNodeTest.Script.Sent again = next(Kind.SYNC);
        assertEquals(2, again.to(), "asked of home 3's first store node in the view, without waiting for node 3");
        assertEquals("v1", stored(again.message()), "the value, then its version (S16)");
        assertFalse(sync.isDone());
        again.reply().complete(Wire.EMPTY);
        sync.get(5, TimeUnit.SECONDS);
    }

    /** The kill of a home fails its connections before the view moves it: the SYNC is not failed for that. */
    @Test
    @Covers(S9)
    void aSyncLostWithItsConnectionIsAskedAgainUntilTheViewMovesTheHome() throws Exception {
        View one = inViewOne();
        CompletableFuture<Void> sync = syncOfACopyHomedOn3();
        net.expectRequest(3, Kind.SYNC, ON_3).reply()
                .completeExceptionally(new io.kddm.api.transport.NodeUnreachableException(3, "connection lost"));
        ScriptedNodeTest.Script.Sent retried = net.expectRequest(3, Kind.SYNC, ON_3);
        assertFalse(sync.isDone(), "not failed while node 3 is in the view");
        retried.reply().completeExceptionally(new io.kddm.api.transport.NodeUnreachableException(3, "refused"));
        down.add(3);
        node.viewInstalled(one, view(2, 1, 2));
        node.nodeDown(3);
        ScriptedNodeTest.Script.Sent again = next(Kind.SYNC);
        while (again.to() == 3) { // sent again before the view moved the home: lost too
            again.reply().completeExceptionally(new io.kddm.api.transport.NodeUnreachableException(3, "refused"));
            again = next(Kind.SYNC);
        }
        assertEquals(2, again.to(), "asked of home 3's first store node in the view");
        assertEquals("v1", stored(again.message()), "the value, then its version (S16)");
        assertFalse(sync.isDone());
        again.reply().complete(Wire.EMPTY);
        sync.get(5, TimeUnit.SECONDS);
    }

    @Test
    @Covers(R22)
    void aDiskBackedObjectWhoseOwnerDiedWithNoCopyIsReadAgainFromItsStore() throws Exception {
        storeCopies = 1;
        store.put(LOCAL, bytes("written back"));
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        net.expect(2, Kind.OWNERSHIP, LOCAL); // made at its home (H3)
        net.deliver(2, Kind.DONE, LOCAL, 2, 0, null);
        assertEquals(HomeState.OWNED, homeState(LOCAL));
        down.add(2);
        node.nodeDown(2);
        ScriptedNodeTest.Script.Sent claim = net.expectRequest(3, Kind.CLAIM, LOCAL);
        claim.reply().complete(Wire.EMPTY);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (homeState(LOCAL) == HomeState.RECOVERING && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(HomeState.NO_OWNER, homeState(LOCAL), "not lost: its store has what was written back");
        assertEquals(0, node.stats().objectsLost.sum());
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        assertEquals("written back", copyText(net.expect(3, Kind.COPY, LOCAL)), "read from the store (H3)");
        assertNull(set.managed.get(LOCAL).lost);
    }

    /** A read copy of ON_3 ("v1") got from its home, node 3, and its sync started: it asks node 3 to store it. */
    private CompletableFuture<Void> syncOfACopyHomedOn3() throws Exception {
        CompletableFuture<Handle> get = local(ON_3, false);
        net.expect(3, Kind.GET_REQ, ON_3);
        net.deliver(3, Kind.COPY, ON_3, 3, 0, copyOf("v1"));
        done(get).close();
        net.expect(3, Kind.DONE, ON_3);
        return CompletableFuture.runAsync(() -> node.local.sync(set, ON_3, true));
    }

    private void awaitHealed(int node) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!missed.getOrDefault(node, Set.of()).isEmpty() && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertTrue(missed.getOrDefault(node, Set.of()).isEmpty(), "the miss is forgotten once healed: " + missed);
    }
}
