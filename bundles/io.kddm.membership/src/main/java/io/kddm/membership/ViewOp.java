package io.kddm.membership;

/**
 * A change of the view, as the voters' log records it. Each is idempotent and
 * conditional on the incarnation, so that a retried or late one changes nothing
 * it should not: MicroRaft does not deduplicate an operation whose outcome a
 * leader change left unknown.
 *
 * @param kind        what changes
 * @param node        the node it is about (0 for {@link Kind#NEW_TERM})
 * @param incarnation the incarnation it is about
 */
record ViewOp(Kind kind, int node, long incarnation) {
    enum Kind {
        /** The node joins as this incarnation (replacing an older one). */
        JOIN,
        /** The node leaves in order; only if it is in the view as this incarnation. */
        LEAVE,
        /** The node is taken out (silent too long); only if it is in the view as this incarnation. */
        EXCLUDE,
        /** Appended by each new Raft leader (MicroRaft's new-term operation); changes nothing. */
        NEW_TERM,
        /** Reads the view; changes nothing (a query). */
        READ
    }

    static final ViewOp NEW_TERM_OP = new ViewOp(Kind.NEW_TERM, 0, 0);
    static final ViewOp READ_OP = new ViewOp(Kind.READ, 0, 0);

    @Override
    public String toString() {
        return kind == Kind.NEW_TERM || kind == Kind.READ ? kind.name()
                : kind + " node " + node + " (incarnation " + incarnation + ")";
    }
}
