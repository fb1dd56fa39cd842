package io.kddm.api.set;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The set registry of a node: creates, finds and destroys sets cluster-wide.
 * <p>
 * A set id is 64 bits: the creating node's id in the high 8 bits (see
 * {@link SetIds}), so ids made on different nodes never collide. Ids whose node
 * bits are 0 are <em>well-known</em>: every node creates such a set itself,
 * with the same family, when it needs it.
 */
@ProviderType
public interface Kddm {

    /** This node's id. */
    int localNode();

    /**
     * Leaves the cluster in order, while every service of this node still runs:
     * no local get or grab is granted any more, every object this node owns is
     * handed to another node and acknowledged by its home, and the objects of
     * disk-backed families it homes are stored first. Called by the node before it
     * stops (SIGTERM, the end of {@code --exec}, the console's exit); this node's
     * sets are unusable afterwards.
     *
     * @return how many objects could not be handed off (no other node could take them)
     */
    int leave();

    /**
     * Creates a set of {@code family}, known to every node that is up.
     *
     * @throws UnknownFamilyException if no bundle registered that family here
     */
    KddmSet create(String family);

    /**
     * Opens the well-known set {@code setId} (node bits 0) of {@code family},
     * creating it on this node if needed. Its family must place homes by
     * {@code NODE_BITS} or {@code LINKER}, so that every node agrees on them
     * without asking: an object whose id carries no home (node bits 0) and that
     * its linker does not place is refused.
     */
    KddmSet wellKnown(long setId, String family);

    /**
     * The set with this id, asking its creating node if this node has not seen it.
     *
     * @throws UnknownSetException if no node knows the set
     */
    KddmSet lookup(long setId);

    /** The set if this node knows it, without asking anyone. */
    Optional<KddmSet> find(long setId);

    /**
     * Destroys a set here and on every node this one is connected to: its objects
     * are dropped (not synced). A node not reached keeps its copy of the set. A
     * well-known set a family claims may be destroyed from a node that never opened it.
     */
    void destroy(long setId);

    /** The sets known on this node. */
    List<SetInfo> sets();

    /**
     * A full heal of the objects homed on node {@code home}, for families whose IO
     * linker stores each object on several nodes: the acting home compares every
     * object either it or another store node stores ({@code IoLinker#stored}) with
     * that store node's copy, and rewrites the copies that differ or are missing
     * from its own, each under the object's store lock (a concurrent store is not
     * undone). Asked of the home by any node; returns once every object was compared.
     *
     * @throws KddmException if a store node of {@code home} is out of the view (the
     *                       home included: its copy is the one compared with), or
     *                       an object could not be compared
     * @since 1.7
     */
    StoreHeal healStores(int home);

    /** This node's counters and latency percentiles (no message). */
    KddmStats stats();

    /**
     * A view of {@code set} from the interface linker named {@code linker}.
     *
     * @throws LinkerMissingException if no such interface linker is registered here
     * @throws IllegalArgumentException if its views are not of {@code type}
     */
    <V> V view(KddmSet set, String linker, Class<V> type);
}
