package io.kddm.ipc.impl;

import java.util.ArrayList;
import java.util.List;

import io.kddm.ipc.Caller;
import io.kddm.ipc.Errno;
import io.kddm.ipc.IpcException;

/**
 * The shared memory rows of {@code ipcs} and {@code ipcrm -m}, through the shm
 * bundle's API when it runs. Its package is imported optionally: this class
 * is the only one that names its types, and it is loaded only when that
 * service is there.
 */
final class ShmRows {
    private ShmRows() {
    }

    static List<String> rows(Object service) {
        List<String> out = new ArrayList<>();
        out.add(String.format("%-10s %-10s %-10s %-6s %-10s %-7s %s", "key", "shmid", "owner", "perms", "bytes",
                "nattch", "status"));
        if (service == null) {
            out.add("(the shm bundle is not running on this node)");
            return out;
        }
        try {
            for (io.kddm.shm.SegmentInfo s : ((io.kddm.shm.SharedMemory) service).segments()) {
                out.add(String.format("%-10s %-10d %-10d %-6s %-10d %-7d %s", Directory.hex(s.key() & 0xFFFF_FFFFL),
                        s.id(), s.uid(), s.octalMode(), s.size(), s.attached(), s.removed() ? "dest" : ""));
            }
        } catch (LinkageError | ClassCastException notWired) {
            out.add("(the shm bundle came after this one: refresh io.kddm.ipc to list its segments)");
        }
        return out;
    }

    static void remove(Object service, int id, Caller caller) {
        if (service == null) {
            throw new IpcException(Errno.EINVAL, "no shared memory here: the shm bundle is not running on this node");
        }
        try {
            ((io.kddm.shm.SharedMemory) service).remove(id, new io.kddm.shm.Caller(caller.uid(), caller.gid()));
        } catch (io.kddm.shm.ShmException e) {
            Errno errno;
            try {
                errno = Errno.valueOf(e.errno().name());
            } catch (IllegalArgumentException other) {
                errno = Errno.EINVAL;
            }
            throw new IpcException(errno, String.valueOf(e.getMessage()).replaceFirst("^[A-Z0-9]+: ", ""));
        } catch (LinkageError | ClassCastException notWired) {
            throw new IpcException(Errno.EINVAL, "the shm bundle came after this one: refresh io.kddm.ipc");
        }
    }
}
