package io.kddm.ipc.impl;

import java.util.SortedSet;

import io.kddm.api.membership.Membership;
import io.kddm.api.set.SetIds;

/**
 * The well-known sets of the {@code ipc} family, as Kerrighed's IPC sets: for
 * each kind (queues, semaphore sets) a <b>key</b> set (object = the key, an
 * unsigned 32-bit number; value = the id it names), a <b>data</b> set (object =
 * the id; value = the queue with its messages, or the semaphore set with its
 * values and undo records) and one <b>map</b> object (the id allocator and the
 * list of ids in use, which {@code ipcs} reads).
 * <p>
 * An id carries the node that made it in its low 8 bits ({@code seq << 8 |
 * node}), and its data object is homed there. Key and map objects are homed on
 * the lowest voter (the voters are configured, so every node agrees without
 * asking); with the family's backups, a home that dies is replaced by the next
 * node of the view.
 */
final class IpcSets {
    /** "IPC" in the set number's bits 24..47: clear of kDFS's sets (1..3 &lt;&lt; 40). */
    static final long BASE = SetIds.of(0, 0x495043L << 24);
    static final long MSG_KEYS = BASE + 1;
    static final long MSG_DATA = BASE + 2;
    static final long SEM_KEYS = BASE + 3;
    static final long SEM_DATA = BASE + 4;
    static final long MAPS = BASE + 5;
    static final long FIRST = MSG_KEYS;
    static final long LAST = MAPS;

    /** The two kinds of objects, each with its key set, data set and map object. */
    enum Kind {
        QUEUE("queue", MSG_KEYS, MSG_DATA, 0), SEMAPHORES("semaphore set", SEM_KEYS, SEM_DATA, 1);

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

    /** The node that made an id: its data's home. */
    static int node(int id) {
        return id & 0xFF;
    }

    /** The home an IO linker gives an object of a set of the family. */
    static int home(long set, long object, Membership membership) {
        if (set == MSG_DATA || set == SEM_DATA) {
            int node = (int) (object & 0xFF);
            if (node != 0) {
                return node;
            }
        }
        SortedSet<Integer> voters = membership.voters();
        return voters.isEmpty() ? membership.localNode() : voters.first();
    }
}
