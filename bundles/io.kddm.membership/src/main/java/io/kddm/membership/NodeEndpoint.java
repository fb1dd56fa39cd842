package io.kddm.membership;

import io.microraft.RaftEndpoint;

/** A voter as MicroRaft knows it: the node id (a voter that restarts is the same endpoint: its log is on disk). */
record NodeEndpoint(int node) implements RaftEndpoint {
    @Override
    public Object getId() {
        return node;
    }

    @Override
    public String toString() {
        return "node " + node;
    }
}
