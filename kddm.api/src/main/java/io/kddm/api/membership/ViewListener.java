package io.kddm.api.membership;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told of the views this node installs, in epoch order, from one membership
 * thread. A view that takes nodes out is installed only once their leases have
 * surely expired, so that what they held may be taken over at once.
 */
@ConsumerType
public interface ViewListener {
    /**
     * A new view is in force on this node. The nodes of {@code previous} that are
     * not in {@code current} (as the same incarnation) left, were excluded or
     * restarted: they no longer hold or serve anything.
     */
    void installed(View previous, View current);

    /**
     * This node was excluded from the cluster (it was paused or cut off longer
     * than the failure bound): everything it held is void, and it joins again as
     * a new incarnation. Told before the first view that has it again.
     */
    default void excluded(View current) {
    }

    /**
     * This node lost its lease from a majority of the voters ({@code held}
     * false: it must not grant, serve or own anything until it is back) or got
     * one again.
     */
    default void leaseChanged(boolean held) {
    }
}
