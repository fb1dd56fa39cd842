package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.kddm.impl.core.LocalOperations.Store;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * Backups of a disk-backed family with one store node per home, node 1
 * scripted as the home and as a holder (rows S16, R31): stores are made at the
 * value's own version, a first touch takes the store's, and a failover
 * promotes a backup only if it is newer than the store.
 */
class DiskBackupStateTest extends ScriptedNodeTest {
    @BeforeEach
    void diskBackedWithOneBackup() {
        diskBacked = true;
        backups = 1;
    }

    private static Version versionOf(Message m) {
        return Wire.version(m.bytes(), m.bytes().length - Version.BYTES);
    }

    /** Node 2 grabs {@link #LOCAL}, first touched here from the store; returns the version it was given. */
    private Version ownedBy2() throws Exception {
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        Message ownership = net.expect(2, Kind.OWNERSHIP, LOCAL);
        net.deliver(2, Kind.DONE, LOCAL, 2, 0, null);
        return Wire.version(ownership.bytes(), ownership.count()); // (the value's length, then its version)
    }

    @Test
    @Covers({S16, H3})
    void aFirstTouchTakesTheStoresVersionAndAHoldersStoreIsMadeAtItsOwn() throws Exception {
        store.put(LOCAL, bytes("stored"));
        versions.put(LOCAL, new Version(1, 5));
        assertEquals(new Version(1, 5), ownedBy2(), "the store's version, not a new one");
        assertEquals(0, net.ask(2, Kind.SYNC, LOCAL, 2, Store.SYNC.ordinal() | StoreReplicas.VERSIONED,
                Wire.copy(bytes("put twice"), new Version(1, 7))).get(5, TimeUnit.SECONDS).length);
        assertArrayEquals(bytes("put twice"), store.get(LOCAL));
        assertEquals(new Version(1, 7), versions.get(LOCAL), "the holder's version");
        // A write-back of an older value that comes late (its holder gave up waiting) is not written, and fails:
        // a holder whose value is older than the store must not take it for stored.
        var late = net.ask(2, Kind.SYNC, LOCAL, 2, Store.SYNC.ordinal() | StoreReplicas.VERSIONED,
                Wire.copy(bytes("put once"), new Version(1, 6)));
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                () -> late.get(5, TimeUnit.SECONDS)).getCause().getMessage().contains("newer than this value's 1.6"));
        assertArrayEquals(bytes("put twice"), store.get(LOCAL));
        assertEquals(new Version(1, 7), versions.get(LOCAL));
        assertEquals(1, node.stats().storesKeptNewer.sum());
    }

    @Test
    @Covers({S16, H3})
    void anObjectNeverStoredIsMadeAboveTheFloor() throws Exception {
        net.deliver(2, Kind.REMOVED, LOCAL, 2, 0, new Version(3, 4).bytes()); // (its home's floor, R3)
        Version v = ownedBy2();
        assertTrue(v.newerThan(new Version(3, 4)), "above the floor: " + v);
    }

    /** Node 2 owns {@link #LOCAL}, stored here at 1.5, and dies: the claim node 1 asks of node 3. */
    private ScriptedNodeTest.Script.Sent ownerDiesAfterAWriteBack() throws Exception {
        store.put(LOCAL, bytes("written back"));
        versions.put(LOCAL, new Version(1, 5));
        ownedBy2();
        down.add(2);
        node.nodeDown(2);
        return net.expectRequest(3, Kind.CLAIM, LOCAL);
    }

    @Test
    @Covers({R31, R5, R8})
    void aBackupNoNewerThanTheStoreIsNotPromotedAndTheStoreServes() throws Exception {
        ScriptedNodeTest.Script.Sent claim = ownerDiesAfterAWriteBack();
        // Node 3 keeps a backup of the version the store has (its collection has not come yet).
        claim.reply().complete(FailoverStateTest.claim(OwnerFailover.BACKUP, new Version(1, 5), "backed up"));
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        Message copy = net.expect(3, Kind.COPY, LOCAL);
        assertEquals("written back", copyText(copy), "read from the store again");
        assertEquals(new Version(1, 5), versionOf(copy));
        assertEquals(0, node.stats().failovers.sum(), "nothing promoted");
    }

    @Test
    @Covers({R31, R5, R8})
    void aBackupNewerThanTheStoreIsPromotedAndWrittenBack() throws Exception {
        ScriptedNodeTest.Script.Sent claim = ownerDiesAfterAWriteBack();
        claim.reply().complete(FailoverStateTest.claim(OwnerFailover.BACKUP, new Version(1, 8), "put since"));
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        Message served = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (served == null || !"put since".equals(text(store.getOrDefault(LOCAL, new byte[0])))) {
            ScriptedNodeTest.Script.Sent s = net.sent.poll(100, TimeUnit.MILLISECONDS);
            assertTrue(System.nanoTime() < deadline, "served " + served + ", stored " + text(store.get(LOCAL)));
            if (s == null) {
                continue;
            }
            if (s.message().kind() == Kind.COPY) {
                served = s.message();
            } else if (s.reply() != null) {
                s.reply().complete(Wire.EMPTY); // (backed up again, R12; its old backups collected, R31)
            }
        }
        assertEquals("put since", copyText(served), "the backup, newer than the store");
        assertEquals(new Version(1, 8), versionOf(served));
        assertEquals(new Version(1, 8), versions.get(LOCAL), "written back here at its version");
        assertEquals(1, node.stats().failovers.sum());
    }

    @Test
    @Covers({R31, R8})
    void readCopiesOfTheStoresVersionGoInTheCopysetOfTheStoresValue() throws Exception {
        ScriptedNodeTest.Script.Sent claim = ownerDiesAfterAWriteBack();
        claim.reply().complete(FailoverStateTest.claim(OwnerFailover.COPY, new Version(1, 5), "written back"));
        // Node 3 reads its copy locally; the next grab must invalidate it, though nothing was promoted.
        var grab = local(LOCAL, true);
        Message inv = net.expect(3, Kind.INV, LOCAL);
        assertEquals(1, inv.node(), "acks come back to node 1");
        assertTrue(!grab.isDone(), "not granted before node 3's copy is gone");
        net.deliver(3, Kind.INV_ACK, LOCAL, 3, 0, null);
        Handle h = done(grab);
        assertEquals("written back", text(h.value()), "the store's value");
        h.close();
        assertEquals(new Version(1, 5), set.objects.get(LOCAL).version);
    }

    /** The store cannot be read at the first try: tried again, the copies still end in the copyset. */
    @Test
    @Covers({R31, R8})
    void aStoreReadThatFailsOnceIsTriedAgainWithTheCopies() throws Exception {
        ScriptedNodeTest.Script.Sent claim = ownerDiesAfterAWriteBack();
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        onStoredVersion = id -> {
            if (reads.incrementAndGet() == 2) { // (the first is the compare, the second the read of the store)
                throw new io.kddm.api.set.KddmException("disk busy");
            }
        };
        claim.reply().complete(FailoverStateTest.claim(OwnerFailover.COPY, new Version(1, 5), "written back"));
        var grab = local(LOCAL, true);
        net.expect(3, Kind.INV, LOCAL);
        net.deliver(3, Kind.INV_ACK, LOCAL, 3, 0, null);
        done(grab).close();
        assertTrue(reads.get() >= 4, "read again after the failure: " + reads.get());
    }

    @Test
    @Covers({R31, L4})
    void aWriteBackCollectsTheBackupsOfItsVersionEverywhere() throws Exception {
        inViewOne();
        // Node 1 holds a backup of REMOTE, homed on node 2, at the version it is about to read and write back.
        net.ask(2, Kind.BACKUP, REMOTE, 2, 0, FailoverStateTest.backup(new Version(1, 3), "v3"))
                .get(5, TimeUnit.SECONDS);
        assertTrue(node.replication.store.get(SET, REMOTE) != null);
        var get = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        net.deliver(3, Kind.COPY, REMOTE, 3, 0, Wire.copy(bytes("v3"), new Version(1, 3)));
        var h = done(get);
        net.expect(2, Kind.DONE, REMOTE);
        h.close();
        var sync = java.util.concurrent.CompletableFuture.runAsync(() -> node.sync(set, REMOTE, false));
        ScriptedNodeTest.Script.Sent atHome = net.expectRequest(2, Kind.SYNC, REMOTE);
        assertEquals(new Version(1, 3), versionOf(atHome.message()), "the SYNC carries the value's version");
        assertTrue(node.replication.store.get(SET, REMOTE) != null, "not dropped before the store acknowledged");
        atHome.reply().complete(Wire.EMPTY);
        for (int i = 0; i < 2; i++) { // the collection goes to nodes 2 and 3, not awaited
            ScriptedNodeTest.Script.Sent c = net.sent.poll(5, TimeUnit.SECONDS);
            assertEquals(Kind.BACKUP, c.message().kind());
            assertEquals(BackupCollection.COLLECT, c.message().count());
            assertEquals(new Version(1, 4), Version.get(java.nio.ByteBuffer.wrap(c.message().bytes())),
                    "what is older than the version after the one stored");
            c.reply().complete(Wire.EMPTY);
        }
        sync.get(5, TimeUnit.SECONDS);
        assertNull(node.replication.store.get(SET, REMOTE), "its own backup went too");
    }
}
