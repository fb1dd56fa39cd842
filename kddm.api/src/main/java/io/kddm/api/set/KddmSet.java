package io.kddm.api.set;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A set of objects shared cluster-wide. Object ids are 0..2^32-1.
 * <p>
 * {@link #get} and {@link #grab} block until the object is here and locked
 * cluster-wide, or fail after the node's operation timeout with
 * {@link OperationTimeoutException}; the {@code try} forms give up after their
 * own timeout and return empty. Every failure is a {@link KddmException}.
 * Outside a critical section nothing is promised about a local copy.
 */
@ProviderType
public interface KddmSet {

    long MAX_OBJECT_ID = 0xFFFF_FFFFL;

    long id();

    String family();

    /** A copy here, read-locked cluster-wide: nobody may write it until the handle is closed. */
    ObjectHandle get(long objectId);

    /** The object here, write-locked cluster-wide: every other copy is invalidated first. */
    ObjectHandle grab(long objectId);

    Optional<ObjectHandle> tryGet(long objectId, Duration timeout);

    Optional<ObjectHandle> tryGrab(long objectId, Duration timeout);

    /** The local copy's bytes if there is one: no message, no lock, no promise of freshness. */
    Optional<byte[]> find(long objectId);

    /** Deletes the object cluster-wide; a later access makes it anew (first touch). */
    void remove(long objectId);

    /**
     * Drops the local copy if it is idle. A read copy is simply dropped; an owned
     * object is handed to another node that is up (through its home), or, if no
     * other node is up, written back through its IO linker and kept here.
     */
    void flush(long objectId);

    /** Writes the object back to its backing store through its IO linker, durably. */
    void sync(long objectId);

    /**
     * Writes the object back to its backing store through its IO linker without
     * asking for durability ({@link io.kddm.api.linker.IoLinker#writeBack}): what it stores outlives
     * the processes of this node and of its home, not necessarily their machines.
     * Cheaper than {@link #sync} when the store forces its writes to disk.
     */
    void writeBack(long objectId);

    /**
     * The nodes holding a copy of the object, its owner first, as its home and
     * owner know them (two messages, no lock): for administration, stale as soon
     * as it returns. A transfer the home has not heard the end of yet does not
     * show (a grab returns before its home is told); a copy dropped by a flush
     * stays listed until the next grab invalidates it. Empty if no node holds
     * the object.
     */
    List<Integer> holders(long objectId);

    /** The object as this node sees it (no message, no lock): its state and copy here, and its home's record if homed here. */
    ObjectStatus status(long objectId);

    /** Starts fetching a read copy; completes when it is here (no lock is held). */
    CompletableFuture<Void> prefetch(long objectId);
}
