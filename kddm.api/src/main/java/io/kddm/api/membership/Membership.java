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

    /** Whether {@code id} is this node or a node in state ALIVE or SUSPECT. */
    boolean isUp(int id);

    /**
     * Registers a listener directly (for components that the membership itself
     * cannot wait for); it is told of every known node at once.
     *
     * @return closing it removes the listener
     */
    AutoCloseable addListener(MembershipListener listener);
}
