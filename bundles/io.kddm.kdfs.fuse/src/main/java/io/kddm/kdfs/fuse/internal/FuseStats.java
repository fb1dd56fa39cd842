package io.kddm.kdfs.fuse.internal;

import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the mount served, per kind of request: how many, how many failed, and
 * the time from reading a request to writing its reply (kDFS's part of the
 * latency a program sees; the rest is the kernel's round trip). Shown by
 * {@code kdfs:fusestatus}.
 */
final class FuseStats {
    private static final int KINDS = 64;
    private static final Map<Integer, String> NAMES = Map.ofEntries(Map.entry(FuseProtocol.LOOKUP, "lookup"),
            Map.entry(FuseProtocol.FORGET, "forget"), Map.entry(FuseProtocol.GETATTR, "getattr"),
            Map.entry(FuseProtocol.SETATTR, "setattr"), Map.entry(FuseProtocol.READLINK, "readlink"),
            Map.entry(FuseProtocol.SYMLINK, "symlink"), Map.entry(FuseProtocol.MKNOD, "mknod"),
            Map.entry(FuseProtocol.MKDIR, "mkdir"), Map.entry(FuseProtocol.UNLINK, "unlink"),
            Map.entry(FuseProtocol.RMDIR, "rmdir"), Map.entry(FuseProtocol.RENAME, "rename"),
            Map.entry(FuseProtocol.LINK, "link"), Map.entry(FuseProtocol.OPEN, "open"),
            Map.entry(FuseProtocol.READ, "read"), Map.entry(FuseProtocol.WRITE, "write"),
            Map.entry(FuseProtocol.STATFS, "statfs"), Map.entry(FuseProtocol.RELEASE, "release"),
            Map.entry(FuseProtocol.FSYNC, "fsync"), Map.entry(FuseProtocol.FLUSH, "flush"),
            Map.entry(FuseProtocol.INIT, "init"), Map.entry(FuseProtocol.OPENDIR, "opendir"),
            Map.entry(FuseProtocol.READDIR, "readdir"), Map.entry(FuseProtocol.RELEASEDIR, "releasedir"),
            Map.entry(FuseProtocol.FSYNCDIR, "fsyncdir"), Map.entry(FuseProtocol.ACCESS, "access"),
            Map.entry(FuseProtocol.CREATE, "create"), Map.entry(FuseProtocol.INTERRUPT, "interrupt"),
            Map.entry(FuseProtocol.DESTROY, "destroy"), Map.entry(FuseProtocol.BATCH_FORGET, "batch_forget"),
            Map.entry(FuseProtocol.RENAME2, "rename2"));

    private final LongAdder[] count = adders();
    private final LongAdder[] failed = adders();
    private final LongAdder[] nanos = adders();

    private static LongAdder[] adders() {
        LongAdder[] a = new LongAdder[KINDS];
        for (int i = 0; i < KINDS; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    void served(int opcode, int error, long elapsed) {
        int k = opcode >= 0 && opcode < KINDS ? opcode : 0; // 0: any other
        count[k].increment();
        nanos[k].add(elapsed);
        if (error < 0 && error != KdfsLowLevel.NO_REPLY) {
            failed[k].increment();
        }
    }

    /** One line per kind of request served: name, count, failures, mean microseconds in this node. */
    String table() {
        StringBuilder b = new StringBuilder(String.format("%-12s %10s %8s %9s%n", "request", "served", "errors",
                "mean µs"));
        for (int k = 0; k < KINDS; k++) {
            long n = count[k].sum();
            if (n > 0) {
                b.append(String.format("%-12s %10d %8d %9.1f%n", NAMES.getOrDefault(k, k == 0 ? "other" : "op " + k),
                        n, failed[k].sum(), nanos[k].sum() / 1000.0 / n));
            }
        }
        return b.toString();
    }
}
