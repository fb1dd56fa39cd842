package io.kddm.api.membership;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service told of every node state change, in order, from one
 * membership event thread.
 */
@ConsumerType
public interface MembershipListener {

    /**
     * @param node     the node after the change
     * @param previous its state before, or {@code null} when first seen
     */
    void stateChanged(NodeInfo node, NodeState previous);
}
