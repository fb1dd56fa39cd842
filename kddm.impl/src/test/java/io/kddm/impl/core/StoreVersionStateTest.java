package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.membership.View;
import io.kddm.impl.core.LocalOperations.Store;
import io.kddm.impl.core.Wire.Kind;

/**
 * Versions of replicated stores (row S13), node 1 scripted, in the store
 * layout of {@link StoreReplicaStateTest}: home 1's store nodes are 1 and 3,
 * home 2's are 2 and 1. Each store of an acting home is made at a version
 * newer than the one stored there and than any of an older view, recorded
 * beside the value by the linker; a store node keeps the newest whatever the
 * order its stores and heals come in.
 */
class StoreVersionStateTest extends ScriptedNodeTest {
    /** Homed on node 2: node 1 stores it too. */
    static final long ON_2 = (2L << 24) | 7;

    @BeforeEach
    void replicated() {
        diskBacked = true;
        storeCopies = 2;
    }

    private static byte[] versioned(String value, Version v) {
        return Wire.copy(bytes(value), v);
    }

    private static Version versionOf(Wire.Message m) {
        assertTrue((m.count() & StoreReplicas.VERSIONED) != 0, "the STORE carries a version: " + m);
        return Wire.version(m.bytes(), m.bytes().length - Version.BYTES);
    }

    private CompletableFuture<byte[]> storeFrom2(long id, int flags, byte[] bytes) {
        return net.ask(2, Kind.STORE, id, 2, Store.SYNC.ordinal() | flags, bytes);
    }

    @Test
    @Covers({S1, S13})
    void everyStoreOfTheActingHomeIsNewerThanTheLastAndThanAnyOfAnOlderView() throws Exception {
        View one = inViewOne();
        CompletableFuture<byte[]> first = net.ask(2, Kind.SYNC, LOCAL, 2, Store.SYNC.ordinal(), bytes("v1"));
        ScriptedNodeTest.Script.Sent s1 = net.expectRequest(3, Kind.STORE, LOCAL);
        s1.reply().complete(Wire.EMPTY);
        first.get(5, TimeUnit.SECONDS);
        assertEquals(new Version(1, 1), versionOf(s1.message()), "view 1, the first store");
        assertEquals(new Version(1, 1), versions.get(LOCAL), "recorded here beside the value");
        CompletableFuture<byte[]> second = net.ask(2, Kind.SYNC, LOCAL, 2, Store.SYNC.ordinal(), bytes("v2"));
        ScriptedNodeTest.Script.Sent s2 = net.expectRequest(3, Kind.STORE, LOCAL);
        s2.reply().complete(Wire.EMPTY);
        second.get(5, TimeUnit.SECONDS);
        assertEquals(new Version(1, 2), versionOf(s2.message()));
        // A store node (node 3) stored a later view's value while this node was out: its version is newer whatever
        // the sequence, and the next store here, in a newer view still, is newer than it.
        versions.put(LOCAL, new Version(1, 40));
        node.viewInstalled(one, view(5, 1, 2, 3));
        answerRebuilds();
        CompletableFuture<byte[]> third = net.ask(2, Kind.SYNC, LOCAL, 2, Store.SYNC.ordinal(), bytes("v3"));
        ScriptedNodeTest.Script.Sent s3 = net.expectRequest(3, Kind.STORE, LOCAL);
        s3.reply().complete(Wire.EMPTY);
        third.get(5, TimeUnit.SECONDS);
        assertEquals(new Version(5, 41), versionOf(s3.message()), "the view's epoch, after the sequence stored here");
        assertTrue(versionOf(s3.message()).newerThan(new Version(4, 1_000)), "newer than anything of view 4");
    }

    @Test
    @Covers({S3, S13})
    void aStoreOrHealOlderThanTheVersionStoredHereIsAcknowledgedButNotWritten() throws Exception {
        inViewOne();
        assertEquals(0, storeFrom2(ON_2, StoreReplicas.VERSIONED, versioned("newer", new Version(1, 3)))
                .get(5, TimeUnit.SECONDS).length);
        assertArrayEquals(bytes("newer"), store.get(ON_2));
        assertEquals(new Version(1, 3), versions.get(ON_2));
        // A heal of an older store (sent before it, or from a node that missed it) comes after it.
        assertEquals(0, storeFrom2(ON_2, StoreReplicas.VERSIONED | StoreReplicas.HEAL,
                versioned("older", new Version(1, 2))).get(5, TimeUnit.SECONDS).length, "acknowledged");
        assertArrayEquals(bytes("newer"), store.get(ON_2), "the newer value stays");
        assertEquals(new Version(1, 3), versions.get(ON_2));
        assertEquals(1, node.stats().storesKeptNewer.sum());
        // A full heal's compare of an older copy: not rewritten, and said so.
        assertArrayEquals(new byte[] {0}, storeFrom2(ON_2, StoreReplicas.VERSIONED | StoreReplicas.HEAL
                | StoreReplicas.CHECK, versioned("older", new Version(1, 2))).get(5, TimeUnit.SECONDS));
        assertArrayEquals(bytes("newer"), store.get(ON_2));
        // The same version again (a retry), then a newer one: both written.
        storeFrom2(ON_2, StoreReplicas.VERSIONED, versioned("newer", new Version(1, 3))).get(5, TimeUnit.SECONDS);
        storeFrom2(ON_2, StoreReplicas.VERSIONED, versioned("newest", new Version(2, 1))).get(5, TimeUnit.SECONDS);
        assertArrayEquals(bytes("newest"), store.get(ON_2));
        assertEquals(new Version(2, 1), versions.get(ON_2));
        // A removal is versioned too: an older store cannot bring the object back.
        net.ask(2, Kind.STORE, ON_2, 2, Store.REMOVE.ordinal() | StoreReplicas.VERSIONED,
                Wire.copy(Wire.EMPTY, new Version(2, 2))).get(5, TimeUnit.SECONDS);
        storeFrom2(ON_2, StoreReplicas.VERSIONED | StoreReplicas.HEAL, versioned("newest", new Version(2, 1)))
                .get(5, TimeUnit.SECONDS);
        assertEquals(null, store.get(ON_2), "still removed");
        assertEquals(new Version(2, 2), versions.get(ON_2), "the removal's version is kept");
        assertEquals(3, node.stats().storesKeptNewer.sum(), "the older heal, the compare, the older heal after the removal");
    }

    @Test
    @Covers({S4, S13})
    void aHealCarriesTheVersionItsValueWasStoredAt() throws Exception {
        View one = inViewOne();
        View two = without(3, one, view(2, 1, 2));
        net.ask(2, Kind.SYNC, LOCAL, 2, Store.SYNC.ordinal(), bytes("while 3 was out")).get(5, TimeUnit.SECONDS);
        assertEquals(new Version(2, 1), versions.get(LOCAL));
        down.remove(3);
        node.viewInstalled(two, view(3, 1, 2, 3));
        ScriptedNodeTest.Script.Sent heal = next(Kind.STORE);
        assertEquals(3, heal.to());
        assertEquals("while 3 was out", stored(heal.message()));
        assertEquals(new Version(2, 1), versionOf(heal.message()), "the version stored, not a new one");
        assertTrue((heal.message().count() & StoreReplicas.HEAL) != 0);
        heal.reply().complete(Wire.EMPTY);
    }

    @Test
    @Covers(S13)
    void aStoreWithNoVersionIsWrittenAsBeforeVersions() throws Exception {
        inViewOne();
        versions.put(ON_2, new Version(3, 3));
        storeFrom2(ON_2, 0, bytes("unversioned")).get(5, TimeUnit.SECONDS);
        assertArrayEquals(bytes("unversioned"), store.get(ON_2), "a node that sends no version is not refused");
        assertEquals(new Version(3, 3), versions.get(ON_2), "and records none");
    }
}
