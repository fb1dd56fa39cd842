package io.kddm.api.linker;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Makes, moves and stores the objects of a family. Registered as an OSGi
 * service with the property {@code kddm.linker.io} = {@link #id()}, so a linker
 * bundle can be updated or replaced while the cluster runs: the core keeps
 * every object's canonical bytes itself and calls the linker only at these points.
 * <p>
 * Calls for one object never overlap. They may block (disk) but run on kDDM's
 * own threads, never on a transport thread.
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

    /** A grab was released; {@code value} is what it published. */
    default void put(SetContext set, long objectId, byte[] value) {
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
