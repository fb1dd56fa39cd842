package io.kddm.ipc.impl;

import io.kddm.ipc.Caller;
import io.kddm.ipc.Errno;
import io.kddm.ipc.IpcException;
import io.kddm.ipc.IpcPerm;

/** Permission checks of System V's ipcperms: owner or creator bits, then group, then others; root passes. */
final class Perm {
    static final int READ = 4;
    static final int WRITE = 2;

    private Perm() {
    }

    static void check(Caller c, IpcPerm p, int want, String what) {
        if (c.root()) {
            return;
        }
        int shift = c.uid() == p.uid() || c.uid() == p.cuid() ? 6 : c.gid() == p.gid() || c.gid() == p.cgid() ? 3 : 0;
        int granted = (p.mode() >> shift) & 7;
        if ((granted & want) != want) {
            throw new IpcException(Errno.EACCES, what + ": uid " + c.uid() + " gid " + c.gid() + " may not "
                    + (want == READ ? "read" : want == WRITE ? "write" : "read and write") + " (owner " + p.uid()
                    + ":" + p.gid() + ", mode " + p.octalMode() + ")");
        }
    }

    /** IPC_SET and IPC_RMID: the owner, the creator or root. */
    static void owner(Caller c, IpcPerm p, String what) {
        if (!c.root() && c.uid() != p.uid() && c.uid() != p.cuid()) {
            throw new IpcException(Errno.EPERM, what + ": uid " + c.uid() + " is neither its owner (" + p.uid()
                    + ") nor its creator (" + p.cuid() + ")");
        }
    }

    static void write(Bytes.Out out, IpcPerm p) {
        out.l(p.key()).i(p.uid()).i(p.gid()).i(p.cuid()).i(p.cgid()).i(p.mode());
    }

    static IpcPerm read(Bytes.In in) {
        return new IpcPerm(in.l(), in.i(), in.i(), in.i(), in.i(), in.i());
    }
}
