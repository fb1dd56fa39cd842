package io.kddm.api.membership;

/**
 * The state of a node as seen from this node.
 * <pre>
 *   (connected)        ALIVE
 *   ALIVE   --no heartbeat for suspectAfter, or connection lost--&gt; SUSPECT
 *   SUSPECT --heartbeat answered / reconnected--&gt; ALIVE
 *   SUSPECT --nothing heard for deadAfter--&gt; DEAD
 *   any     --leave notice--&gt; LEFT
 *   DEAD, LEFT --reconnected (new incarnation)--&gt; ALIVE
 * </pre>
 */
public enum NodeState {
    ALIVE, SUSPECT, DEAD, LEFT;

    /** Whether requests to the node can be expected to be answered. */
    public boolean isUp() {
        return this == ALIVE || this == SUSPECT;
    }
}
