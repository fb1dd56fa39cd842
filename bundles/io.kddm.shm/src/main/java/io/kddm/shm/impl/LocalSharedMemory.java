package io.kddm.shm.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.View;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.shm.Caller;
import io.kddm.shm.Errno;
import io.kddm.shm.Segment;
import io.kddm.shm.SegmentInfo;
import io.kddm.shm.SharedMemory;
import io.kddm.shm.ShmException;

/**
 * System V shared memory on one node, built only from kDDM sets
 * ({@link ShmSets}). Critical sections are always taken in one order: a key,
 * then the registry, then a descriptor; a call that needs a key after a
 * descriptor (IPC_RMID) releases the descriptor first, so no two calls can wait
 * for each other.
 */
final class LocalSharedMemory implements SharedMemory {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSharedMemory.class);

    /**
     * Limits, the same on every node (SHMMAX, SHMMNI).
     *
     * @param maxSize     largest segment, bytes
     * @param maxSegments most segments at once, cluster-wide
     */
    record Limits(long maxSize, int maxSegments) {
        /** The registry is one object of at most 64 KiB: 4 bytes per id. */
        static final int MAX_SEGMENTS = 16_000;

        Limits {
            if (maxSize < 1 || maxSize > (1L << 32) * PAGE_SIZE - 1) {
                throw new IllegalArgumentException("shmmax must be 1.." + ((1L << 32) * PAGE_SIZE - 1) + ", not "
                        + maxSize);
            }
            if (maxSegments < 1 || maxSegments > MAX_SEGMENTS) {
                throw new IllegalArgumentException("shmmni must be 1.." + MAX_SEGMENTS + ", not " + maxSegments);
            }
        }
    }

    private final Kddm kddm;
    private final Membership membership;
    private volatile Limits limits;
    private final LongSupplier clock;
    private final ShmSets sets;

    LocalSharedMemory(Kddm kddm, Membership membership, Limits limits) {
        this(kddm, membership, limits, System::currentTimeMillis);
    }

    LocalSharedMemory(Kddm kddm, Membership membership, Limits limits, LongSupplier clock) {
        this.kddm = kddm;
        this.membership = membership;
        this.limits = limits;
        this.clock = clock;
        this.sets = new ShmSets(() -> List.copyOf(membership.voters()), kddm.localNode());
    }

    Limits limits() {
        return limits;
    }

    /** New limits (a configuration changed live): they apply to the next shmget; segments made stay. */
    void limits(Limits next) {
        limits = next;
    }

    private KddmSet keys() {
        return kddm.wellKnown(ShmSets.KEYS, ShmFamily.META_NAME);
    }

    private KddmSet descriptors() {
        return kddm.wellKnown(ShmSets.DESCRIPTORS, ShmFamily.META_NAME);
    }

    private int node() {
        return kddm.localNode();
    }

    /** This node's incarnation in the view installed here (0 before it is in one). */
    private long incarnation() {
        return membership.view().member(node()).map(View.Member::incarnation).orElse(0L);
    }

    // ---- shmget -----------------------------------------------------------

    @Override
    public int shmget(int key, long size, int flags, Caller caller) {
        if (size < 0 || size > limits.maxSize()) {
            throw new ShmException(Errno.EINVAL, "size " + size + " is out of 1.." + limits.maxSize() + " (shmmax)");
        }
        if (key == IPC_PRIVATE) {
            return create(key, size, flags, caller);
        }
        try (ObjectHandle k = keys().grab(sets.keyBucket(key))) {
            KeyBucket bucket = KeyBucket.decode(k.value());
            int existing = bucket.id(key);
            if (existing != 0) {
                Descriptor d = read(existing);
                // A removed segment keeps its descriptor until its last detach, but not its key.
                if (d != null && !d.removed() && d.key() == key) {
                    if ((flags & IPC_CREAT) != 0 && (flags & IPC_EXCL) != 0) {
                        throw new ShmException(Errno.EEXIST, "key " + hexKey(key) + " has segment " + existing);
                    }
                    if (size > d.size()) {
                        throw new ShmException(Errno.EINVAL, "segment " + existing + " of key " + hexKey(key) + " has "
                                + d.size() + " bytes, fewer than the " + size + " asked");
                    }
                    Permissions.checkFlags(d, flags, caller);
                    return existing;
                }
            }
            if ((flags & IPC_CREAT) == 0) {
                throw new ShmException(Errno.ENOENT, "no segment has key " + hexKey(key) + " (and no IPC_CREAT)");
            }
            int id = create(key, size, flags, caller);
            k.value(bucket.with(key, id).encode());
            return id;
        }
    }

    static String hexKey(int key) {
        return String.format("0x%08x", key);
    }

    /**
     * A new segment: its pages' set, then, under the registry's grab, an id and
     * its descriptor, put before the registry: a node that dies before the
     * registry's put leaves no id without a descriptor (the descriptor it wrote
     * is at an id the next creation is handed again, and overwrites; its pages'
     * set is an orphan nobody reaches).
     */
    private int create(int key, long size, int flags, Caller caller) {
        if (size < 1) {
            throw new ShmException(Errno.EINVAL, "a new segment needs at least 1 byte, not " + size);
        }
        KddmSet pages = kddm.create(ShmFamily.PAGE_NAME);
        int id;
        try (ObjectHandle r = descriptors().grab(sets.registry())) {
            Registry registry = Registry.decode(r.value());
            if (registry.ids().size() >= limits.maxSegments()) {
                kddm.destroy(pages.id());
                throw new ShmException(Errno.ENOSPC, "the cluster has " + registry.ids().size()
                        + " segments already (shmmni " + limits.maxSegments() + ")");
            }
            if (registry.next() > ShmSets.MAX_ID) {
                kddm.destroy(pages.id());
                throw new ShmException(Errno.ENOSPC, "every segment id has been handed out");
            }
            id = registry.next();
            long now = clock.getAsLong();
            Descriptor d = new Descriptor(id, key, pages.id(), size, caller.uid(), caller.gid(), caller.uid(),
                    caller.gid(), flags & 0777, false, node(), 0, 0, 0, now, List.of());
            try (ObjectHandle h = descriptors().grab(sets.descriptor(id))) {
                h.value(d.encode());
            }
            crashPoint.run();
            r.value(registry.add(id).encode());
        }
        LOG.debug("segment {} of key {} made: {} bytes in set {}", id, hexKey(key), size, pages.id());
        return id;
    }

    /** Tests only: runs between a creation's descriptor and its registry entry, where a crash must leave nothing. */
    Runnable crashPoint = () -> {
    };

    // ---- descriptors ------------------------------------------------------------

    /** The descriptor of {@code shmid} under a get, or null if there is none. */
    Descriptor read(int shmid) {
        if (shmid <= 0 || shmid > ShmSets.MAX_ID) {
            return null;
        }
        try (ObjectHandle h = descriptors().get(sets.descriptor(shmid))) {
            return Descriptor.decode(h.value());
        }
    }

    private static ShmException noSuchId(int shmid) {
        return new ShmException(Errno.EINVAL, "no segment has id " + shmid);
    }

    private static ShmException removed(int shmid) {
        return new ShmException(Errno.EIDRM, "segment " + shmid + " was removed (IPC_RMID); it goes at its last "
                + "detach");
    }

    /** A descriptor changed under a grab: {@code change} returns the new one (or throws); null if there is none. */
    private interface Change {
        Descriptor apply(Descriptor d);
    }

    private Descriptor update(int shmid, Change change) {
        if (shmid <= 0 || shmid > ShmSets.MAX_ID) {
            throw noSuchId(shmid);
        }
        try (ObjectHandle h = descriptors().grab(sets.descriptor(shmid))) {
            Descriptor d = Descriptor.decode(h.value());
            if (d == null) {
                throw noSuchId(shmid);
            }
            Descriptor next = change.apply(d);
            if (next != d) {
                h.value(next.encode());
            }
            return next;
        }
    }

    @Override
    public Segment attach(int shmid, int flags, Caller caller) {
        boolean readOnly = (flags & SHM_RDONLY) != 0;
        long incarnation = incarnation();
        Descriptor d = update(shmid, old -> {
            if (old.removed()) {
                throw removed(shmid);
            }
            Permissions.check(old, readOnly ? Permissions.READ : Permissions.READ | Permissions.WRITE, caller,
                    readOnly ? "attach read only" : "attach read-write");
            return old.attach(node(), incarnation, clock.getAsLong());
        });
        try {
            return new AttachedSegment(this, d.id(), kddm.lookup(d.dataSet()), d.size(), readOnly, incarnation);
        } catch (KddmException e) {
            detach(shmid, incarnation);
            throw e;
        }
    }

    /** shmdt of one attach of this node's incarnation {@code incarnation}. */
    void detach(int shmid, long incarnation) {
        Descriptor[] after = new Descriptor[1];
        try {
            after[0] = update(shmid, old -> old.detach(node(), incarnation, clock.getAsLong()));
        } catch (ShmException gone) {
            return; // destroyed meanwhile (its attaches dropped at a view change)
        }
        if (after[0].destroyable()) {
            destroy(after[0]);
        }
    }

    @Override
    public SegmentInfo stat(int shmid, Caller caller) {
        Descriptor d = read(shmid);
        if (d == null) {
            throw noSuchId(shmid);
        }
        Permissions.check(d, Permissions.READ, caller, "stat");
        return d.info();
    }

    @Override
    public SegmentInfo set(int shmid, int uid, int gid, int mode, Caller caller) {
        if ((mode & ~0777) != 0) {
            throw new ShmException(Errno.EINVAL, "mode " + Integer.toOctalString(mode) + " has bits beyond 0777");
        }
        return update(shmid, old -> {
            if (old.removed()) {
                throw removed(shmid);
            }
            Permissions.checkOwner(old, caller, "change it (IPC_SET)");
            return old.set(uid, gid, mode, clock.getAsLong());
        }).info();
    }

    @Override
    public void remove(int shmid, Caller caller) {
        int[] key = new int[1];
        Descriptor after = update(shmid, old -> {
            if (old.removed()) {
                throw removed(shmid);
            }
            Permissions.checkOwner(old, caller, "remove it (IPC_RMID)");
            key[0] = old.key();
            return old.markRemoved(clock.getAsLong());
        });
        // The key is free from now on (shmget skips a removed segment); clear it unless taken again meanwhile.
        if (key[0] != IPC_PRIVATE) {
            try (ObjectHandle k = keys().grab(sets.keyBucket(key[0]))) {
                KeyBucket bucket = KeyBucket.decode(k.value());
                if (bucket.id(key[0]) == shmid) {
                    k.value(bucket.without(key[0]).encode());
                }
            }
        }
        if (after.destroyable()) {
            destroy(after);
        }
    }

    /**
     * The last detach of a removed segment: its registry entry first, then its
     * descriptor and pages, so that a node dying in between leaves only what
     * nobody reaches (ids are never handed out twice), never a listed id without
     * a descriptor.
     */
    private void destroy(Descriptor d) {
        try (ObjectHandle r = descriptors().grab(sets.registry())) {
            r.value(Registry.decode(r.value()).drop(d.id()).encode());
        }
        descriptors().remove(sets.descriptor(d.id()));
        kddm.destroy(d.dataSet());
        LOG.debug("segment {} destroyed at its last detach", d.id());
    }

    @Override
    public List<SegmentInfo> segments() {
        List<SegmentInfo> out = new ArrayList<>();
        for (int id : registry().ids()) {
            Descriptor d = read(id);
            if (d != null) { // made or destroyed meanwhile
                out.add(d.info());
            }
        }
        return out;
    }

    private Registry registry() {
        try (ObjectHandle r = descriptors().get(sets.registry())) {
            return Registry.decode(r.value());
        }
    }

    // ---- view changes -----------------------------------------------------------

    /**
     * Drops the attaches of node incarnations that are gone: those of
     * {@code previous} not in {@code current}, and older incarnations of nodes
     * {@code current} has again. A removed segment left with none is destroyed.
     *
     * @return how many attaches were dropped
     */
    int dropDeparted(View previous, View current) {
        Map<Integer, View.Member> departed = current.departedSince(previous);
        Predicate<Descriptor.Attach> gone = a -> {
            View.Member was = departed.get(a.node());
            if (was != null && was.incarnation() == a.incarnation()) {
                return true;
            }
            View.Member now = current.members().get(a.node());
            return now != null && a.incarnation() < now.incarnation();
        };
        int dropped = 0;
        for (int id : registry().ids()) {
            Descriptor d = read(id);
            if (d == null || d.attaches().stream().noneMatch(gone)) {
                continue;
            }
            int[] count = new int[1];
            Descriptor after;
            try {
                after = update(id, old -> {
                    Descriptor next = old.without(gone);
                    count[0] = old.attached() - next.attached();
                    return count[0] == 0 ? old : next;
                });
            } catch (ShmException destroyed) {
                continue;
            }
            dropped += count[0];
            if (count[0] > 0) {
                LOG.info("segment {}: {} attaches of departed nodes dropped ({})", id, count[0], current);
                if (after.destroyable()) {
                    destroy(after);
                }
            }
        }
        return dropped;
    }
}
