package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.membership.View;
import io.kddm.impl.core.LocalOperations.Store;
import io.kddm.impl.core.Wire.Kind;

/**
 * Three store nodes per home (rows S14, S15), node 1 scripted: home H's store
 * nodes are H, then the two before it around 1-3 (home 1: 1, 3, 2; home 2: 2,
 * 1, 3; home 3: 3, 2, 1). A store is acknowledged once a majority stored it;
 * every store node marks the others before it stores, and forgets its marks
 * of the nodes the acting home says have it; a node that acts for a home next
 * is healed from those marks before it serves.
 */
class StoreQuorumStateTest extends ScriptedNodeTest {
    /** Homed on node 2: node 1 is its second store node. */
    static final long ON_2 = (2L << 24) | 7;
    /** Homed on node 3: node 1 is its third store node. */
    static final long ON_3 = (3L << 24) | 5;

    @BeforeEach
    void threeCopies() {
        diskBacked = true;
        storeCopies = 3;
    }

    private CompletableFuture<byte[]> syncFrom2(long id, String value) {
        return net.ask(2, Kind.SYNC, id, 2, Store.SYNC.ordinal(), bytes(value));
    }

    private static byte[] clear(Version v, int... have) {
        ByteBuffer b = v.put(ByteBuffer.allocate(Version.BYTES + 4 * have.length));
        for (int n : have) {
            b.putInt(n);
        }
        return b.array();
    }

    @Test
    @Covers({S14, S15})
    void aStoreIsAcknowledgedByAMajorityAndFailsWithFewer() throws Exception {
        inViewOne();
        CompletableFuture<byte[]> sync = syncFrom2(LOCAL, "v1");
        ScriptedNodeTest.Script.Sent to3 = net.expectRequest(3, Kind.STORE, LOCAL);
        ScriptedNodeTest.Script.Sent to2 = net.expectRequest(2, Kind.STORE, LOCAL);
        assertEquals(Set.of(LOCAL), missed.get(3), "node 3 marked here before anything was sent (pre-op)");
        assertEquals(Set.of(LOCAL), missed.get(2));
        assertArrayEquals(bytes("v1"), store.get(LOCAL), "then stored here");
        to3.reply().complete(Wire.EMPTY);
        to2.reply().completeExceptionally(new IllegalStateException("disk full"));
        sync.get(5, TimeUnit.SECONDS); // nodes 1 and 3 of 1, 3, 2: a majority
        assertEquals(Set.of(), missed.get(3), "node 3 has it: its mark goes here");
        assertEquals(Set.of(LOCAL), missed.get(2), "node 2 stays marked, for its heal");
        ScriptedNodeTest.Script.Sent clear = net.expectRequest(3, Kind.STORE, LOCAL);
        assertEquals(StoreReplicas.CLEAR, storeKind(clear.message()) & StoreReplicas.CLEAR);
        ByteBuffer b = ByteBuffer.wrap(clear.message().bytes());
        assertEquals(new Version(1, 1), Version.get(b));
        assertEquals(List.of(1, 3), List.of(b.getInt(), b.getInt()), "who has it: node 3 forgets its marks of them");
        clear.reply().complete(Wire.EMPTY);

        // Both others fail: stored here only, fewer than a majority: the sync fails, the misses recorded.
        CompletableFuture<byte[]> lone = syncFrom2(LOCAL + 1, "v2");
        for (int i = 0; i < 2; i++) {
            ScriptedNodeTest.Script.Sent s = next(Kind.STORE);
            s.reply().completeExceptionally(new IllegalStateException("disk full on node " + s.to()));
        }
        ExecutionException failed = assertThrows(ExecutionException.class, () -> lone.get(5, TimeUnit.SECONDS));
        assertTrue(failed.getCause().getMessage().contains("fewer than its quorum of 2"), failed.getCause().getMessage());
        assertTrue(missed.get(2).contains(LOCAL + 1) && missed.get(3).contains(LOCAL + 1), "both recorded: " + missed);
    }

    @Test
    @Covers(S14)
    void anActingHomeWithoutAMajorityOfItsStoreNodesInTheViewServesNothing() throws Exception {
        View one = inViewOne();
        without(3, one, view(2, 1, 2));
        CompletableFuture<byte[]> sync = syncFrom2(LOCAL, "with 3 out");
        next(Kind.STORE).reply().complete(Wire.EMPTY); // node 2: with node 1, a majority of 1, 3, 2
        sync.get(5, TimeUnit.SECONDS);
        assertArrayEquals(bytes("with 3 out"), store.get(LOCAL));
        down.add(2);
        node.viewInstalled(view(2, 1, 2), view(3, 1));
        node.nodeDown(2);
        answerRebuilds();
        // Alone: neither a store nor a first touch of home 1's objects here.
        assertThrows(io.kddm.api.set.KddmException.class,
                () -> node.stores.store(set, LOCAL, Store.SYNC, bytes("alone"), node.excludedAt, null));
        assertArrayEquals(bytes("with 3 out"), store.get(LOCAL), "nothing stored");
        ExecutionException read = assertThrows(ExecutionException.class,
                () -> local(LOCAL + 9, false).get(5, TimeUnit.SECONDS));
        assertTrue(read.getCause().getMessage().contains("quorum"), read.getCause().getMessage());
        assertNull(store.get(LOCAL + 9), "not touched");
    }

    @Test
    @Covers({S3, S15})
    void aStoreNodeMarksTheOthersBeforeItStoresAndForgetsThemWhenTold() throws Exception {
        inViewOne();
        byte[] reply = net.ask(2, Kind.STORE, ON_2, 2, Store.SYNC.ordinal() | StoreReplicas.VERSIONED,
                Wire.copy(bytes("theirs"), new Version(1, 4))).get(5, TimeUnit.SECONDS);
        assertEquals(0, reply.length);
        assertEquals(Set.of(ON_2), missed.get(3), "node 3 (of 2, 1, 3) marked: it may lack it");
        assertFalse(missed.containsKey(2), "not the sender, which stored it first");
        // A late CLEAR of an older store: the marks are the newer one's, and stay.
        net.ask(2, Kind.STORE, ON_2, 2, Store.SYNC.ordinal() | StoreReplicas.CLEAR, clear(new Version(1, 3), 2, 1, 3))
                .get(5, TimeUnit.SECONDS);
        assertEquals(Set.of(ON_2), missed.get(3));
        net.ask(2, Kind.STORE, ON_2, 2, Store.SYNC.ordinal() | StoreReplicas.CLEAR, clear(new Version(1, 4), 2, 1, 3))
                .get(5, TimeUnit.SECONDS);
        assertEquals(Set.of(), missed.get(3), "every store node has it: the mark goes");
        // A heal is not marked here: its sender keeps its own record.
        net.ask(2, Kind.STORE, ON_2, 2, Store.SYNC.ordinal() | StoreReplicas.VERSIONED | StoreReplicas.HEAL,
                Wire.copy(bytes("healed"), new Version(1, 5))).get(5, TimeUnit.SECONDS);
        assertEquals(Set.of(), missed.get(3));
    }

    /**
     * Node 1 keeps acting for its own objects while nodes 3 and 2 leave and
     * node 2 comes back: node 2 may hold what a majority acknowledged while node
     * 1 was away from it, so it counts towards the quorum only once it healed
     * node 1 (its CLAIMS answered, S5 run there first): node 1 serves nothing
     * from its store before, though it stores.
     */
    @Test
    @Covers({S14, S5})
    void aStoreNodeBackWhileThisNodeKeptActingCountsOnlyOnceItHealedIt() throws Exception {
        View one = inViewOne();
        View two = without(3, one, view(2, 1, 2));
        View three = without(2, two, view(3, 1));
        down.remove(2);
        node.viewInstalled(three, view(4, 1, 2));
        ScriptedNodeTest.Script.Sent ask = net.expectRequest(2, Kind.CLAIMS, 0);
        assertEquals(1, ask.message().node(), "for home 1's objects");
        ExecutionException early = assertThrows(ExecutionException.class,
                () -> local(LOCAL + 9, false).get(5, TimeUnit.SECONDS), "not served from its store yet");
        assertTrue(early.getCause().getMessage().contains("heard from"), early.getCause().getMessage());
        // A store is made meanwhile (its value comes from its holder, at a version newer than any stored).
        CompletableFuture<Void> stored = CompletableFuture.runAsync(
                () -> node.stores.store(set, LOCAL, Store.SYNC, bytes("before the heal"), node.excludedAt, null));
        next(Kind.STORE).reply().complete(Wire.EMPTY);
        stored.get(5, TimeUnit.SECONDS);
        ask.reply().complete(Wire.EMPTY);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!set.healedBy.get(1).contains(2) && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        local(LOCAL + 9, false).get(5, TimeUnit.SECONDS).close(); // healed: served
        assertArrayEquals(bytes("before the heal"), store.get(LOCAL));
    }

    /** A member that cannot store on the asker what it missed refuses its CLAIMS, which is asked again. */
    @Test
    @Covers(S5)
    void claimsAreRefusedWhileWhatTheAskerMissedCannotBeStoredThere() throws Exception {
        View one = inViewOne();
        net.ask(3, Kind.STORE, ON_3, 3, Store.SYNC.ordinal() | StoreReplicas.VERSIONED,
                Wire.copy(bytes("acknowledged"), new Version(1, 2))).get(5, TimeUnit.SECONDS);
        without(3, one, view(2, 1, 2));
        CompletableFuture<byte[]> claims = net.ask(2, Kind.CLAIMS, 0, 3, 0, null);
        net.expectRequest(2, Kind.STORE, ON_3).reply().completeExceptionally(new IllegalStateException("disk full"));
        assertThrows(ExecutionException.class, () -> claims.get(5, TimeUnit.SECONDS), "not answered as if healed");
        assertEquals(Set.of(ON_3), missed.get(2), "still recorded");
        CompletableFuture<byte[]> again = net.ask(2, Kind.CLAIMS, 0, 3, 0, null);
        net.expectRequest(2, Kind.STORE, ON_3).reply().complete(Wire.EMPTY);
        again.get(5, TimeUnit.SECONDS);
        assertEquals(Set.of(), missed.get(2));
    }

    /**
     * A STORE of home 3 admitted in view 1 is still being written here (held
     * before its marks) when view 2 moves home 3 to node 2, which asks for its
     * claims: they wait for the write, so that its mark is there to heal node 2.
     */
    @Test
    @Covers({S5, S15})
    void aStoreAdmittedBeforeAViewIsWrittenBeforeTheNextViewsClaimsAreAnswered() throws Exception {
        View one = inViewOne();
        java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch letGo = new java.util.concurrent.CountDownLatch(1);
        onStoredVersion = id -> {
            if (id == ON_3 && reached.getCount() > 0) {
                reached.countDown();
                try {
                    letGo.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        CompletableFuture<byte[]> late = net.ask(3, Kind.STORE, ON_3, 3, Store.SYNC.ordinal() | StoreReplicas.VERSIONED,
                Wire.copy(bytes("admitted in view 1"), new Version(1, 2)));
        assertTrue(reached.await(5, TimeUnit.SECONDS));
        without(3, one, view(2, 1, 2));
        CompletableFuture<byte[]> claims = net.ask(2, Kind.CLAIMS, 0, 3, 0, null);
        Thread.sleep(200);
        assertFalse(claims.isDone(), "the claims wait for the STORE admitted before");
        letGo.countDown();
        late.get(5, TimeUnit.SECONDS);
        ScriptedNodeTest.Script.Sent heal = net.expectRequest(2, Kind.STORE, ON_3);
        assertEquals("admitted in view 1", stored(heal.message()), "its mark heals node 2 before the claims");
        heal.reply().complete(Wire.EMPTY);
        claims.get(5, TimeUnit.SECONDS);
    }

    /**
     * A record no view healed (here: made by hand, as one a member answered MISSED
     * for before its linker was there) is healed by the periodic pass of the
     * heal index: into the node acting for the object (S5's heal, out of a
     * CLAIMS), and from the node acting for it (S4).
     */
    @Test
    @Covers({S4, S5})
    void theHealIndexIsCrawledAgainEveryFewSeconds() throws Exception {
        inViewOne();
        store.put(ON_3, bytes("node 3 lacks it"));
        versions.put(ON_3, new Version(1, 9));
        missed.computeIfAbsent(3, n -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(ON_3);
        store.put(LOCAL, bytes("node 2 lacks it"));
        versions.put(LOCAL, new Version(1, 3));
        missed.computeIfAbsent(2, n -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(LOCAL);
        java.util.Map<Integer, ScriptedNodeTest.Script.Sent> heals = new java.util.TreeMap<>();
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(StoreHeal.HEAL_PASS_MS * 2);
        while (heals.size() < 2 && System.nanoTime() < until) {
            ScriptedNodeTest.Script.Sent s = net.sent.poll(100, TimeUnit.MILLISECONDS);
            if (s != null && s.message().kind() == Kind.STORE && (s.message().count() & StoreReplicas.HEAL) != 0) {
                heals.put(s.to(), s);
                s.reply().complete(Wire.EMPTY); // (one at a time: the pass waits for each)
            } else if (s != null && s.reply() != null) {
                s.reply().complete(Wire.EMPTY);
            }
        }
        assertEquals(Set.of(2, 3), heals.keySet(), "both healed within two passes");
        assertEquals(ON_3, heals.get(3).message().objectId(), "into node 3, which acts for it");
        assertEquals("node 3 lacks it", stored(heals.get(3).message()));
        assertEquals(LOCAL, heals.get(2).message().objectId(), "from node 1, which acts for it");
        until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((!missed.get(3).isEmpty() || !missed.get(2).isEmpty()) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(Set.of(), missed.get(3));
        assertEquals(Set.of(), missed.get(2));
    }

    /**
     * The late failure AFR's pre-op is for: home 3 stored on itself and on node
     * 1, and its STORE to node 2 never came; home 3 dies. Node 2 acts for it
     * next (first of 3, 2, 1 in the view), and node 1, which never knew node 2
     * lacked it, heals it from its mark before answering its claims.
     */
    @Test
    @Covers({S5, S15})
    void aNodeThatActsForAHomeNextIsHealedFromTheMarksOfTheOthers() throws Exception {
        View one = inViewOne();
        net.ask(3, Kind.STORE, ON_3, 3, Store.SYNC.ordinal() | StoreReplicas.VERSIONED,
                Wire.copy(bytes("acknowledged"), new Version(1, 2))).get(5, TimeUnit.SECONDS);
        assertEquals(Set.of(ON_3), missed.get(2));
        View two = without(3, one, view(2, 1, 2));
        assertEquals(2, node.home(set, ON_3), "node 2 acts for home 3");
        CompletableFuture<byte[]> claims = net.ask(2, Kind.CLAIMS, 0, 3, 0, null);
        ScriptedNodeTest.Script.Sent heal = net.expectRequest(2, Kind.STORE, ON_3);
        assertEquals("acknowledged", stored(heal.message()));
        assertEquals(new Version(1, 2), Wire.version(heal.message().bytes(), heal.message().bytes().length
                - Version.BYTES), "with its version: node 2 keeps whichever is newer");
        Thread.sleep(100);
        assertFalse(claims.isDone(), "the claims wait for the heal");
        heal.reply().complete(Wire.EMPTY);
        claims.get(5, TimeUnit.SECONDS);
        assertEquals(Set.of(), missed.get(2), "healed: the mark goes");
        assertEquals(2, two.members().size());
    }
}
