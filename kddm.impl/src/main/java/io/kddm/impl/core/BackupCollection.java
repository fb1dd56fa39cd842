package io.kddm.impl.core;

import java.nio.ByteBuffer;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.SetIds;
import io.kddm.api.transport.Inbound;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * The collection of old backups (issue 14, slice 3; row R23). An object's
 * backup targets follow its owner and the view ({@link Replication#place}), so
 * the nodes that were targets before keep backups no round replaces: memory
 * held, and a value that could be promoted if every newer copy died. Once a
 * backup round of version {@code v} is acknowledged by every target of the
 * view, and those targets are not the ones the last collection on this owner
 * was made for (or none was since it became owner), the owner tells every
 * other member (BACKUP, count {@link #COLLECT}, the version as its bytes) to
 * drop its backup of the object if it is <em>older</em> than {@code v}; its own
 * store is looked at the same way.
 * <p>
 * Why it is safe: at that moment {@code v} is held by the owner and by every
 * target it asked, each of which acknowledged it and replaces a backup only by
 * a newer one; so dropping strictly older versions elsewhere never lowers the
 * number of copies of the newest version. A drop is conditional: one that
 * comes late (after a later owner's round, or after this node handed the
 * object over) drops only what is older than {@code v}, never the later
 * owner's versions, which go on from {@code v}, nor a value of version
 * {@code v} itself: the value an owner keeps when it hands the object over
 * (R10) is of the version the new owner holds, so it goes only once a newer
 * version is acknowledged on all its targets. The home's claims (R5-R9,
 * R16-R17) take the newest version they are shown, so they never need an
 * older backup once a newer one is kept on N + 1 nodes. An owner taken out of
 * the view (R20) may still have every ack from targets that had not installed
 * the view without it; but a member answers the acting home's claims only once
 * it installed that view (D1), and takes nothing from that owner from then on
 * (D2): its ack and any drop came before its claims, which show {@code v} or
 * newer. What a node drops is counted in {@link Stats#backupsCollected}, the
 * rounds an owner started in {@link Stats#backupCollections}.
 */
final class BackupCollection {
    private static final Logger LOG = LoggerFactory.getLogger(BackupCollection.class);
    /** BACKUP's {@code count} for a conditional drop; its bytes are the version (R23). */
    static final int COLLECT = 2;

    private final Coherence node;
    private final BackupStore store;

    BackupCollection(Coherence node, BackupStore store) {
        this.node = node;
        this.store = store;
    }

    /**
     * Holding the entry's monitor, after a backup round of {@code version} (a
     * put's, sync or visible, a first touch's, a re-replication's): records
     * where it is kept, and when every target acknowledged it and they are not
     * the targets the last collection on this owner was made for, collects the
     * object's older backups from every other member. Row R23.
     */
    void roundDone(SetState s, ObjectEntry e, Version version, Replication.Outcome o) {
        if (!e.version.equals(version)) {
            return; // a newer put is on its way: its own round decides
        }
        e.backedUpOn = o.acked();
        if (o.missing() != null || e.voidedBy != null || !e.state.owner() || e.incoming != null) {
            return;
        }
        Set<Integer> targets = Set.copyOf(o.acked());
        if (targets.equals(e.collectedFor)) {
            return; // the older backups went when the last round to these targets ended
        }
        e.collectedFor = targets;
        collect(s, e.objectId, version, targets);
    }

    /** Holding the entry's monitor: the conditional drop, here and at every member but the targets. */
    private void collect(SetState s, long objectId, Version version, Set<Integer> targets) {
        node.stats.backupCollections.increment();
        if (store.dropOlder(s.id, objectId, version)) {
            node.stats.backupsCollected.increment(); // (kept here when this node was a target, or handed it over)
        }
        byte[] bytes = version.bytes();
        for (int m : node.replication.members()) {
            if (m == node.self || targets.contains(m)) {
                continue;
            }
            try {
                node.transport.request(m, Kind.BACKUP.type(),
                        node.outbox.request(s.id, objectId, node.self, COLLECT, bytes), node.operationTimeout())
                        .whenComplete((ok, failed) -> {
                            if (failed != null) { // a leak, never a risk: the next collection asks again
                                LOG.debug("old backups of object {} of set {} not collected at node {}: {}", objectId,
                                        SetIds.format(s.id), m, failed.toString());
                            }
                        });
            } catch (RuntimeException unreachable) {
                LOG.debug("old backups of object {} not collected at node {}: {}", objectId, m, unreachable.toString());
            }
        }
    }

    /**
     * A disk-backed object was stored at {@code version}: its backups of that
     * version and older are not needed (a failover takes the store's value over
     * them, R31), here and at every other member. Not awaited: a backup left
     * behind costs memory until the next collection, never a value.
     */
    void writtenBack(SetState s, long objectId, Version version) {
        if (node.replication.backups(s) == 0) {
            return; // (a family without backups has none to collect)
        }
        Version above = version.next(version.epoch()); // older than it: version and before
        if (store.dropOlder(s.id, objectId, above)) {
            node.stats.backupsCollected.increment();
        }
        byte[] bytes = above.bytes();
        for (int m : node.replication.members()) {
            if (m != node.self) {
                try {
                    node.transport.request(m, Kind.BACKUP.type(),
                            node.outbox.request(s.id, objectId, node.self, COLLECT, bytes), node.operationTimeout());
                } catch (RuntimeException unreachable) {
                    LOG.debug("written-back backups of object {} not collected at node {}: {}", objectId, m,
                            unreachable.toString());
                }
            }
        }
    }

    /** BACKUP with count {@link #COLLECT} at a member: its backup of the object goes if older. Row R23. */
    void onCollect(Inbound in, Message m) {
        if (m.bytes().length != Version.BYTES) {
            in.fail("malformed BACKUP (collect) of object " + m.objectId() + " (" + m.bytes().length + " bytes)");
            return;
        }
        if (store.dropOlder(m.setId(), m.objectId(), Version.get(ByteBuffer.wrap(m.bytes())))) {
            node.stats.backupsCollected.increment();
        }
        in.reply(Wire.EMPTY);
    }
}
