package io.kddm.kdfs.fuse.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import io.kddm.kdfs.Caller;

/**
 * Who calls through the mount: the FUSE context gives the process's uid, gid and
 * pid; its supplementary groups are read from {@code /proc/PID/status} (as
 * libfuse's {@code fuse_getgroups} does), only for callers other than root (root
 * passes every check), and kept a second per process so a burst of calls reads
 * them once.
 */
final class Callers {
    private static final long KEEP_NANOS = 1_000_000_000L;

    private record Known(Caller caller, long readAt) {
    }

    private final ConcurrentHashMap<Long, Known> byProcess = new ConcurrentHashMap<>();

    Caller of(long uid, long gid, long pid) {
        int u = (int) uid;
        int g = (int) gid;
        if (u == 0) {
            return g == 0 ? Caller.ROOT : new Caller(0, g);
        }
        long now = System.nanoTime();
        Known k = byProcess.get(pid);
        if (k != null && now - k.readAt < KEEP_NANOS && k.caller.uid() == u && k.caller.gid() == g) {
            return k.caller;
        }
        Caller c = new Caller(u, g, groups(pid));
        if (byProcess.size() > 4096) {
            byProcess.clear(); // processes come and go: a bound, not an eviction policy
        }
        byProcess.put(pid, new Known(c, now));
        return c;
    }

    /** The {@code Groups:} line of {@code /proc/PID/status}; none if the process is gone. */
    static int[] groups(long pid) {
        try {
            return parseGroups(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")));
        } catch (IOException | RuntimeException gone) {
            return new int[0];
        }
    }

    static int[] parseGroups(List<String> status) {
        for (String line : status) {
            if (line.startsWith("Groups:")) {
                String rest = line.substring("Groups:".length()).trim();
                return rest.isEmpty() ? new int[0]
                        : Arrays.stream(rest.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            }
        }
        return new int[0];
    }
}
