package io.kddm.ipc.impl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.ipc.Caller;
import io.kddm.ipc.Errno;
import io.kddm.ipc.Ipc;
import io.kddm.ipc.IpcException;
import io.kddm.ipc.IpcPerm;
import io.kddm.ipc.Message;
import io.kddm.ipc.MessageQueues;
import io.kddm.ipc.QueueInfo;
import io.kddm.ipc.impl.IpcSets.Kind;

/**
 * msgget, msgsnd, msgrcv and msgctl over the queue objects ({@link QueueState}):
 * a send or receive that can go ahead is one grab; one that must wait enters
 * the queue's line of waiters (a grab) and sleeps until the queue changes
 * ({@link Blocking}); among waiters that could go ahead, the earliest goes first.
 */
final class QueueService implements MessageQueues {
    private final Directory directory;
    private final Blocking blocking;
    private final Liveness live;

    QueueService(Directory directory, Blocking blocking, Liveness live) {
        this.directory = directory;
        this.blocking = blocking;
        this.live = live;
    }

    private KddmSet data() {
        return directory.set(IpcSets.MSG_DATA);
    }

    @Override
    public int msgget(Caller caller, long key, int flags) {
        return directory.get(Kind.QUEUE, key, flags, QueueService::live, bytes -> {
            QueueState q = QueueState.decode(bytes);
            Perm.check(caller, q.perm, requested(flags), "queue of key " + Directory.hex(key));
        }, id -> new QueueState(new IpcPerm(key, caller.uid(), caller.gid(), caller.uid(), caller.gid(),
                flags & 0777), System.currentTimeMillis()).encode());
    }

    /** The access msgget's mode bits ask of an existing object (none: any). */
    static int requested(int flags) {
        int mode = flags & 0777;
        return ((mode & 0444) != 0 ? Perm.READ : 0) | ((mode & 0222) != 0 ? Perm.WRITE : 0);
    }

    private static boolean live(byte[] bytes) {
        QueueState q = QueueState.decode(bytes);
        return q != null && !q.removed;
    }

    /** The queue in a handle, or the System V error of a bad or removed id. */
    private static QueueState of(ObjectHandle h, int id) {
        QueueState q = id <= 0 ? null : QueueState.decode(h.value());
        if (q == null) {
            throw new IpcException(Errno.EINVAL, "no queue has id " + id);
        }
        if (q.removed) {
            throw new IpcException(Errno.EIDRM, "queue " + id + " was removed");
        }
        return q;
    }

    private static void checkId(int id) {
        if (id <= 0) {
            throw new IpcException(Errno.EINVAL, "no queue has id " + id);
        }
    }

    @Override
    public void msgsnd(Caller caller, int id, long type, byte[] bytes, int flags, Duration timeout) {
        checkId(id);
        if (type <= 0) {
            throw new IpcException(Errno.EINVAL, "a message type must be > 0, not " + type);
        }
        if (bytes.length > Ipc.MSGMAX) {
            throw new IpcException(Errno.EINVAL, "a message of " + bytes.length + " bytes is over MSGMAX ("
                    + Ipc.MSGMAX + ")");
        }
        byte[] data = bytes.clone();
        boolean nowait = (flags & Ipc.IPC_NOWAIT) != 0;
        long[] ticket = {Waiter.NONE};
        long deadline = Blocking.deadline(timeout);
        blocking.await(IpcSets.MSG_DATA, IpcSets.object(id), nowait ? Duration.ZERO : timeout, last -> {
            long now = System.currentTimeMillis();
            // A caller in the line looks under a get first (woken, it may find nothing for it: no ownership moved
            // for that); a first attempt grabs at once, as it must to take or to join the line: one step, not two.
            if (!last && ticket[0] != Waiter.NONE) {
                try (ObjectHandle h = data().get(IpcSets.object(id))) {
                    QueueState q = of(h, id);
                    Perm.check(caller, q.perm, Perm.WRITE, "queue " + id);
                    tooBig(q, data.length, id);
                    boolean may = q.maySend(ticket[0], data.length, live, now);
                    if (!may && nowait) {
                        throw new IpcException(Errno.EAGAIN, "queue " + id + " is full (" + q.cbytes() + " of "
                                + q.qbytes + " bytes)");
                    }
                    if (!may && q.registered(live.self(), ticket[0])) {
                        return Optional.empty();
                    }
                }
            }
            try (ObjectHandle h = data().grab(IpcSets.object(id))) {
                QueueState q = of(h, id);
                Perm.check(caller, q.perm, Perm.WRITE, "queue " + id);
                boolean changed = q.purge(live, now);
                if (q.maySend(ticket[0], data.length, live, now)) {
                    q.unregister(live.self(), ticket[0]);
                    q.messages.add(new Message(type, data));
                    q.lspid = caller.pid();
                    q.stime = now;
                    h.value(q.encode());
                    return Optional.of(Boolean.TRUE);
                }
                if (nowait) {
                    throw new IpcException(Errno.EAGAIN, "queue " + id + " is full");
                }
                if (last) {
                    changed |= q.unregister(live.self(), ticket[0]);
                } else if (!q.registered(live.self(), ticket[0])) {
                    ticket[0] = q.nextTicket++;
                    q.waiters.add(new Waiter(ticket[0], live.self(), live.incarnation(), deadline, Waiter.SEND, type,
                            flags, data.length, new int[0]));
                    changed = true;
                }
                if (changed) {
                    h.value(q.encode());
                }
                return Optional.empty();
            }
        }, () -> leaveLine(id, ticket[0]), "msgsnd to queue " + id);
    }

    private static void tooBig(QueueState q, int size, int id) {
        if (Math.max(QueueState.MIN_CHARGE, size) > q.qbytes) {
            throw new IpcException(Errno.EINVAL, "a message of " + size + " bytes never fits queue " + id
                    + " (msg_qbytes " + q.qbytes + ")");
        }
    }

    @Override
    public Message msgrcv(Caller caller, int id, int maxSize, long msgtyp, int flags, Duration timeout) {
        checkId(id);
        if (maxSize < 0) {
            throw new IpcException(Errno.EINVAL, "a size limit must be >= 0, not " + maxSize);
        }
        boolean nowait = (flags & Ipc.IPC_NOWAIT) != 0;
        long[] ticket = {Waiter.NONE};
        long deadline = Blocking.deadline(timeout);
        return blocking.await(IpcSets.MSG_DATA, IpcSets.object(id), nowait ? Duration.ZERO : timeout, last -> {
            long now = System.currentTimeMillis();
            // A caller in the line looks under a get first (woken, it may find nothing for it: no ownership moved
            // for that); a first attempt grabs at once, as it must to take or to join the line: one step, not two.
            if (!last && ticket[0] != Waiter.NONE) {
                try (ObjectHandle h = data().get(IpcSets.object(id))) {
                    QueueState q = of(h, id);
                    Perm.check(caller, q.perm, Perm.READ, "queue " + id);
                    boolean may = q.mayReceive(ticket[0], msgtyp, flags, live, now);
                    if (!may && nowait) {
                        throw new IpcException(Errno.ENOMSG, "no message " + wanted(msgtyp, flags) + " in queue " + id);
                    }
                    if (!may && q.registered(live.self(), ticket[0])) {
                        return Optional.empty();
                    }
                }
            }
            try (ObjectHandle h = data().grab(IpcSets.object(id))) {
                QueueState q = of(h, id);
                Perm.check(caller, q.perm, Perm.READ, "queue " + id);
                boolean changed = q.purge(live, now);
                if (q.mayReceive(ticket[0], msgtyp, flags, live, now)) {
                    int i = q.select(msgtyp, flags);
                    Message m = q.messages.get(i);
                    if (m.data().length > maxSize && (flags & Ipc.MSG_NOERROR) == 0) {
                        if (q.unregister(live.self(), ticket[0]) || changed) {
                            h.value(q.encode());
                        }
                        throw new IpcException(Errno.E2BIG, "the message of queue " + id + " is " + m.data().length
                                + " bytes, over the " + maxSize + " asked (MSG_NOERROR cuts it)");
                    }
                    q.messages.remove(i);
                    q.unregister(live.self(), ticket[0]);
                    q.lrpid = caller.pid();
                    q.rtime = now;
                    h.value(q.encode());
                    byte[] bytes = m.data().length > maxSize ? Arrays.copyOf(m.data(), maxSize) : m.data();
                    return Optional.of(new Message(m.type(), bytes));
                }
                if (nowait) {
                    throw new IpcException(Errno.ENOMSG, "no message " + wanted(msgtyp, flags) + " in queue " + id);
                }
                if (last) {
                    changed |= q.unregister(live.self(), ticket[0]);
                } else if (!q.registered(live.self(), ticket[0])) {
                    ticket[0] = q.nextTicket++;
                    q.waiters.add(new Waiter(ticket[0], live.self(), live.incarnation(), deadline, Waiter.RECEIVE,
                            msgtyp, flags, maxSize, new int[0]));
                    changed = true;
                }
                if (changed) {
                    h.value(q.encode());
                }
                return Optional.empty();
            }
        }, () -> leaveLine(id, ticket[0]), "msgrcv from queue " + id);
    }

    private static String wanted(long msgtyp, int flags) {
        if (msgtyp == 0) {
            return "at all";
        }
        if (msgtyp > 0) {
            return ((flags & Ipc.MSG_EXCEPT) != 0 ? "of a type other than " : "of type ") + msgtyp;
        }
        return "of a type <= " + -msgtyp;
    }

    /** Takes a caller out of the line of {@code id}, if it is in it. */
    private void leaveLine(int id, long ticket) {
        if (ticket == Waiter.NONE) {
            return;
        }
        try (ObjectHandle h = data().grab(IpcSets.object(id))) {
            QueueState s = QueueState.decode(h.value());
            if (s != null && !s.removed && s.unregister(live.self(), ticket)) {
                h.value(s.encode());
            }
        }
    }

    @Override
    public QueueInfo stat(Caller caller, int id) {
        checkId(id);
        try (ObjectHandle h = data().get(IpcSets.object(id))) {
            QueueState q = of(h, id);
            Perm.check(caller, q.perm, Perm.READ, "queue " + id);
            return q.info(id, live, System.currentTimeMillis());
        }
    }

    @Override
    public void set(Caller caller, int id, int uid, int gid, int mode, long qbytes) {
        checkId(id);
        if (qbytes > Ipc.MSGMNB_MAX) {
            throw new IpcException(Errno.EFBIG, "msg_qbytes " + qbytes + " is over what one kDDM object holds ("
                    + Ipc.MSGMNB_MAX + ")");
        }
        if (qbytes < QueueState.MIN_CHARGE) {
            throw new IpcException(Errno.EINVAL, "msg_qbytes must be at least " + QueueState.MIN_CHARGE + ", not "
                    + qbytes);
        }
        try (ObjectHandle h = data().grab(IpcSets.object(id))) {
            QueueState q = of(h, id);
            Perm.owner(caller, q.perm, "IPC_SET of queue " + id);
            if (qbytes > q.qbytes && qbytes > Ipc.MSGMNB && !caller.root()) {
                throw new IpcException(Errno.EPERM, "only root raises msg_qbytes above " + Ipc.MSGMNB);
            }
            q.perm = new IpcPerm(q.perm.key(), uid, gid, q.perm.cuid(), q.perm.cgid(), mode & 0777);
            q.qbytes = qbytes;
            q.ctime = System.currentTimeMillis();
            h.value(q.encode());
        }
    }

    @Override
    public void remove(Caller caller, int id) {
        checkId(id);
        long key;
        try (ObjectHandle h = data().grab(IpcSets.object(id))) {
            QueueState q = of(h, id);
            Perm.owner(caller, q.perm, "IPC_RMID of queue " + id);
            key = q.perm.key();
            q.tombstone();
            h.value(q.encode());
        }
        directory.unlink(Kind.QUEUE, id, key);
    }

    @Override
    public List<QueueInfo> list() {
        List<QueueInfo> out = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int id : directory.ids(Kind.QUEUE)) {
            try (ObjectHandle h = data().get(IpcSets.object(id))) {
                QueueState q = QueueState.decode(h.value());
                if (q != null && !q.removed) {
                    out.add(q.info(id, live, now));
                }
            }
        }
        return out;
    }

    /** Drops the waiters of dead callers from every queue (after a view change). */
    int purgeAll() {
        int cleaned = 0;
        long now = System.currentTimeMillis();
        for (int id : directory.ids(Kind.QUEUE)) {
            boolean stale;
            try (ObjectHandle h = data().get(IpcSets.object(id))) {
                QueueState q = QueueState.decode(h.value());
                stale = q != null && q.waiters.stream().anyMatch(w -> !live.alive(w.node(), w.incarnation(),
                        w.deadline(), now));
            }
            if (stale) {
                try (ObjectHandle h = data().grab(IpcSets.object(id))) {
                    QueueState q = QueueState.decode(h.value());
                    if (q != null && q.purge(live, System.currentTimeMillis())) {
                        h.value(q.encode());
                        cleaned++;
                    }
                }
            }
        }
        return cleaned;
    }
}
