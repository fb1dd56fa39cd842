package io.kddm.ipc.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Predicate;

import io.kddm.api.membership.Membership;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.ipc.Errno;
import io.kddm.ipc.Ipc;
import io.kddm.ipc.IpcException;
import io.kddm.ipc.impl.IpcSets.Kind;

/**
 * Keys to ids, as Kerrighed's key, map and data sets: msgget/semget grab the
 * key's bucket, so two nodes making one key are served one after the other
 * (with IPC_EXCL, exactly one wins); a new id comes from the kind's map object
 * (grabbed, its counter incremented, the id listed) and its data object is
 * written before the key names it. Locks are taken key, then data, then map,
 * and a removal holds one at a time, so no two of these can deadlock.
 */
final class Directory {
    private final Kddm kddm;
    private final Membership membership;
    private final Map<Long, KddmSet> sets = new ConcurrentHashMap<>();

    Directory(Kddm kddm, Membership membership) {
        this.kddm = kddm;
        this.membership = membership;
    }

    KddmSet set(long setId) {
        return sets.computeIfAbsent(setId, id -> kddm.wellKnown(id, IpcFamily.NAME));
    }

    static void checkKey(long key) {
        if (key < 0 || key > 0xFFFF_FFFFL) {
            throw new IpcException(Errno.EINVAL, "key " + key + " is not a 32-bit key");
        }
    }

    private long bucket(long key) {
        return IpcSets.keyObject(key, IpcSets.directoryHome(membership));
    }

    private long map(Kind kind) {
        return IpcSets.mapObject(kind, IpcSets.directoryHome(membership));
    }

    /**
     * msgget/semget: the id of {@code key}'s object. {@code live} tells a live
     * object's bytes from a never-made or removed one; {@code existing} checks an
     * existing one (permissions, size) and throws if it does not do; {@code make}
     * gives a new object's bytes for its id.
     */
    int get(Kind kind, long key, int flags, Predicate<byte[]> live, Consumer<byte[]> existing, IntFunction<byte[]> make) {
        checkKey(key);
        if (key == Ipc.IPC_PRIVATE) {
            return create(kind, make);
        }
        try (ObjectHandle k = set(kind.keys).grab(bucket(key))) {
            Bucket b = Bucket.decode(k.value());
            Integer named = b.ids.get(key);
            if (named != null) {
                int id = named;
                try (ObjectHandle d = set(kind.data).get(IpcSets.object(id))) {
                    byte[] data = d.value();
                    if (live.test(data)) {
                        if ((flags & Ipc.IPC_CREAT) != 0 && (flags & Ipc.IPC_EXCL) != 0) {
                            throw new IpcException(Errno.EEXIST, "a " + kind.what + " of key " + hex(key)
                                    + " exists (id " + id + ")");
                        }
                        existing.accept(data);
                        return id;
                    }
                }
            }
            if ((flags & Ipc.IPC_CREAT) == 0) {
                throw new IpcException(Errno.ENOENT, "no " + kind.what + " of key " + hex(key));
            }
            int id = create(kind, make);
            b.ids.put(key, id);
            k.value(b.encode());
            return id;
        }
    }

    private int create(Kind kind, IntFunction<byte[]> make) {
        try (ObjectHandle m = set(IpcSets.MAPS).grab(map(kind))) {
            IdMap map = IdMap.decode(m.value());
            if (map.ids.size() >= Ipc.MNI) {
                throw new IpcException(Errno.ENOSPC, "the cluster has " + map.ids.size() + " " + kind.what
                        + "s already, the most it may have");
            }
            if (map.next > IpcSets.MAX_SEQ) {
                throw new IpcException(Errno.ENOSPC, "every " + kind.what + " id was handed out");
            }
            int id = IpcSets.id(map.next++, kddm.localNode());
            try (ObjectHandle d = set(kind.data).grab(IpcSets.object(id))) {
                d.value(make.apply(id));
            }
            map.ids.add(id);
            m.value(map.encode());
            return id;
        }
    }

    /** After a removal: the key is free at once (if it still names {@code id}), and the id is no longer listed. */
    void unlink(Kind kind, int id, long key) {
        if (key != Ipc.IPC_PRIVATE) {
            try (ObjectHandle k = set(kind.keys).grab(bucket(key))) {
                Bucket b = Bucket.decode(k.value());
                if (b.ids.remove(key, id)) {
                    k.value(b.encode());
                }
            }
        }
        try (ObjectHandle m = set(IpcSets.MAPS).grab(map(kind))) {
            IdMap map = IdMap.decode(m.value());
            if (map.ids.remove((Integer) id)) {
                m.value(map.encode());
            }
        }
    }

    /** The ids in use, in the order they were made. */
    List<Integer> ids(Kind kind) {
        try (ObjectHandle m = set(IpcSets.MAPS).get(map(kind))) {
            return List.copyOf(IdMap.decode(m.value()).ids);
        }
    }

    static String hex(long key) {
        return "0x" + String.format("%08x", key);
    }

    /** A key bucket: the keys whose low 24 bits are its object id's, and the ids they name. */
    static final class Bucket {
        final Map<Long, Integer> ids = new TreeMap<>();

        static Bucket decode(byte[] value) {
            Bucket b = new Bucket();
            if (value.length == 0) {
                return b;
            }
            Bytes.In in = new Bytes.In(value);
            int n = in.i();
            for (int i = 0; i < n; i++) {
                b.ids.put(in.l(), in.i());
            }
            return b;
        }

        byte[] encode() {
            Bytes.Out out = new Bytes.Out().i(ids.size());
            ids.forEach((key, id) -> out.l(key).i(id));
            return out.done();
        }
    }

    /** A map object: the next sequence number of ids made and the ids in use. */
    static final class IdMap {
        long next = 1;
        final List<Integer> ids = new ArrayList<>();

        static IdMap decode(byte[] value) {
            IdMap map = new IdMap();
            if (value.length == 0) {
                return map;
            }
            Bytes.In in = new Bytes.In(value);
            map.next = in.l();
            int n = in.i();
            for (int i = 0; i < n; i++) {
                map.ids.add(in.i());
            }
            return map;
        }

        byte[] encode() {
            Bytes.Out out = new Bytes.Out().l(next).i(ids.size());
            ids.forEach(out::i);
            return out.done();
        }
    }
}
