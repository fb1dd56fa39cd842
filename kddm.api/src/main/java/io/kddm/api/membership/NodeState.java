package io.kddm.api.membership;

/**
 * The state of a node as seen from this node. Being in the cluster means being
 * in the agreed view ({@link View}); the rest is this node's own observation.
 * <pre>
 *   JOINING  connected, not in the view (yet): it asked to join, or was never let in
 *   ALIVE    in the view, heard within suspect.after
 *   SUSPECT  in the view, silent longer than suspect.after (or its connection is lost)
 *   DEAD     taken out of the view: silent longer than dead.after (crashed, paused, cut off)
 *   LEFT     took itself out of the view in order
 * </pre>
 * A DEAD or LEFT node comes back as a new incarnation: JOINING, then ALIVE.
 */
public enum NodeState {
    ALIVE, SUSPECT, DEAD, LEFT, JOINING;

    /** Whether the node is in the view, so requests to it can be expected to be answered. */
    public boolean isUp() {
        return this == ALIVE || this == SUSPECT;
    }
}
