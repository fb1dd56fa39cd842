package io.kddm.impl.core;

import static io.kddm.impl.core.FailoverStateTest.backup;
import static io.kddm.impl.core.FailoverStateTest.claim;
import static io.kddm.impl.core.FailoverStateTest.claims;
import static io.kddm.impl.core.StateTable.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * Row R30, one step at a time (see {@link ScriptedNodeTest}): a removed
 * object's version stays on every member as its floor, so that a backup of the
 * removed value that a drop missed, or that came late, is never taken over,
 * wherever the object's home is.
 */
class RemovedFloorStateTest extends ScriptedNodeTest {

    @BeforeEach
    void withBackups() {
        backups = 1;
    }

    private static byte[] version(Version v) {
        return v.bytes();
    }

    private List<String> claimsHere(long objectId) throws Exception {
        return claims(net.ask(2, Kind.CLAIM, objectId, 3, 0, null).get(5, TimeUnit.SECONDS));
    }

    @Test
    @Covers({R30, R2})
    void aTargetKeepsTheRemovedVersionAndRefusesOlderBackupsUntilTheObjectIsMadeAnew() throws Exception {
        net.ask(2, Kind.BACKUP, REMOTE, 2, 0, backup(new Version(3, 2), "b2")).get(5, TimeUnit.SECONDS);
        net.ask(2, Kind.BACKUP, REMOTE, 2, 1, version(new Version(3, 2))).get(5, TimeUnit.SECONDS); // the drop
        assertEquals(List.of("6 3.2 "), claimsHere(REMOTE), "no backup: the version it was removed at");
        assertEquals(1, node.removedFloors());
        net.ask(2, Kind.BACKUP, REMOTE, 2, 0, backup(new Version(3, 1), "late")).get(5, TimeUnit.SECONDS);
        net.ask(3, Kind.BACKUP, REMOTE, 3, 0, backup(new Version(3, 2), "removed")).get(5, TimeUnit.SECONDS);
        assertEquals(List.of("6 3.2 "), claimsHere(REMOTE), "a backup of the removed value is refused");
        assertEquals(0, node.backupBytes());
        net.ask(3, Kind.BACKUP, REMOTE, 3, 0, backup(new Version(4, 1), "anew")).get(5, TimeUnit.SECONDS);
        assertEquals(List.of("4 4.1 anew"), claimsHere(REMOTE), "made anew above the floor: the floor goes");
        assertEquals(0, node.removedFloors());
    }

    @Test
    @Covers({R30, R3})
    void aRemoverDropsItsOwnBackupAndSendsTheRemovedVersionWithEveryDrop() throws Exception {
        Version at = new Version(2, 5);
        java.util.concurrent.CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        net.deliver(3, Kind.OWNERSHIP, REMOTE, 0, 2, Wire.ownership(bytes("v1"), at, new int[0]));
        done(grab).close();
        net.expect(2, Kind.DONE, REMOTE);
        java.util.concurrent.CompletableFuture<Void> remove = java.util.concurrent.CompletableFuture
                .runAsync(() -> node.remove(set, REMOTE));
        for (int i = 0; i < 2; i++) {
            ScriptedNodeTest.Script.Sent s = net.sent.poll(5, TimeUnit.SECONDS);
            assertEquals(Kind.BACKUP, s.message().kind());
            assertEquals(at, Wire.version(s.message().bytes(), 0), "the drop names the removed version");
            s.reply().complete(Wire.EMPTY);
        }
        net.expect(2, Kind.REMOVED, REMOTE);
        remove.get(5, TimeUnit.SECONDS);
        assertEquals(List.of("6 " + at + " "), claimsHere(REMOTE));
    }

    @Test
    @Covers({R30, R7})
    void anOwnerFailoverDoesNotPromoteABackupOfTheValueRemovedBefore() throws Exception {
        ownedBy(2);
        net.deliver(2, Kind.REMOVED, LOCAL, 2, 0, version(new Version(5, 9)));
        net.deliver(3, Kind.GRAB_REQ, LOCAL, 3, 0, null); // node 3 makes it anew, above the floor
        net.expect(3, Kind.TOUCH, LOCAL);
        net.deliver(3, Kind.DONE, LOCAL, 3, 0, null);
        down.add(3);
        node.nodeDown(3); // and dies before any backup of the new object was kept
        ScriptedNodeTest.Script.Sent ask = net.expectRequest(2, Kind.CLAIM, LOCAL);
        ask.reply().complete(claim(OwnerFailover.BACKUP, new Version(5, 9), "removed")); // a drop missed node 2
        assertEquals(HomeState.LOST, homeState(LOCAL), "the removed value is not what node 3 held");
        assertEquals(0, node.stats().failovers.sum());
    }

    @Test
    @Covers({R30, R17})
    void aHomeRebuiltElsewhereDoesNotTakeOverABackupOfARemovedValue() throws Exception {
        long onThree = (3L << 24) | 5;
        io.kddm.api.membership.View one = inViewOne();
        // Node 1 kept a backup of the object at 4.3; node 2 removed it at 4.4 and the drop missed node 1.
        net.ask(3, Kind.BACKUP, onThree, 3, 0, backup(new Version(4, 3), "stale")).get(5, TimeUnit.SECONDS);
        down.add(3);
        io.kddm.api.membership.View two = view(2, 1, 2);
        node.viewInstalled(one, two);
        node.nodeDown(3);
        ScriptedNodeTest.Script.Sent ask = net.expectRequest(2, Kind.CLAIMS, 0); // node 1 acts for home 3 now
        byte[] removed = claim(OwnerFailover.REMOVED, new Version(4, 4), "");
        ask.reply().complete(ByteBuffer.allocate(12 + removed.length).putLong(onThree).putInt(removed.length)
                .put(removed).array());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!set.rebuilding.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertTrue(set.rebuilding.isEmpty());
        assertEquals(HomeState.NO_OWNER, homeState(onThree), "not taken over: removed after that backup");
        net.deliverAt(2, SET, 2, Kind.GRAB_REQ, onThree, 2, 0, null);
        Message touch = net.expect(2, Kind.TOUCH, onThree);
        assertEquals(new Version(4, 4), Wire.version(touch.bytes(), 0), "made anew above the removed version");
    }
}
