package io.kddm.api.linker;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A kind of set, registered by a bundle as an OSGi service. Sets of a family
 * exist cluster-wide, but only nodes where the family is registered can use them.
 */
@ConsumerType
public interface SetFamily {

    /** Unique name, also the service property {@code kddm.family}. */
    String name();

    /** The id of the IO linker that makes and stores this family's objects. */
    String ioLinker();

    /** Largest object, in bytes. */
    default int maxObjectSize() {
        return 64 * 1024;
    }

    default HomePolicy home() {
        return HomePolicy.ROUND_ROBIN;
    }

    /** Whether first touch must happen at the object's home (disk-backed families) rather than at the requester. */
    default boolean firstTouchAtHome() {
        return false;
    }

    /**
     * Whether local threads exclude each other too. If not, the lock is the
     * node's: several local threads may hold a grab at once (as threads share a page).
     */
    default boolean localExclusion() {
        return true;
    }

    /**
     * How many other nodes keep a backup of each object's value (0: none, the
     * object dies with its owner). A put that changed the value returns once
     * every backup acknowledged it, and no other node is served the object
     * before; when the owner dies, its home promotes the newest surviving copy.
     * Overridden per node by {@code backups.FAMILY} in {@code io.kddm.core}.
     */
    default int backups() {
        return 0;
    }

    /** Whether a put waits for its backups ({@link BackupMode#SYNC}, the default) or not. */
    default BackupMode backupMode() {
        return BackupMode.SYNC;
    }

    /**
     * Well-known sets of this family that nodes open by themselves on first use
     * (its homes must be {@code NODE_BITS} or {@code LINKER}). Like the other
     * traits, a property of the family's sets: it must not change between versions.
     */
    default WellKnownSets wellKnownSets() {
        return WellKnownSets.NONE;
    }
}
