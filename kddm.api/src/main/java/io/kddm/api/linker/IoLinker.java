package io.kddm.api.linker;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Makes, moves and stores the objects of a family. Registered as an OSGi
 * service with the property {@code kddm.linker.io} = {@link #id()}, so a linker
 * bundle can be updated or replaced while the cluster runs: the core keeps
 * every object's canonical bytes itself and calls the linker only at these points.
 * <p>
 * Calls for one object may overlap: two holders of read copies may
 * {@link #sync} it at once, at its home. The store calls ({@link #firstTouch},
 * {@link #sync}, {@link #remove}) run on callers' or kDDM's worker threads and
 * may block (disk); the others are made inside the coherence protocol, possibly
 * on a transport thread, and must return quickly.
 * <p>
 * While a linker's bundle is being updated, nodes keep serving each other: the
 * notifications ({@link #insert}, {@link #invalidate}, {@link #put}) meant for
 * it are skipped, and objects keep moving only if it leaves {@link #export} and
 * {@link #importObject} as they are (otherwise messages about them fail until
 * it is back). Store calls ({@link #firstTouch}, {@link #sync}, {@link #remove})
 * wait for the new version, up to the core's {@code linker.grace.ms}.
 */
@ConsumerType
public interface IoLinker {

    String id();

    /** The bytes of an object touched for the first time anywhere: new, or read from the backing store. */
    byte[] firstTouch(SetContext set, long objectId);

    /** Bytes for the wire; the default sends the canonical bytes as they are. */
    default byte[] export(SetContext set, long objectId, byte[] value) {
        return value;
    }

    /** Canonical bytes from the wire; the default takes them as they are. */
    default byte[] importObject(SetContext set, long objectId, byte[] wire) {
        return wire;
    }

    /** A copy or the ownership of the object arrived on this node. */
    default void insert(SetContext set, long objectId, byte[] value) {
    }

    /** The local copy is being dropped because another node writes the object. */
    default void invalidate(SetContext set, long objectId) {
    }

    /**
     * The object is deleted cluster-wide: called on the node that held it last,
     * and, for a family that first-touches at home, also at the object's home
     * (its store is there).
     */
    default void remove(SetContext set, long objectId) {
    }

    /**
     * Write the object back to the backing store, durably. For a family that
     * first-touches at home, always called at the object's home, with the bytes
     * the holder sent.
     */
    default void sync(SetContext set, long objectId, byte[] value) {
    }

    /**
     * Write the object back to the backing store; durability is not asked (a
     * later {@link #sync} asks it), only that the store outlives this process.
     * Called where {@link #sync} is; the default is {@link #sync}.
     */
    default void writeBack(SetContext set, long objectId, byte[] value) {
        sync(set, objectId, value);
    }

    /** A grab was released; {@code value} is what it published. */
    default void put(SetContext set, long objectId, byte[] value) {
    }

    /**
     * How many nodes store each object of a family that first-touches at home:
     * its home and the next ones of {@link #storeNodes}. With more than one, the
     * home's stores are replicated by kDDM (each store is also made on the other
     * store nodes in the view before it returns) and, while the home is out of
     * the view, the first store node in it acts as home. 1 (the default): the
     * home alone. Must be the same on every node.
     */
    default int storeReplicas(SetContext set) {
        return 1;
    }

    /**
     * The nodes whose stores hold the objects homed on {@code home}, {@code home}
     * first; the same on every node. The default: {@code home} alone.
     */
    default java.util.List<Integer> storeNodes(SetContext set, int home) {
        return java.util.List.of(home);
    }

    /**
     * Store node {@code node} missed a store of the object (it was out of the view,
     * or did not answer): recorded durably here (a heal index) before the store
     * is acknowledged, so that the node is healed when it is back.
     */
    default void missed(SetContext set, long objectId, int node) {
    }

    /** The objects of this linker's sets that store node {@code node} missed ({@link #missed}), by set id. */
    default java.util.Map<Long, java.util.Set<Long>> missedBy(int node) {
        return java.util.Map.of();
    }

    /**
     * Every object of this linker's sets that this node stores of those homed on
     * {@code home} (its own, or its replica of {@code home}'s), by set id: what a
     * full heal compares between the store nodes, as if each had been missed. The
     * default: none (a linker that lists nothing is not healed in full).
     *
     * @since 1.5
     */
    default java.util.Map<Long, java.util.Set<Long>> stored(int home) {
        return java.util.Map.of();
    }

    /**
     * The version of the value of the object stored here, as last recorded by
     * {@link #storedAs}: a 16-byte tag kDDM gives each replicated store and
     * orders (opaque to the linker); null if none was recorded. A store node
     * never replaces a newer stored version by an older one, so that stores and
     * heals reaching it in any order leave the newest.
     *
     * @since 1.6
     */
    default byte[] storedVersion(SetContext set, long objectId) {
        return null;
    }

    /**
     * Records, after a store of the object ({@link #sync}, {@link #writeBack} or
     * {@link #remove}: a removed object keeps its version), the version of what
     * was stored; forced to disk if {@code durable} (a sync or a removal), else
     * only outliving this process, as {@link #writeBack}. The default records
     * nothing: such a linker's replicas are ordered by kDDM's store locks alone.
     *
     * @since 1.6
     */
    default void storedAs(SetContext set, long objectId, byte[] version, boolean durable) {
    }

    /** Store node {@code node} has the object's stored value now: it no longer missed it. */
    default void healed(SetContext set, long objectId, int node) {
    }

    /**
     * The object's home under {@link HomePolicy#LINKER}; any value not in
     * {@code set.nodes()} falls back to round robin, except in a well-known set,
     * where it is an error (nodes open such sets knowing different nodes).
     */
    default int defaultOwner(SetContext set, long objectId) {
        return -1;
    }
}
