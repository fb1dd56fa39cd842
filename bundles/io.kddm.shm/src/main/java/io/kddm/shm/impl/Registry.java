package io.kddm.shm.impl;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The id allocator and the list of live segments, one object of
 * {@link ShmSets#DESCRIPTORS} (a grab, an increment, a put): ids are never
 * handed out twice, so a stale id finds nothing (EINVAL) rather than another
 * segment. The list lets {@code ipcs} and the view-change clean-up find every
 * segment without walking every id ever made.
 *
 * @param next the next id to hand out
 * @param ids  the segments made and not yet destroyed
 */
record Registry(int next, List<Integer> ids) {
    static final Registry EMPTY = new Registry(1, List.of());

    Registry {
        ids = List.copyOf(ids);
    }

    Registry add(int id) {
        List<Integer> more = new ArrayList<>(ids);
        more.add(id);
        return new Registry(Math.max(next, id + 1), more);
    }

    Registry drop(int id) {
        List<Integer> less = new ArrayList<>(ids);
        less.remove(Integer.valueOf(id));
        return new Registry(next, less);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * ids.size()).putInt(next).putInt(ids.size());
        ids.forEach(b::putInt);
        return b.array();
    }

    static Registry decode(byte[] bytes) {
        if (bytes.length == 0) {
            return EMPTY;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int next = b.getInt();
        int n = b.getInt();
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(b.getInt());
        }
        return new Registry(next, ids);
    }
}
