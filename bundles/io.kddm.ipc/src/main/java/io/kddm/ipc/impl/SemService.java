package io.kddm.ipc.impl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.ipc.Caller;
import io.kddm.ipc.Errno;
import io.kddm.ipc.Ipc;
import io.kddm.ipc.IpcException;
import io.kddm.ipc.IpcPerm;
import io.kddm.ipc.SemClient;
import io.kddm.ipc.SemInfo;
import io.kddm.ipc.SemOp;
import io.kddm.ipc.Semaphores;
import io.kddm.ipc.impl.IpcSets.Kind;
import io.kddm.ipc.impl.SemState.Outcome;
import io.kddm.ipc.impl.SemState.Undo;

/**
 * semget, semop and semctl over the semaphore set objects ({@link SemState}).
 * A semop is one grab; one that must wait enters the set's line and sleeps
 * until the set changes ({@link Blocking}). SEM_UNDO records live in the set,
 * per client: a client's close applies them, and a node taken out of the view
 * has its records applied by whichever node grabs the set next (every grab
 * purges them) or by the sweep a view change starts ({@link #purgeAll}).
 */
final class SemService implements Semaphores {
    private static final Logger LOG = LoggerFactory.getLogger(SemService.class);

    private final Directory directory;
    private final Blocking blocking;
    private final Liveness live;
    /** The clients open on this node, closed (undone) when the service stops. */
    private final Map<Long, Client> clients = new ConcurrentHashMap<>();

    SemService(Directory directory, Blocking blocking, Liveness live) {
        this.directory = directory;
        this.blocking = blocking;
        this.live = live;
    }

    private KddmSet data() {
        return directory.set(IpcSets.SEM_DATA);
    }

    @Override
    public int semget(Caller caller, long key, int nsems, int flags) {
        if (nsems < 0 || nsems > Ipc.SEMMSL) {
            throw new IpcException(Errno.EINVAL, "nsems must be 0.." + Ipc.SEMMSL + ", not " + nsems);
        }
        boolean creating = (flags & Ipc.IPC_CREAT) != 0 || key == Ipc.IPC_PRIVATE;
        return directory.get(Kind.SEMAPHORES, key, flags, SemService::live, bytes -> {
            SemState s = SemState.decode(bytes);
            Perm.check(caller, s.perm, QueueService.requested(flags), "semaphore set of key " + Directory.hex(key));
            if (nsems > s.values.length) {
                throw new IpcException(Errno.EINVAL, "the semaphore set of key " + Directory.hex(key) + " has "
                        + s.values.length + " semaphores, fewer than " + nsems);
            }
        }, id -> {
            if (nsems == 0 && creating) {
                throw new IpcException(Errno.EINVAL, "a new semaphore set needs nsems 1.." + Ipc.SEMMSL);
            }
            return new SemState(new IpcPerm(key, caller.uid(), caller.gid(), caller.uid(), caller.gid(), flags & 0777),
                    nsems, System.currentTimeMillis()).encode();
        });
    }

    private static boolean live(byte[] bytes) {
        SemState s = SemState.decode(bytes);
        return s != null && !s.removed;
    }

    private static SemState of(ObjectHandle h, int id) {
        SemState s = id <= 0 ? null : SemState.decode(h.value());
        if (s == null) {
            throw new IpcException(Errno.EINVAL, "no semaphore set has id " + id);
        }
        if (s.removed) {
            throw new IpcException(Errno.EIDRM, "semaphore set " + id + " was removed");
        }
        return s;
    }

    private static void checkId(int id) {
        if (id <= 0) {
            throw new IpcException(Errno.EINVAL, "no semaphore set has id " + id);
        }
    }

    private static void checkNum(SemState s, int id, int num) {
        if (num < 0 || num >= s.values.length) {
            throw new IpcException(Errno.EINVAL, "semaphore set " + id + " has semaphores 0.." + (s.values.length - 1)
                    + ", not " + num);
        }
    }

    @Override
    public SemClient open(Caller caller) {
        Client c = new Client(caller, ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        clients.put(c.id, c);
        return c;
    }

    /** Closes every client of this node (the service stops or the node leaves): their undo records are applied. */
    void closeAll() {
        List.copyOf(clients.values()).forEach(Client::close);
    }

    private void semop(Client client, int id, List<SemOp> ops, Duration timeout) {
        checkId(id);
        if (ops.isEmpty() || ops.size() > Ipc.SEMOPM) {
            throw new IpcException(ops.isEmpty() ? Errno.EINVAL : Errno.E2BIG, "a semop takes 1.." + Ipc.SEMOPM
                    + " operations, not " + ops.size());
        }
        int[] flat = SemState.flat(ops);
        boolean nowait = ops.stream().anyMatch(SemOp::nowait);
        boolean alter = ops.stream().anyMatch(o -> o.op() != 0);
        boolean undo = ops.stream().anyMatch(SemOp::undo);
        Caller caller = client.caller;
        long[] ticket = {Waiter.NONE};
        long deadline = Blocking.deadline(timeout);
        if (undo) {
            client.touched.add(id); // before it applies: a close while it runs still looks at this set
        }
        blocking.await(IpcSets.SEM_DATA, IpcSets.object(id), nowait ? Duration.ZERO : timeout, last -> {
            long now = System.currentTimeMillis();
            // A caller in the line looks under a get first (woken, it may find nothing for it: no ownership moved
            // for that); a first attempt grabs at once, as it must to take or to join the line: one step, not two.
            if (!last && ticket[0] != Waiter.NONE) {
                try (ObjectHandle h = data().get(IpcSets.object(id))) {
                    SemState s = of(h, id);
                    check(caller, s, id, ops, alter);
                    Outcome o = s.may(ticket[0], flat, live, now);
                    if (o == Outcome.RANGE) {
                        throw range(id, ops);
                    }
                    if (o == Outcome.WAIT && nowait) {
                        throw new IpcException(Errno.EAGAIN, "semaphore set " + id + " cannot take " + ops + " now");
                    }
                    if (o == Outcome.WAIT && s.registered(live.self(), ticket[0])) {
                        return Optional.empty();
                    }
                }
            }
            try (ObjectHandle h = data().grab(IpcSets.object(id))) {
                SemState s = of(h, id);
                check(caller, s, id, ops, alter);
                boolean changed = s.purge(live, now);
                Outcome o = s.may(ticket[0], flat, live, now);
                if (o == Outcome.APPLY) {
                    Undo record = undo ? s.undoOf(live.self(), client.id) : null;
                    int[] adjust = record != null ? record.adjust().clone() : new int[s.values.length];
                    for (SemOp op : ops) {
                        s.values[op.num()] += op.op();
                        s.pids[op.num()] = caller.pid();
                        if (op.undo()) {
                            adjust[op.num()] -= op.op();
                            if (Math.abs(adjust[op.num()]) > Ipc.SEMVMX) {
                                throw new IpcException(Errno.ERANGE, "the undo adjustment of semaphore " + op.num()
                                        + " of set " + id + " would pass " + Ipc.SEMVMX);
                            }
                        }
                    }
                    if (undo) {
                        s.undos.removeIf(u -> u.node() == live.self() && u.client() == client.id);
                        Undo next = new Undo(live.self(), live.incarnation(), client.id, adjust);
                        if (!next.empty()) {
                            s.undos.add(next);
                        }
                    }
                    s.unregister(live.self(), ticket[0]);
                    s.otime = now;
                    h.value(s.encode());
                    return Optional.of(Boolean.TRUE);
                }
                if (o == Outcome.RANGE || nowait) {
                    if (s.unregister(live.self(), ticket[0]) || changed) {
                        h.value(s.encode());
                    }
                    throw o == Outcome.RANGE ? range(id, ops)
                            : new IpcException(Errno.EAGAIN, "semaphore set " + id + " cannot take " + ops + " now");
                }
                if (last) {
                    changed |= s.unregister(live.self(), ticket[0]);
                } else if (!s.registered(live.self(), ticket[0])) {
                    ticket[0] = s.nextTicket++;
                    s.waiters.add(new Waiter(ticket[0], live.self(), live.incarnation(), deadline, Waiter.SEMOP, 0, 0,
                            0, flat));
                    changed = true;
                }
                if (changed) {
                    h.value(s.encode());
                }
                return Optional.empty();
            }
        }, () -> leaveLine(id, ticket[0]), "semop " + ops + " on set " + id);
    }

    /** Takes a caller out of the line of {@code id}, if it is in it. */
    private void leaveLine(int id, long ticket) {
        if (ticket == Waiter.NONE) {
            return;
        }
        try (ObjectHandle h = data().grab(IpcSets.object(id))) {
            SemState s = SemState.decode(h.value());
            if (s != null && !s.removed && s.unregister(live.self(), ticket)) {
                h.value(s.encode());
            }
        }
    }

    private static IpcException range(int id, List<SemOp> ops) {
        return new IpcException(Errno.ERANGE, ops + " would take a semaphore of set " + id + " over " + Ipc.SEMVMX);
    }

    private static void check(Caller caller, SemState s, int id, List<SemOp> ops, boolean alter) {
        for (SemOp op : ops) {
            if (op.num() < 0 || op.num() >= s.values.length) {
                throw new IpcException(Errno.EFBIG, "semaphore set " + id + " has semaphores 0.."
                        + (s.values.length - 1) + ", not " + op.num());
            }
            if (Math.abs((long) op.op()) > Ipc.SEMVMX) {
                throw new IpcException(Errno.ERANGE, "an operation of " + op.op() + " is over SEMVMX (" + Ipc.SEMVMX
                        + ")");
            }
        }
        Perm.check(caller, s.perm, alter ? Perm.WRITE : Perm.READ, "semaphore set " + id);
    }

    /** A client's close: its undo records applied, on every set it used SEM_UNDO on. */
    private void undo(Client c) {
        for (int id : c.touched) {
            try (ObjectHandle h = data().grab(IpcSets.object(id))) {
                SemState s = SemState.decode(h.value());
                if (s == null || s.removed) {
                    continue;
                }
                Undo u = s.undoOf(live.self(), c.id);
                if (u != null) {
                    s.undo(u);
                    s.undos.remove(u);
                    s.purge(live, System.currentTimeMillis());
                    h.value(s.encode());
                }
            } catch (RuntimeException e) {
                LOG.warn("undo of client {} on semaphore set {} failed: {}", c.id, id, e.toString());
            }
        }
    }

    private <T> T read(Caller caller, int id, java.util.function.Function<SemState, T> what) {
        checkId(id);
        try (ObjectHandle h = data().get(IpcSets.object(id))) {
            SemState s = of(h, id);
            Perm.check(caller, s.perm, Perm.READ, "semaphore set " + id);
            return what.apply(s);
        }
    }

    @Override
    public int getval(Caller caller, int id, int num) {
        return read(caller, id, s -> {
            checkNum(s, id, num);
            return s.values[num];
        });
    }

    @Override
    public int[] getall(Caller caller, int id) {
        return read(caller, id, s -> s.values.clone());
    }

    @Override
    public int getpid(Caller caller, int id, int num) {
        return read(caller, id, s -> {
            checkNum(s, id, num);
            return s.pids[num];
        });
    }

    @Override
    public int getncnt(Caller caller, int id, int num) {
        return read(caller, id, s -> {
            checkNum(s, id, num);
            return s.count(num, false, live, System.currentTimeMillis());
        });
    }

    @Override
    public int getzcnt(Caller caller, int id, int num) {
        return read(caller, id, s -> {
            checkNum(s, id, num);
            return s.count(num, true, live, System.currentTimeMillis());
        });
    }

    @Override
    public SemInfo stat(Caller caller, int id) {
        return read(caller, id, s -> s.info(id, live, System.currentTimeMillis()));
    }

    @Override
    public void setval(Caller caller, int id, int num, int value) {
        write(caller, id, s -> {
            checkNum(s, id, num);
            s.values[num] = checkValue(value);
            s.pids[num] = caller.pid();
            s.clearAdjustments(num);
        });
    }

    @Override
    public void setall(Caller caller, int id, int[] values) {
        write(caller, id, s -> {
            if (values.length != s.values.length) {
                throw new IpcException(Errno.EINVAL, "semaphore set " + id + " has " + s.values.length
                        + " semaphores, not " + values.length);
            }
            for (int i = 0; i < values.length; i++) {
                s.values[i] = checkValue(values[i]);
                s.pids[i] = caller.pid();
                s.clearAdjustments(i);
            }
        });
    }

    private static int checkValue(int value) {
        if (value < 0 || value > Ipc.SEMVMX) {
            throw new IpcException(Errno.ERANGE, "a semaphore value must be 0.." + Ipc.SEMVMX + ", not " + value);
        }
        return value;
    }

    private void write(Caller caller, int id, java.util.function.Consumer<SemState> change) {
        checkId(id);
        try (ObjectHandle h = data().grab(IpcSets.object(id))) {
            SemState s = of(h, id);
            Perm.check(caller, s.perm, Perm.WRITE, "semaphore set " + id);
            change.accept(s);
            s.purge(live, System.currentTimeMillis());
            s.ctime = System.currentTimeMillis();
            h.value(s.encode());
        }
    }

    @Override
    public void set(Caller caller, int id, int uid, int gid, int mode) {
        checkId(id);
        try (ObjectHandle h = data().grab(IpcSets.object(id))) {
            SemState s = of(h, id);
            Perm.owner(caller, s.perm, "IPC_SET of semaphore set " + id);
            s.perm = new IpcPerm(s.perm.key(), uid, gid, s.perm.cuid(), s.perm.cgid(), mode & 0777);
            s.ctime = System.currentTimeMillis();
            h.value(s.encode());
        }
    }

    @Override
    public void remove(Caller caller, int id) {
        checkId(id);
        long key;
        try (ObjectHandle h = data().grab(IpcSets.object(id))) {
            SemState s = of(h, id);
            Perm.owner(caller, s.perm, "IPC_RMID of semaphore set " + id);
            key = s.perm.key();
            s.tombstone();
            h.value(s.encode());
        }
        directory.unlink(Kind.SEMAPHORES, id, key);
    }

    @Override
    public List<SemInfo> list() {
        List<SemInfo> out = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int id : directory.ids(Kind.SEMAPHORES)) {
            try (ObjectHandle h = data().get(IpcSets.object(id))) {
                SemState s = SemState.decode(h.value());
                if (s != null && !s.removed) {
                    out.add(s.info(id, live, now));
                }
            }
        }
        return out;
    }

    /**
     * After a view that took nodes out: every set holding undo records or
     * waiters of callers no longer alive is grabbed and purged (the records
     * applied); the grab wakes the set's waiters as any other. Returns how many
     * sets changed.
     */
    int purgeAll() {
        int cleaned = 0;
        for (int id : directory.ids(Kind.SEMAPHORES)) {
            boolean stale;
            long now = System.currentTimeMillis();
            try (ObjectHandle h = data().get(IpcSets.object(id))) {
                SemState s = SemState.decode(h.value());
                stale = s != null && (s.undos.stream().anyMatch(u -> !live.member(u.node(), u.incarnation()))
                        || s.waiters.stream().anyMatch(w -> !live.alive(w.node(), w.incarnation(), w.deadline(), now)));
            }
            if (stale) {
                try (ObjectHandle h = data().grab(IpcSets.object(id))) {
                    SemState s = SemState.decode(h.value());
                    if (s != null && s.purge(live, System.currentTimeMillis())) {
                        h.value(s.encode());
                        cleaned++;
                    }
                }
            }
        }
        return cleaned;
    }

    /** A client: the sets it used SEM_UNDO on, to undo at its close. */
    private final class Client implements SemClient {
        final Caller caller;
        final long id;
        final java.util.Set<Integer> touched = ConcurrentHashMap.newKeySet();
        private volatile boolean closed;

        Client(Caller caller, long id) {
            this.caller = caller;
            this.id = id;
        }

        @Override
        public Caller caller() {
            return caller;
        }

        @Override
        public void semop(int set, List<SemOp> ops, Duration timeout) {
            if (closed) {
                throw new IpcException(Errno.EINVAL, "this semaphore client is closed");
            }
            SemService.this.semop(this, set, List.copyOf(ops), timeout);
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            clients.remove(id);
            undo(this);
        }
    }
}
