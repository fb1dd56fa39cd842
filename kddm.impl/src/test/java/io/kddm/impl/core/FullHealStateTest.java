package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.set.KddmException;
import io.kddm.api.set.StoreHeal;
import io.kddm.impl.core.Wire.Kind;

/**
 * The full heal of a replicated store (rows S10-S12), node 1 scripted: home 1's
 * objects are stored on nodes 1 and 3, home 2's on 2 and 1 (as in
 * {@link StoreReplicaStateTest}).
 */
class FullHealStateTest extends ScriptedNodeTest {
    private static final int FULL = LocalOperations.Store.SYNC.ordinal() | StoreReplicas.HEAL | StoreReplicas.CHECK;
    /** Homed on node 2: node 1 stores it too. */
    private static final long ON_2 = (2L << 24) | 7;

    @BeforeEach
    void replicated() {
        diskBacked = true;
        storeCopies = 2;
    }

    /**
     * Node 1, a home, heals node 3 in full: the union of what each stores of home
     * 1's objects (node 3's by STORED) is compared object by object, each under
     * its store lock: a sync of one of them arriving meanwhile waits for its
     * compare, and is stored after it (on both), not undone by it.
     */
    @Test
    @Covers({S10, S12})
    void theHomeComparesEveryObjectEitherStoresUnderItsStoreLock() throws Exception {
        inViewOne();
        store.put(LOCAL, bytes("a"));
        store.put(LOCAL + 1, bytes("b"));
        missed.computeIfAbsent(3, n -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(LOCAL + 1);
        CompletableFuture<StoreHeal> heal = CompletableFuture.supplyAsync(() -> node.fullHeal.heal(1));
        ScriptedNodeTest.Script.Sent list = net.expectRequest(3, Kind.STORED, 1);
        list.reply().complete(FullHeal.encodeListing(Map.of(SET, Set.of(LOCAL + 1, LOCAL + 2))));
        ScriptedNodeTest.Script.Sent first = net.expectRequest(3, Kind.STORE, LOCAL);
        assertEquals(FULL, storeKind(first.message()), "a heal that compares");
        assertEquals("a", stored(first.message()), "the home's stored value");
        // A sync of LOCAL from holder 2 now waits for the compare: its STORE to node 3 comes after it.
        CompletableFuture<byte[]> sync = net.ask(2, Kind.SYNC, LOCAL, 2, LocalOperations.Store.SYNC.ordinal(),
                bytes("newer"));
        Thread.sleep(100);
        assertArrayEquals(bytes("a"), store.get(LOCAL), "the sync waits for the object's store lock");
        assertTrue(net.sent.isEmpty(), "nothing sent for LOCAL before the compare was answered: " + net.sent);
        first.reply().complete(new byte[] {0});
        // Then the sync's STORE and the heal's next one, in either order (other stripes, other threads).
        Map<Long, ScriptedNodeTest.Script.Sent> next = new java.util.TreeMap<>();
        for (int i = 0; i < 2; i++) {
            ScriptedNodeTest.Script.Sent s = net.sent.poll(5, TimeUnit.SECONDS);
            assertTrue(s != null && s.to() == 3 && s.message().kind() == Kind.STORE, "a STORE to node 3: " + s);
            next.put(s.message().objectId(), s);
        }
        ScriptedNodeTest.Script.Sent newer = next.get(LOCAL);
        assertEquals("newer", stored(newer.message()), "the sync's store, after the compare");
        assertEquals(LocalOperations.Store.SYNC.ordinal(), storeKind(newer.message()));
        newer.reply().complete(Wire.EMPTY);
        sync.get(5, TimeUnit.SECONDS);
        ScriptedNodeTest.Script.Sent second = next.get(LOCAL + 1);
        assertEquals("b", stored(second.message()));
        assertEquals(FULL, storeKind(second.message()));
        second.reply().complete(new byte[] {1});
        ScriptedNodeTest.Script.Sent third = net.expectRequest(3, Kind.STORE, LOCAL + 2);
        assertEquals("new@1", stored(third.message()), "stored on node 3 only: the home's value is sent");
        third.reply().complete(new byte[] {1});
        StoreHeal done = heal.get(5, TimeUnit.SECONDS);
        assertEquals(new StoreHeal(1, List.of(3), 3, 2), done);
        assertFalse(missed.getOrDefault(3, Set.of()).contains(LOCAL + 1), "its heal record forgotten");
        assertArrayEquals(bytes("newer"), store.get(LOCAL));
        net.expectNothing();
    }

    /** A store node, or the home, out of the view: refused, naming it, before anything is sent. */
    @Test
    @Covers(S10)
    void aStoreNodeOutOfTheViewIsNamed() throws Exception {
        inViewOne();
        store.put(LOCAL, bytes("a"));
        down.add(3);
        KddmException e = assertThrows(KddmException.class, () -> node.fullHeal.heal(1));
        assertTrue(e.getMessage().contains("node 3, a store node of node 1's objects, is out of the view"),
                e.getMessage());
        down.add(2);
        e = assertThrows(KddmException.class, () -> node.fullHeal.heal(2));
        assertTrue(e.getMessage().startsWith("node 2 is out of the view"), e.getMessage());
        net.expectNothing();
    }

    /** Another home's heal is asked of it (HEAL_FULL); a failure there is this one's. */
    @Test
    @Covers(S10)
    void anotherHomesHealIsAskedOfIt() throws Exception {
        inViewOne();
        CompletableFuture<StoreHeal> heal = CompletableFuture.supplyAsync(() -> node.fullHeal.heal(2));
        ScriptedNodeTest.Script.Sent ask = net.expectRequest(2, Kind.HEAL_FULL, 2);
        assertEquals(1, ask.message().node(), "the asker");
        ask.reply().complete(FullHeal.encode(new StoreHeal(2, List.of(1), 12, 4)));
        assertEquals(new StoreHeal(2, List.of(1), 12, 4), heal.get(5, TimeUnit.SECONDS));
        CompletableFuture<StoreHeal> failing = CompletableFuture.supplyAsync(() -> node.fullHeal.heal(2));
        net.expectRequest(2, Kind.HEAL_FULL, 2).reply().completeExceptionally(new IllegalStateException("disk gone"));
        ExecutionException e = assertThrows(ExecutionException.class, () -> failing.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("disk gone"), e.getCause().getMessage());
    }

    /**
     * As a store node: a full heal's STORE is compared with the copy here and
     * stored only if it differs (the answer says which); STORED lists what this
     * node stores of the asking home's objects.
     */
    @Test
    @Covers({S11, S12})
    void aStoreNodeComparesBeforeItRewrites() throws Exception {
        inViewOne();
        store.put(ON_2, bytes("same"));
        store.put(LOCAL, bytes("mine"));
        assertArrayEquals(new byte[] {0}, net.ask(2, Kind.STORE, ON_2, 2, FULL, bytes("same")).get(5, TimeUnit.SECONDS));
        assertArrayEquals(new byte[] {1}, net.ask(2, Kind.STORE, ON_2, 2, FULL, bytes("home's")).get(5,
                TimeUnit.SECONDS));
        assertArrayEquals(bytes("home's"), store.get(ON_2), "rewritten from the home's value");
        byte[] listing = net.ask(2, Kind.STORED, 2, 2, 0, null).get(5, TimeUnit.SECONDS);
        assertEquals(Map.of(SET, Set.of(ON_2)), FullHeal.decodeListing(listing), "home 2's objects only");
        net.expectNothing();
    }
}
