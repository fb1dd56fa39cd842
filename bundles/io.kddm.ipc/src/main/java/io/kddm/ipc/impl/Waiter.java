package io.kddm.ipc.impl;

/**
 * A caller waiting on a queue or a semaphore set, recorded in the object so
 * that every node serves waiters in the order they came: a caller may go ahead
 * only if no earlier waiter, still alive ({@link Liveness}), could go ahead too.
 *
 * @param ticket      its place in the line (the object's counter when it registered)
 * @param node        the node it waits on
 * @param incarnation that node's incarnation
 * @param deadline    when it gives up, ms since the epoch
 * @param kind        {@link #RECEIVE}, {@link #SEND} or {@link #SEMOP}
 * @param type        a receiver's msgtyp, a sender's type
 * @param flags       its flags
 * @param size        a receiver's size limit, a sender's message size
 * @param ops         a semop's operations, as (num, op, flags) triples
 */
record Waiter(long ticket, int node, long incarnation, long deadline, int kind, long type, int flags, int size,
        int[] ops) {
    static final int RECEIVE = 1;
    static final int SEND = 2;
    static final int SEMOP = 3;
    /** The place of a caller not in the line yet: after everyone. */
    static final long NONE = Long.MAX_VALUE;

    void write(Bytes.Out out) {
        out.l(ticket).i(node).l(incarnation).l(deadline).i(kind).l(type).i(flags).i(size).i(ops.length);
        for (int v : ops) {
            out.i(v);
        }
    }

    static Waiter read(Bytes.In in) {
        long ticket = in.l();
        int node = in.i();
        long incarnation = in.l();
        long deadline = in.l();
        int kind = in.i();
        long type = in.l();
        int flags = in.i();
        int size = in.i();
        int n = in.i();
        if (n < 0 || n > 3 * io.kddm.ipc.Ipc.SEMOPM) {
            throw new IllegalStateException("IPC object damaged: a waiter with " + n + " operation words");
        }
        int[] ops = new int[n];
        for (int i = 0; i < n; i++) {
            ops[i] = in.i();
        }
        return new Waiter(ticket, node, incarnation, deadline, kind, type, flags, size, ops);
    }

    /** Whether this is the caller of {@code node} holding {@code ticket}. */
    boolean is(int node, long ticket) {
        return this.node == node && this.ticket == ticket;
    }
}
