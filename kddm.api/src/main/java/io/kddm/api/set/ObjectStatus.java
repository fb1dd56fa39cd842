package io.kddm.api.set;

import java.util.List;

/**
 * One object as this node sees it, for administration ({@code kddm:objects}, the
 * cluster page): read without a message and without a lock, stale as soon as it
 * returns.
 *
 * @param objectId  the object id
 * @param state     its state here, in Kerrighed's names (INV_COPY, READ_COPY, READ_OWNER, WRITE_OWNER,
 *                  WAIT_OBJ_READ, ...); INV_COPY when this node has no entry for it
 * @param bytes     size of the copy here (0 without one)
 * @param version   {@code epoch.seq} of the value here, {@code "-"} without one
 * @param copyset   the nodes this node knows hold a copy (as owner)
 * @param readers   local gets holding it now
 * @param writers   local grabs holding it now
 * @param queued    requests waiting for it here
 * @param home      its home node, -1 if it cannot be placed now
 * @param homeState its state at its home (NO_OWNER, OWNED, FORWARDED, ...) when that is this node, else null
 * @param owner     its owner as its home knows it when that is this node, else -1
 */
public record ObjectStatus(long objectId, String state, int bytes, String version, List<Integer> copyset, int readers,
        int writers, int queued, int home, String homeState, int owner) {
}
