package io.kddm.ipc;

/** System V flag values, as Linux defines them. */
public final class Ipc {
    /** The key that never names an existing object: msgget/semget make a new one. */
    public static final long IPC_PRIVATE = 0;
    public static final int IPC_CREAT = 01000;
    public static final int IPC_EXCL = 02000;
    public static final int IPC_NOWAIT = 04000;
    /** msgrcv: a longer message is cut to the size asked instead of failing with E2BIG. */
    public static final int MSG_NOERROR = 010000;
    /** msgrcv with msgtyp &gt; 0: the first message of any other type. */
    public static final int MSG_EXCEPT = 020000;
    /** semop: the operation is undone when the client closes or its node dies or leaves. */
    public static final int SEM_UNDO = 0x1000;

    /** Largest message (MSGMAX). */
    public static final int MSGMAX = 8192;
    /** Default queue byte limit (MSGMNB). */
    public static final int MSGMNB = 16384;
    /** Largest queue byte limit an IPC_SET may ask (what one kDDM object holds). */
    public static final int MSGMNB_MAX = 1 << 20;
    /** Most semaphores in a set (SEMMSL). */
    public static final int SEMMSL = 250;
    /** Most operations in one semop (SEMOPM). */
    public static final int SEMOPM = 500;
    /** Largest semaphore value (SEMVMX); also the bound of an undo adjustment. */
    public static final int SEMVMX = 32767;
    /** Most queues, and most semaphore sets, in the cluster (MSGMNI, SEMMNI). */
    public static final int MNI = 4096;

    private Ipc() {
    }
}
