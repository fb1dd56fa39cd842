package io.kddm.api.transport;

/**
 * Reserved ranges of message types, so that bundles never collide.
 */
public final class MessageTypes {
    /** Membership: heartbeats, leave notices. */
    public static final int MEMBERSHIP_FIRST = 0x0010;
    public static final int HEARTBEAT = MEMBERSHIP_FIRST;
    public static final int LEAVE = MEMBERSHIP_FIRST + 1;
    /** The kDDM core protocol. */
    public static final int KDDM_FIRST = 0x0100;
    /** Services built on kDDM (kDFS, shm, ipc), tests and benchmarks. */
    public static final int SERVICES_FIRST = 0x1000;
    /** The largest message type. */
    public static final int MAX = 0xFFFF;

    private MessageTypes() {
    }
}
