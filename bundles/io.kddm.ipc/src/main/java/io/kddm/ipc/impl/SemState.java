package io.kddm.ipc.impl;

import java.util.ArrayList;
import java.util.List;

import io.kddm.ipc.Ipc;
import io.kddm.ipc.IpcPerm;
import io.kddm.ipc.SemInfo;
import io.kddm.ipc.SemOp;

/**
 * A semaphore set as one kDDM object: its descriptor (struct semid_ds), the
 * values and last pids, the callers waiting on it, and the undo records of the
 * clients that used SEM_UNDO on it. A semop is one grab of it, so several
 * operations apply atomically, all or none.
 */
final class SemState {
    /** What a semop would do now. */
    enum Outcome { APPLY, WAIT, RANGE }

    /**
     * The adjustments a client's SEM_UNDO operations left on this set.
     *
     * @param node        the client's node
     * @param incarnation that node's incarnation when it wrote the record
     * @param client      the client, unique on its node
     * @param adjust      what to add to each semaphore when it is undone
     */
    record Undo(int node, long incarnation, long client, int[] adjust) {
        boolean empty() {
            for (int a : adjust) {
                if (a != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    boolean removed;
    IpcPerm perm;
    long otime;
    long ctime;
    int[] values;
    int[] pids;
    long nextTicket = 1;
    final List<Waiter> waiters = new ArrayList<>();
    final List<Undo> undos = new ArrayList<>();

    SemState(IpcPerm perm, int nsems, long now) {
        this.perm = perm;
        this.values = new int[nsems];
        this.pids = new int[nsems];
        this.ctime = now;
    }

    private SemState() {
    }

    static SemState decode(byte[] value) {
        if (value.length == 0) {
            return null;
        }
        Bytes.In in = new Bytes.In(value);
        SemState s = new SemState();
        s.removed = in.i() != 0;
        s.perm = Perm.read(in);
        s.otime = in.l();
        s.ctime = in.l();
        int n = in.i();
        if (n < 0 || n > Ipc.SEMMSL) {
            throw new IllegalStateException("IPC object damaged: " + n + " semaphores");
        }
        s.values = new int[n];
        s.pids = new int[n];
        for (int i = 0; i < n; i++) {
            s.values[i] = in.i();
            s.pids[i] = in.i();
        }
        s.nextTicket = in.l();
        int waiters = in.i();
        for (int i = 0; i < waiters; i++) {
            s.waiters.add(Waiter.read(in));
        }
        int undos = in.i();
        for (int i = 0; i < undos; i++) {
            int node = in.i();
            long inc = in.l();
            long client = in.l();
            int[] adjust = new int[n];
            for (int j = 0; j < n; j++) {
                adjust[j] = in.i();
            }
            s.undos.add(new Undo(node, inc, client, adjust));
        }
        return s;
    }

    byte[] encode() {
        Bytes.Out out = new Bytes.Out();
        out.i(removed ? 1 : 0);
        Perm.write(out, perm);
        out.l(otime).l(ctime).i(values.length);
        for (int i = 0; i < values.length; i++) {
            out.i(values[i]).i(pids[i]);
        }
        out.l(nextTicket).i(waiters.size());
        waiters.forEach(w -> w.write(out));
        out.i(undos.size());
        for (Undo u : undos) {
            out.i(u.node()).l(u.incarnation()).l(u.client());
            for (int a : u.adjust()) {
                out.i(a);
            }
        }
        return out.done();
    }

    void tombstone() {
        removed = true;
        values = new int[0];
        pids = new int[0];
        waiters.clear();
        undos.clear();
    }

    /** Operations as (num, op, flags) triples, as waiters keep them. */
    static int[] flat(List<SemOp> ops) {
        int[] out = new int[ops.size() * 3];
        for (int i = 0; i < ops.size(); i++) {
            out[3 * i] = ops.get(i).num();
            out[3 * i + 1] = ops.get(i).op();
            out[3 * i + 2] = ops.get(i).flags();
        }
        return out;
    }

    /** What {@code ops} (flat triples) would do on the values now, in order, as one step. */
    Outcome simulate(int[] ops) {
        int[] v = values.clone();
        for (int i = 0; i < ops.length; i += 3) {
            int num = ops[i];
            int op = ops[i + 1];
            long next = (long) v[num] + op;
            if (op == 0 ? v[num] != 0 : next < 0) {
                return Outcome.WAIT;
            }
            if (next > Ipc.SEMVMX) {
                return Outcome.RANGE;
            }
            v[num] = (int) next;
        }
        return Outcome.APPLY;
    }

    private static boolean overlap(int[] a, int[] b) {
        for (int i = 0; i < a.length; i += 3) {
            for (int j = 0; j < b.length; j += 3) {
                if (a[i] == b[j]) {
                    return true;
                }
            }
        }
        return false;
    }

    /** What a semop of the caller holding {@code ticket} may do now: no earlier live waiter on the same semaphores could go ahead. */
    Outcome may(long ticket, int[] ops, Liveness live, long now) {
        Outcome o = simulate(ops);
        if (o != Outcome.APPLY) {
            return o;
        }
        for (Waiter w : waiters) {
            if (w.ticket() < ticket && overlap(w.ops(), ops) && live.alive(w.node(), w.incarnation(), w.deadline(), now)
                    && simulate(w.ops()) == Outcome.APPLY) {
                return Outcome.WAIT;
            }
        }
        return Outcome.APPLY;
    }

    boolean registered(int node, long ticket) {
        return waiters.stream().anyMatch(w -> w.is(node, ticket));
    }

    boolean unregister(int node, long ticket) {
        return waiters.removeIf(w -> w.is(node, ticket));
    }

    /**
     * Drops the waiters of callers that gave up or whose node is gone, and
     * applies (then drops) the undo records of nodes no longer in the view, as
     * their clients' exit would have; true if anything changed.
     */
    boolean purge(Liveness live, long now) {
        boolean changed = waiters.removeIf(w -> !live.alive(w.node(), w.incarnation(), w.deadline(), now));
        for (java.util.Iterator<Undo> it = undos.iterator(); it.hasNext();) {
            Undo u = it.next();
            if (!live.member(u.node(), u.incarnation())) {
                undo(u);
                it.remove();
                changed = true;
            }
        }
        return changed;
    }

    /** Applies an undo record, each value kept within 0..SEMVMX (as Linux clamps it). */
    void undo(Undo u) {
        for (int i = 0; i < values.length && i < u.adjust().length; i++) {
            if (u.adjust()[i] != 0) {
                values[i] = (int) Math.max(0, Math.min(Ipc.SEMVMX, (long) values[i] + u.adjust()[i]));
            }
        }
    }

    Undo undoOf(int node, long client) {
        for (Undo u : undos) {
            if (u.node() == node && u.client() == client) {
                return u;
            }
        }
        return null;
    }

    /** SETVAL/SETALL: no client's adjustment of semaphore {@code num} stands any more. */
    void clearAdjustments(int num) {
        for (Undo u : undos) {
            u.adjust()[num] = 0;
        }
        undos.removeIf(Undo::empty);
    }

    int count(int num, boolean zero, Liveness live, long now) {
        int n = 0;
        for (Waiter w : waiters) {
            if (!live.alive(w.node(), w.incarnation(), w.deadline(), now)) {
                continue;
            }
            int[] ops = w.ops();
            for (int i = 0; i < ops.length; i += 3) {
                if (ops[i] == num && (zero ? ops[i + 1] == 0 : ops[i + 1] < 0)) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    SemInfo info(int id, Liveness live, long now) {
        int waiting = (int) waiters.stream().filter(w -> live.alive(w.node(), w.incarnation(), w.deadline(), now))
                .count();
        return new SemInfo(id, perm, values.length, otime, ctime, waiting, undos.size());
    }
}
