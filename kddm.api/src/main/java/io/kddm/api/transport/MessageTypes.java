package io.kddm.api.transport;

/**
 * Reserved ranges of message types, so that bundles never collide.
 */
public final class MessageTypes {
    /** Membership: heartbeats (which carry leases), views and their agreement. */
    public static final int MEMBERSHIP_FIRST = 0x0010;
    public static final int HEARTBEAT = MEMBERSHIP_FIRST;
    public static final int LEAVE = MEMBERSHIP_FIRST + 1;
    /** The consensus protocol of the voting nodes (one type; the message kind is inside). */
    public static final int RAFT = MEMBERSHIP_FIRST + 2;
    /** A request to a voter: let a node join, or leave, the view. */
    public static final int VIEW_CHANGE = MEMBERSHIP_FIRST + 3;
    /** An agreed view, pushed to every node, or asked for. */
    public static final int VIEW = MEMBERSHIP_FIRST + 4;
    /** The kDDM core protocol. */
    public static final int KDDM_FIRST = 0x0100;
    /** Services built on kDDM (kDFS, shm, ipc), tests and benchmarks. */
    public static final int SERVICES_FIRST = 0x1000;
    /** The largest message type. */
    public static final int MAX = 0xFFFF;

    private MessageTypes() {
    }
}
