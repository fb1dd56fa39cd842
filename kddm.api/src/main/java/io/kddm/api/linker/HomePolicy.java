package io.kddm.api.linker;

/** Where an object's home is: the node that serves it when nobody holds it. */
public enum HomePolicy {
    /** Object id modulo the set's node list. */
    ROUND_ROBIN,
    /** The node id in bits 24..31 of the object id (as kDFS inode ids carry it). */
    NODE_BITS,
    /** The node that created the set. */
    FIXED,
    /** The IO linker's {@link IoLinker#defaultOwner} decides. */
    LINKER
}
