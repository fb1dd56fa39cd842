package io.kddm.shm.impl;

import io.kddm.shm.Caller;
import io.kddm.shm.Errno;
import io.kddm.shm.ShmException;

/** The System V permission checks (Linux's ipcperms and the owner check of IPC_SET and IPC_RMID). */
final class Permissions {
    static final int READ = 4;
    static final int WRITE = 2;

    private Permissions() {
    }

    /** Whether {@code caller} may have {@code requested} (rwx bits, 0..7) of the segment. */
    static boolean allowed(Descriptor d, int requested, Caller caller) {
        if (caller.root()) {
            return true;
        }
        int granted = d.mode();
        if (caller.uid() == d.uid() || caller.uid() == d.cuid()) {
            granted >>= 6;
        } else if (caller.inGroup(d.gid()) || caller.inGroup(d.cgid())) {
            granted >>= 3;
        }
        return (requested & ~granted & 07) == 0;
    }

    static void check(Descriptor d, int requested, Caller caller, String what) {
        if (!allowed(d, requested, caller)) {
            throw new ShmException(Errno.EACCES, caller + " may not " + what + " segment " + d.id() + " (mode "
                    + Integer.toOctalString(d.mode()) + ", owner " + d.uid() + ":" + d.gid() + ")");
        }
    }

    /** shmget of an existing segment: the permission bits of the flags are the access asked, as Linux reads them. */
    static void checkFlags(Descriptor d, int flags, Caller caller) {
        int flag = flags & 0777;
        check(d, (flag >> 6) | (flag >> 3) | flag, caller, "access (flags " + Integer.toOctalString(flag) + ")");
    }

    /** IPC_SET and IPC_RMID: the owner, the creator or root. */
    static void checkOwner(Descriptor d, Caller caller, String what) {
        if (!caller.root() && caller.uid() != d.uid() && caller.uid() != d.cuid()) {
            throw new ShmException(Errno.EPERM, caller + " is neither the owner (" + d.uid() + ") nor the creator ("
                    + d.cuid() + ") of segment " + d.id() + ": it may not " + what);
        }
    }
}
