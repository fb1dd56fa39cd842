package io.kddm.kdfs.fuse.internal;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.KdfsException;

/** access(2) on an inode's attributes: the caller's class (owner, group, other) and the mode's bits for it. */
final class Access {
    static final int R_OK = 4;
    static final int W_OK = 2;
    static final int X_OK = 1;

    private Access() {
    }

    static void check(Caller c, Attr a, int mask) {
        int want = mask & (R_OK | W_OK | X_OK);
        if (want == 0) {
            return; // F_OK: it exists
        }
        if (c.root()) {
            // root reads and writes anything; it executes what anybody may execute, and searches any directory
            if ((want & X_OK) != 0 && !a.isDirectory() && (a.mode() & 0111) == 0) {
                throw new KdfsException(Errno.EACCES, "no execute bit on inode " + a.ino());
            }
            return;
        }
        int bits = c.uid() == a.uid() ? a.mode() >> 6 : c.inGroup(a.gid()) ? a.mode() >> 3 : a.mode();
        if ((bits & want & 7) != want) {
            throw new KdfsException(Errno.EACCES, "mode " + Integer.toOctalString(a.mode()) + " of inode " + a.ino());
        }
    }
}
