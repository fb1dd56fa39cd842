package io.kddm.ipc.impl;

import java.util.ArrayList;
import java.util.List;

import io.kddm.ipc.Ipc;
import io.kddm.ipc.IpcPerm;
import io.kddm.ipc.Message;
import io.kddm.ipc.QueueInfo;

/**
 * A message queue as one kDDM object: its descriptor (struct msqid_ds), its
 * messages in the order they were sent, and the callers waiting on it. Every
 * send and receive is one grab of it, so each message is taken exactly once.
 * A removed queue stays as a tombstone (its id is never made again), so that
 * waiters and late callers get EIDRM.
 */
final class QueueState {
    /** What a message charges at least against the byte limit: its header in the object (12 bytes), rounded. */
    static final int MIN_CHARGE = 16;

    boolean removed;
    IpcPerm perm;
    long qbytes;
    int lspid;
    int lrpid;
    long stime;
    long rtime;
    long ctime;
    long nextTicket = 1;
    final List<Waiter> waiters = new ArrayList<>();
    final List<Message> messages = new ArrayList<>();

    QueueState(IpcPerm perm, long now) {
        this.perm = perm;
        this.qbytes = Ipc.MSGMNB;
        this.ctime = now;
    }

    private QueueState() {
    }

    /** The queue in an object's bytes; null if the object was never made (no such id). */
    static QueueState decode(byte[] value) {
        if (value.length == 0) {
            return null;
        }
        Bytes.In in = new Bytes.In(value);
        QueueState q = new QueueState();
        q.removed = in.i() != 0;
        q.perm = Perm.read(in);
        q.qbytes = in.l();
        q.lspid = in.i();
        q.lrpid = in.i();
        q.stime = in.l();
        q.rtime = in.l();
        q.ctime = in.l();
        q.nextTicket = in.l();
        int waiters = in.i();
        for (int i = 0; i < waiters; i++) {
            q.waiters.add(Waiter.read(in));
        }
        int messages = in.i();
        for (int i = 0; i < messages; i++) {
            long type = in.l();
            q.messages.add(new Message(type, in.b()));
        }
        return q;
    }

    byte[] encode() {
        Bytes.Out out = new Bytes.Out();
        out.i(removed ? 1 : 0);
        Perm.write(out, perm);
        out.l(qbytes).i(lspid).i(lrpid).l(stime).l(rtime).l(ctime).l(nextTicket).i(waiters.size());
        waiters.forEach(w -> w.write(out));
        out.i(messages.size());
        for (Message m : messages) {
            out.l(m.type()).b(m.data());
        }
        return out.done();
    }

    /** A tombstone: what a removed queue leaves (no messages, no waiters). */
    void tombstone() {
        removed = true;
        messages.clear();
        waiters.clear();
    }

    long cbytes() {
        long n = 0;
        for (Message m : messages) {
            n += m.data().length;
        }
        return n;
    }

    private long charged() {
        long n = 0;
        for (Message m : messages) {
            n += Math.max(MIN_CHARGE, m.data().length);
        }
        return n;
    }

    /** Whether a message of {@code size} bytes fits under the byte limit now. */
    boolean fits(int size) {
        return charged() + Math.max(MIN_CHARGE, size) <= qbytes;
    }

    /** The message a receive of {@code msgtyp} takes, or -1 if none (System V's selection). */
    int select(long msgtyp, int flags) {
        if (msgtyp == 0) {
            return messages.isEmpty() ? -1 : 0;
        }
        if (msgtyp > 0) {
            boolean except = (flags & Ipc.MSG_EXCEPT) != 0;
            for (int i = 0; i < messages.size(); i++) {
                if ((messages.get(i).type() == msgtyp) != except) {
                    return i;
                }
            }
            return -1;
        }
        long limit = msgtyp == Long.MIN_VALUE ? Long.MAX_VALUE : -msgtyp;
        int best = -1;
        for (int i = 0; i < messages.size(); i++) {
            long t = messages.get(i).type();
            if (t <= limit && (best < 0 || t < messages.get(best).type())) {
                best = i;
            }
        }
        return best;
    }

    /** Whether a receiver holding {@code ticket} may take a message now: one is there for it, and no earlier live receiver's. */
    boolean mayReceive(long ticket, long msgtyp, int flags, Liveness live, long now) {
        if (select(msgtyp, flags) < 0) {
            return false;
        }
        for (Waiter w : waiters) {
            if (w.kind() == Waiter.RECEIVE && w.ticket() < ticket && live.alive(w.node(), w.incarnation(),
                    w.deadline(), now) && select(w.type(), w.flags()) >= 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether a sender holding {@code ticket} may append {@code size} bytes now: room, and no earlier live sender that fits. */
    boolean maySend(long ticket, int size, Liveness live, long now) {
        if (!fits(size)) {
            return false;
        }
        for (Waiter w : waiters) {
            if (w.kind() == Waiter.SEND && w.ticket() < ticket && live.alive(w.node(), w.incarnation(), w.deadline(),
                    now) && fits(w.size())) {
                return false;
            }
        }
        return true;
    }

    boolean registered(int node, long ticket) {
        return waiters.stream().anyMatch(w -> w.is(node, ticket));
    }

    /** Drops the waiter, if there; true if it was. */
    boolean unregister(int node, long ticket) {
        return waiters.removeIf(w -> w.is(node, ticket));
    }

    /** Drops the waiters of callers that gave up or whose node is gone; true if any. */
    boolean purge(Liveness live, long now) {
        return waiters.removeIf(w -> !live.alive(w.node(), w.incarnation(), w.deadline(), now));
    }

    int waiting(int kind, Liveness live, long now) {
        return (int) waiters.stream().filter(w -> w.kind() == kind && live.alive(w.node(), w.incarnation(),
                w.deadline(), now)).count();
    }

    QueueInfo info(int id, Liveness live, long now) {
        return new QueueInfo(id, perm, qbytes, cbytes(), messages.size(), lspid, lrpid, stime, rtime, ctime,
                waiting(Waiter.RECEIVE, live, now), waiting(Waiter.SEND, live, now));
    }
}
