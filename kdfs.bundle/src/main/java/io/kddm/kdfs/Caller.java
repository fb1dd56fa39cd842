package io.kddm.kdfs;

import java.util.Arrays;

/**
 * Who makes a call, for permission checks by uid, gid and mode as POSIX does
 * them; uid 0 may do anything but execute a file nobody may execute.
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
}
