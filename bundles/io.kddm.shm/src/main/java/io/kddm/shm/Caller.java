package io.kddm.shm;

import java.util.Arrays;

/**
 * Who makes a call, for the System V permission checks by uid, gid and mode
 * (ipcperms); uid 0 may do anything.
 *
 * @param uid    user id
 * @param gid    primary group id
 * @param groups supplementary groups
 */
public record Caller(int uid, int gid, int... groups) {
    public static final Caller ROOT = new Caller(0, 0);

    public boolean root() {
        return uid == 0;
    }

    public boolean inGroup(int group) {
        return gid == group || Arrays.stream(groups).anyMatch(g -> g == group);
    }

    @Override
    public String toString() {
        return "uid " + uid + " gid " + gid + (groups.length == 0 ? "" : " groups " + Arrays.toString(groups));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Caller c && c.uid == uid && c.gid == gid && Arrays.equals(c.groups, groups);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * uid + gid) + Arrays.hashCode(groups);
    }
}
