package io.kddm.ipc.impl;

import java.util.SortedSet;

import io.kddm.api.membership.Membership;
import io.kddm.api.set.SetIds;

/**
 * The well-known sets of the {@code ipc} family, as Kerrighed's IPC sets: for
 * each kind (queues, semaphore sets) a <b>key</b> set (objects are buckets of
 * keys, the key's low 24 bits; value = the keys in it and the ids they name), a
 * <b>data</b> set (an object per id; value = the queue with its messages, or
 * the semaphore set with its values and undo records) and one <b>map</b> object
 * (the id allocator and the list of ids in use, which {@code ipcs} reads).
 * <p>
 * Homes are in the object ids (NODE_BITS), so no node needs the IO linker to
 * know where an object lives (a node whose ipc bundle is stopped still serves
 * the others): an id carries the node that made it in its low 8 bits ({@code
 * seq << 8 | node}), and its data object is {@code node << 24 | seq}, homed
 * there. Key buckets and map objects are homed on the lowest voter (voters
 * are configured, so every node agrees without asking). With the family's
 * backup, the objects of a home that dies are served by the next node of the view.
 */
final class IpcSets {
    /** "IPC" in the set number's bits 24..47: clear of kDFS's sets (1..3 &lt;&lt; 40) and shm's. */
    static final long BASE = SetIds.of(0, 0x495043L << 24);
    static final long MSG_KEYS = BASE + 1;
    static final long MSG_DATA = BASE + 2;
    static final long SEM_KEYS = BASE + 3;
    static final long SEM_DATA = BASE + 4;
    static final long MAPS = BASE + 5;
    static final long FIRST = MSG_KEYS;
    static final long LAST = MAPS;
    /** The most ids a node makes of a kind (the sequence number's 23 bits). */
    static final long MAX_SEQ = (1L << 23) - 1;

    /** The two kinds of objects, each with its key set, data set and map object. */
    enum Kind {
        QUEUE("queue", MSG_KEYS, MSG_DATA, 1), SEMAPHORES("semaphore set", SEM_KEYS, SEM_DATA, 2);

        final String what;
        final long keys;
        final long data;
        final long mapObject;

        Kind(String what, long keys, long data, long mapObject) {
            this.what = what;
            this.keys = keys;
            this.data = data;
            this.mapObject = mapObject;
        }
    }

    private IpcSets() {
    }

    /** The id of the {@code seq}-th object made, by {@code node}. */
    static int id(long seq, int node) {
        return (int) ((seq << 8) | node);
    }

    /** The data object of an id: the node that made it in bits 24..31, its sequence number below. */
    static long object(int id) {
        return ((long) (id & 0xFF) << 24) | ((id >>> 8) & 0xFF_FFFFL);
    }

    /** The node that keys and maps are homed on: the lowest voter. */
    static int directoryHome(Membership membership) {
        SortedSet<Integer> voters = membership.voters();
        return voters.isEmpty() ? membership.localNode() : voters.first();
    }

    /** The bucket of a key: its low 24 bits, homed on {@link #directoryHome}. */
    static long keyObject(long key, int home) {
        return ((long) home << 24) | (key & 0xFF_FFFFL);
    }

    static long mapObject(Kind kind, int home) {
        return ((long) home << 24) | kind.mapObject;
    }
}
