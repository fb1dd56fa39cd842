package io.kddm.impl.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backups this node keeps for other nodes' objects: the newest version each
 * owner sent, in the IO linker's wire form, until a newer one comes, the object
 * is removed, its set destroyed, or an owner whose newer version is kept on all
 * its targets collects it ({@link BackupCollection}, row R23). Read by the
 * object's home when its owner dies.
 * <p>
 * A removed object leaves its removed version here (a floor, row R30) until a
 * newer version of it is backed up here, or its set is destroyed: a backup of
 * the removed value that a drop missed, or that comes late, is refused, and the
 * floor is named in the claims, so that no acting home, wherever the home moves,
 * promotes such a backup left on another node.
 */
final class BackupStore {
    /** One object's backup, and the owner that sent it (the node it was handed to, for R10's). */
    record Backup(Version version, byte[] wire, int owner) {
    }

    private final Map<Long, Map<Long, Backup>> sets = new ConcurrentHashMap<>();
    /** Removed versions, by set and object (R30). */
    private final Map<Long, Map<Long, Version>> removed = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();

    /**
     * Keeps {@code b} unless a newer backup of the object is here, or the object
     * was removed at a version not older than {@code b}'s; returns whether it was kept.
     */
    boolean keep(long setId, long objectId, Backup b) {
        boolean[] kept = {false};
        // (Not atomic with removed(): a backup racing a drop may stay beside the floor; claims carry both, and no
        // copy that is not newer than the floor is promoted: OwnerFailover, HomeRebuild.)
        Map<Long, Version> floors = removed.get(setId);
        if (floors != null) {
            Version floor = floors.get(objectId);
            if (floor != null && !b.version().newerThan(floor)) {
                return false; // R30: a backup of the removed value, late
            }
            if (floor != null) {
                floors.remove(objectId, floor); // made anew since: its versions are above the floor
            }
        }
        sets.computeIfAbsent(setId, id -> new ConcurrentHashMap<>()).compute(objectId, (id, old) -> {
            if (old != null && !b.version().newerThan(old.version())) {
                // an equal version from another owner (promoted, then backed up again): it names the live owner
                return b.version().equals(old.version()) && b.owner() != old.owner()
                        ? new Backup(old.version(), old.wire(), b.owner()) : old;
            }
            bytes.addAndGet(b.wire().length - (old == null ? 0 : old.wire().length));
            kept[0] = true;
            return b;
        });
        return kept[0];
    }

    Backup get(long setId, long objectId) {
        Map<Long, Backup> set = sets.get(setId);
        return set == null ? null : set.get(objectId);
    }

    /** Every backup here: set, object, backup. */
    void forEachBackup(Consumer3 action) {
        sets.forEach((setId, set) -> set.forEach((objectId, b) -> action.accept(setId, objectId, b)));
    }

    /** (set, object, backup) */
    interface Consumer3 {
        void accept(long setId, long objectId, Backup b);
    }

    /** The backup of the object names {@code owner} as its owner now (a home said so). */
    void rebind(long setId, long objectId, Version version, int owner) {
        Map<Long, Backup> set = sets.get(setId);
        if (set != null) {
            set.computeIfPresent(objectId, (id, old) -> old.version().equals(version)
                    ? new Backup(old.version(), old.wire(), owner) : old);
        }
    }

    /** Every object of the set with a backup here. */
    void forEach(long setId, java.util.function.LongConsumer action) {
        Map<Long, Backup> set = sets.get(setId);
        if (set != null) {
            set.keySet().forEach(action::accept);
        }
    }

    /** The object was removed at {@code version}: its backup goes, and the version is kept as its floor (R30). */
    void removed(long setId, long objectId, Version version) {
        removed.computeIfAbsent(setId, id -> new ConcurrentHashMap<>()).merge(objectId, version,
                Version::newest);
        dropOlder(setId, objectId, version.next(version.epoch()));
    }

    /** The version the object was removed at, as known here; null if none. */
    Version removedAt(long setId, long objectId) {
        Map<Long, Version> floors = removed.get(setId);
        return floors == null ? null : floors.get(objectId);
    }

    /** Every object of the set removed here at a known version (R30). */
    void forEachRemoved(long setId, java.util.function.LongConsumer action) {
        Map<Long, Version> floors = removed.get(setId);
        if (floors != null) {
            floors.keySet().forEach(action::accept);
        }
    }

    /** How many removed versions are kept here. */
    int removedCount() {
        return removed.values().stream().mapToInt(Map::size).sum();
    }

    void drop(long setId, long objectId) {
        Map<Long, Backup> set = sets.get(setId);
        if (set != null) {
            set.computeIfPresent(objectId, (id, old) -> {
                bytes.addAndGet(-old.wire().length);
                return null;
            });
        }
    }

    /**
     * Drops the object's backup if its version is older than {@code than}; an
     * equal or newer one stays (row R23). Returns whether one was dropped.
     */
    boolean dropOlder(long setId, long objectId, Version than) {
        Map<Long, Backup> set = sets.get(setId);
        boolean[] dropped = {false};
        if (set != null) {
            set.computeIfPresent(objectId, (id, old) -> {
                if (!than.newerThan(old.version())) {
                    return old;
                }
                bytes.addAndGet(-old.wire().length);
                dropped[0] = true;
                return null;
            });
        }
        return dropped[0];
    }

    void dropSet(long setId) {
        removed.remove(setId);
        Map<Long, Backup> set = sets.remove(setId);
        if (set != null) {
            set.values().forEach(b -> bytes.addAndGet(-b.wire().length));
        }
    }

    long bytes() {
        return bytes.get();
    }

    int count() {
        return sets.values().stream().mapToInt(Map::size).sum();
    }
}
