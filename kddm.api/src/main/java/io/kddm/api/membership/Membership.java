package io.kddm.api.membership;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Who is in the cluster. Node ids are 1..255, as in Kerrighed, so that ids of
 * objects and inodes can carry the node that made them.
 */
@ProviderType
public interface Membership {

    int MIN_NODE = 1;
    int MAX_NODE = 255;

    /** This node's id. */
    int localNode();

    /** Every node ever seen, this one included, ordered by id. */
    List<NodeInfo> nodes();

    Optional<NodeInfo> node(int id);

    /** Whether {@code id} is in the view installed here (this node once it has joined). */
    boolean isUp(int id);

    /** The view installed here: the last one agreed by a majority of the voters that this node may act upon. */
    View view();

    /**
     * Whether this node holds a lease from a majority of the voters: only then may
     * it grant a get or grab, serve a request or own an object. Cheap (a clock
     * read), for every grant.
     */
    boolean hasLease();

    /** The voting nodes (those that agree on views), by id. */
    java.util.SortedSet<Integer> voters();

    /**
     * Registers a view listener; it is told of the view installed now at once
     * (as installed after {@link View#NONE}).
     *
     * @return closing it removes the listener
     */
    AutoCloseable addViewListener(ViewListener listener);

    /**
     * Registers a listener directly (for components that the membership itself
     * cannot wait for); it is told of every known node at once.
     *
     * @return closing it removes the listener
     */
    AutoCloseable addListener(MembershipListener listener);
}
