package io.kddm.kdfs;

import java.time.Instant;

/**
 * What {@link Kdfs#setattr} changes; a null field is left as it is.
 *
 * @param mode  new permission bits (chmod)
 * @param uid   new owner (chown)
 * @param gid   new group (chown)
 * @param size  new size (truncate), for a regular file
 * @param atime new access time (utimens)
 * @param mtime new modification time (utimens)
 */
public record SetAttr(Integer mode, Integer uid, Integer gid, Long size, Instant atime, Instant mtime) {

    public static SetAttr chmod(int mode) {
        return new SetAttr(mode, null, null, null, null, null);
    }

    public static SetAttr chown(Integer uid, Integer gid) {
        return new SetAttr(null, uid, gid, null, null, null);
    }

    public static SetAttr truncate(long size) {
        return new SetAttr(null, null, null, size, null, null);
    }

    public static SetAttr utimens(Instant atime, Instant mtime) {
        return new SetAttr(null, null, null, null, atime, mtime);
    }
}
