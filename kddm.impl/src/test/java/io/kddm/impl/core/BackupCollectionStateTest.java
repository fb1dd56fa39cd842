package io.kddm.impl.core;

import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.kddm.impl.core.Wire.Kind;

/**
 * The collection of old backups (rows R23, R24), node 1 scripted: as the owner
 * whose round ends with every target's ack, and as a member told to drop an
 * older backup. One backup; {@link #REMOTE} is homed on node 2, so with nodes
 * 1-3 its target is node 3 and node 2 is the member that is neither.
 */
class BackupCollectionStateTest extends ScriptedNodeTest {

    @BeforeEach
    void oneBackup() {
        backups = 1;
    }

    /** Puts {@code value} into {@code id} from a thread of node 1 (grab, write, put). */
    private CompletableFuture<Void> grabAndPut(long id, String value) {
        return CompletableFuture.runAsync(() -> {
            try (Handle h = node.acquire(set, id, true, TimeUnit.SECONDS.toNanos(5), false)) {
                h.value(bytes(value));
            }
        });
    }

    private static byte[] version(Version v) {
        return v.bytes();
    }

    /** The next request node 1 sends, a collection (BACKUP, count 2) to {@code to}: its version. */
    private Version expectCollection(int to, long id) throws InterruptedException {
        ScriptedNodeTest.Script.Sent c = net.expectRequest(to, Kind.BACKUP, id);
        assertEquals(BackupCollection.COLLECT, c.message().count(), "a collection, not a backup: " + c.message());
        c.reply().complete(Wire.EMPTY);
        return Version.get(ByteBuffer.wrap(c.message().bytes()));
    }

    /** The next request node 1 sends, a backup (BACKUP, count 0) to {@code to}, acknowledged: "version value". */
    private String expectBackup(int to, long id) throws InterruptedException {
        ScriptedNodeTest.Script.Sent b = net.expectRequest(to, Kind.BACKUP, id);
        assertEquals(0, b.message().count(), "a backup: " + b.message());
        b.reply().complete(Wire.EMPTY);
        return FailoverStateTest.backupOf(b.message());
    }

    /** A collection of {@code id}'s backups older than {@code v}, from {@code from}, delivered to node 1. */
    private void collect(int from, long id, Version v) throws Exception {
        net.ask(from, Kind.BACKUP, id, from, BackupCollection.COLLECT, version(v)).get(5, TimeUnit.SECONDS);
    }

    private List<String> claimsOn(long id) throws Exception {
        return FailoverStateTest.claims(net.ask(2, Kind.CLAIM, id, 3, 0, null).get(5, TimeUnit.SECONDS));
    }

    @Test
    @Covers({R23})
    void aNewOwnersFirstRoundAndARoundToOtherTargetsCollectOlderBackupsFromEveryOtherMember() throws Exception {
        io.kddm.api.membership.View one = inViewOne();
        // Node 1 was this object's backup target once: its own store holds an old version.
        net.ask(3, Kind.BACKUP, REMOTE, 3, 0, FailoverStateTest.backup(Version.NONE, "old")).get(5, TimeUnit.SECONDS);
        owner(REMOTE, "v1"); // the ownership comes from node 3 at version 0.0 (node 3 keeps it, R10)
        CompletableFuture<Void> put = grabAndPut(REMOTE, "v2");
        assertEquals("1.1 v2", expectBackup(3, REMOTE));
        // Every target has 1.1: node 2, neither owner nor target, drops what is older (node 3 kept 0.0, R10;
        // node 2 may have been an earlier owner's target).
        assertEquals(new Version(1, 1), expectCollection(2, REMOTE));
        put.get(5, TimeUnit.SECONDS);
        assertEquals(0, node.backupCount(), "node 1's own old backup went too: it owns a newer version");
        assertEquals(1, node.stats().backupsCollected.sum());
        // The next round goes to the same target: nothing is left to collect.
        put = grabAndPut(REMOTE, "v3");
        assertEquals("1.2 v3", expectBackup(3, REMOTE));
        put.get(5, TimeUnit.SECONDS);
        net.expectNothing();
        // Node 3 leaves, node 4 joins: the target is node 4 now (the member after home 2, skipping node 1).
        // Re-replication (R12) backs 1.2 up there; once acknowledged, node 2 is told again.
        node.viewInstalled(one, view(2, 1, 2, 4));
        assertEquals("1.2 v3", expectBackup(4, REMOTE));
        assertEquals(new Version(1, 2), expectCollection(2, REMOTE));
        put = grabAndPut(REMOTE, "v4");
        assertEquals("2.3 v4", expectBackup(4, REMOTE));
        put.get(5, TimeUnit.SECONDS);
        net.expectNothing();
        assertEquals(2, node.stats().backupCollections.sum());
    }

    @Test
    @Covers({R24})
    void aMemberDropsOnlyABackupOlderThanTheVersionCollected() throws Exception {
        net.ask(3, Kind.BACKUP, REMOTE, 3, 0, FailoverStateTest.backup(new Version(1, 3), "b3")).get(5,
                TimeUnit.SECONDS);
        collect(3, REMOTE, new Version(1, 3)); // an equal version stays
        collect(2, REMOTE, new Version(1, 2)); // a late collection of an older round: stays
        assertEquals(List.of("4 1.3 b3"), claimsOn(REMOTE));
        assertEquals(0, node.stats().backupsCollected.sum());
        collect(2, REMOTE, new Version(2, 4));
        assertEquals(List.of(), claimsOn(REMOTE), "dropped: a newer version is kept on all its owner's targets");
        assertEquals(0, node.backupBytes());
        assertEquals(1, node.stats().backupsCollected.sum());
        collect(2, REMOTE, new Version(2, 5)); // none here: nothing to do, acknowledged
        assertEquals(1, node.stats().backupsCollected.sum());
    }

    @Test
    @Covers({R10, R24})
    void theValueAnOwnerKeptAsItHandedTheObjectOverGoesOnlyOnceANewerVersionIsCollected() throws Exception {
        owner(REMOTE, "v1");
        CompletableFuture<Void> put = grabAndPut(REMOTE, "v2");
        assertEquals("0.1 v2", expectBackup(3, REMOTE));
        expectCollection(2, REMOTE);
        put.get(5, TimeUnit.SECONDS);
        net.deliver(2, Kind.FWD_GRAB, REMOTE, 3, 0, null);
        net.expect(3, Kind.OWNERSHIP, REMOTE);
        assertEquals(List.of("4 0.1 v2"), claimsOn(REMOTE), "kept as a backup (R10)");
        // Node 3, the new owner, has its first round acknowledged with 0.1 still (a re-replication): kept.
        collect(3, REMOTE, new Version(0, 1));
        assertEquals(List.of("4 0.1 v2"), claimsOn(REMOTE), "of the new owner's version: kept");
        collect(3, REMOTE, new Version(0, 2)); // its put of 0.2 is kept on all its targets
        assertEquals(List.of(), claimsOn(REMOTE));
    }
}
