package io.kddm.health;

/** The names and tags of a node's health checks ({@code hc.name}, {@code hc.tags}). */
public final class KddmChecks {
    /** Every check of this bundle carries this tag. */
    public static final String TAG = "kddm";
    /** Checks that this node is up and serving: {@code ready}. */
    public static final String READY = "ready";
    /** Checks of the cluster as this node sees it: {@code cluster}. */
    public static final String CLUSTER = "cluster";
    /** Checks of kDFS. */
    public static final String KDFS = "kdfs";

    public static final String BUNDLES_ACTIVE = "bundles active";
    public static final String TRANSPORT_LISTENING = "transport listening";
    public static final String MEMBERSHIP_CONVERGED = "membership converged";
    public static final String CORE_READY = "core ready";
    public static final String KDFS_MOUNTED = "kdfs mounted";
    public static final String LIVE_NODES = "live nodes";
    public static final String OBJECTS_LOST = "objects lost";
    public static final String OPERATIONS_TIMING_OUT = "operations timing out";
    public static final String MEMORY_BUDGET = "memory budget";
    public static final String KDFS_WRITE_BACK = "kdfs write-back backlog";

    private KddmChecks() {
    }
}
