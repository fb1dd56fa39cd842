package io.kddm.kdfs.fuse.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.kdfs.Kdfs;

/**
 * One FUSE mount of kDFS on this node: the checks before (a mount point that
 * exists, is an empty directory and is not mounted already; {@code /dev/fuse};
 * libfuse2), the clearing of a stale mount a killed node left behind, and the
 * mount and unmount themselves. libfuse2 mounts ({@code fsname=kdfs},
 * {@code subtype=kdfs}, {@code allow_other} when mounted by root, so every user
 * sees the mount); the requests are served by {@link FuseSession}.
 * <p>
 * Permission checks are kDFS's own (no {@code default_permissions}), on the
 * coherent inode: the kernel's would use attributes that another node may have
 * changed since it cached them.
 */
final class FuseMount {
    private static final Logger LOG = LoggerFactory.getLogger(FuseMount.class);

    /** What the kernel may cache of the mount ({@code mount.cache}). */
    enum Cache {
        /**
         * The default: nothing. Names and attributes valid for 0 s and pages
         * read and written directly ({@code FOPEN_DIRECT_IO}): kDFS is coherent
         * across nodes, and any kernel cache could show this node something
         * another node has changed since.
         */
        NONE(0, FuseProtocol.FOPEN_DIRECT_IO),
        /**
         * Names and attributes for 1 s, pages kept across opens
         * ({@code FOPEN_KEEP_CACHE}) until the kernel sees the file's size or time
         * change ({@code FUSE_AUTO_INVAL_DATA}): libfuse's {@code auto_cache}. Not
         * coherent across nodes: for a node alone, or to measure what coherence costs.
         */
        KERNEL(1_000_000_000L, FuseProtocol.FOPEN_KEEP_CACHE);

        private final long validNanos;
        private final int openFlags;

        Cache(long validNanos, int openFlags) {
            this.validNanos = validNanos;
            this.openFlags = openFlags;
        }

        long validNanos() {
            return validNanos;
        }

        int openFlags() {
            return openFlags;
        }

        boolean kernel() {
            return this == KERNEL;
        }

        /** The policy of a {@code mount.cache} value ({@code none} or {@code kernel}). */
        static Cache of(String value) {
            return switch (value) {
                case "none" -> NONE;
                case "kernel" -> KERNEL;
                default -> throw new FuseException("io.kddm.kdfs mount.cache must be none (coherent, the default) or "
                        + "kernel (faster, not coherent across nodes), not '" + value + "'");
            };
        }
    }

    /** How long a mount waits for this node to reach kDFS's root (it may be joining the cluster). */
    private static final int ROOT_WAIT_SECONDS = 30;

    private final Path mountPoint;
    private final KdfsLowLevel fs;
    private final FuseSession session;

    private FuseMount(Path mountPoint, KdfsLowLevel fs, FuseSession session) {
        this.mountPoint = mountPoint;
        this.fs = fs;
        this.session = session;
    }

    Path mountPoint() {
        return mountPoint;
    }

    /** Requests served so far, per kind (see {@link FuseStats#table}). */
    String requests() {
        return session.stats().table();
    }

    int openFiles() {
        return fs.files().size();
    }

    /** Mounts kDFS at {@code dir}; a clear {@link FuseException} if it cannot. */
    static FuseMount mount(Kdfs kdfs, Path dir) {
        return mount(kdfs, dir, Cache.NONE);
    }

    static FuseMount mount(Kdfs kdfs, Path dir, Cache cache) {
        Path mp = dir.toAbsolutePath().normalize();
        if (!Files.exists(Path.of("/dev/fuse"))) {
            throw new FuseException("no /dev/fuse on this machine: load the fuse kernel module (modprobe fuse), or "
                    + "give the container the device (--device /dev/fuse)");
        }
        if (!isRoot() && !(Files.isReadable(Path.of("/dev/fuse")) && Files.isWritable(Path.of("/dev/fuse")))) {
            throw new FuseException("/dev/fuse is not readable and writable by user " + System.getProperty("user.name")
                    + ": run the node as root, or make /dev/fuse 0666 as most distributions do (fusermount then "
                    + "mounts for this user)");
        }
        if (!kdfs.mounted()) {
            throw new FuseException("kDFS is not mounted on this node: kdfs:mount first (or partition= in "
                    + "io.kddm.kdfs.cfg)");
        }
        clearStale(mp);
        if (!Files.isDirectory(mp)) {
            throw new FuseException(Files.exists(mp) ? "mount point " + mp + " is not a directory"
                    : "mount point " + mp + " does not exist: create it first (mkdir -p " + mp + ")");
        }
        if (mountedAt(mp)) {
            throw new FuseException(mp + " is a mount point already (umount it, or choose another folder)");
        }
        try (Stream<Path> entries = Files.list(mp)) {
            if (entries.findAny().isPresent()) {
                throw new FuseException("mount point " + mp + " is not empty: mounting there would hide its files");
            }
        } catch (IOException e) {
            throw new FuseException("cannot read mount point " + mp + ": " + e.getMessage());
        }
        awaitRoot(kdfs);
        KdfsLowLevel fs = new KdfsLowLevel(kdfs, cache);
        List<String> options = new ArrayList<>(List.of("fsname=kdfs", "subtype=kdfs"));
        if (isRoot()) {
            options.add("allow_other");
        }
        FuseDevice device;
        try {
            device = FuseDevice.mount(mp, options);
        } catch (RuntimeException | LinkageError e) {
            throw e instanceof FuseException f ? f : new FuseException("mounting kDFS at " + mp + " failed: " + e);
        }
        FuseSession session = new FuseSession(device, fs);
        session.start(mp.getFileName() == null ? "root" : mp.getFileName().toString());
        return new FuseMount(mp, fs, session);
    }

    /**
     * Waits until this node reaches kDFS's root: a node that has just started
     * may not be in the cluster's view yet, or hold no lease, and every request
     * of a mount made now would fail with EIO.
     */
    private static void awaitRoot(Kdfs kdfs) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ROOT_WAIT_SECONDS);
        long pause = 10;
        while (true) {
            try {
                kdfs.getattr(kdfs.root());
                return;
            } catch (io.kddm.kdfs.KdfsException e) {
                if (e.errno() != io.kddm.kdfs.Errno.EIO || System.nanoTime() - deadline > 0) {
                    throw new FuseException("kDFS's root is not reachable from this node (" + e.getMessage()
                            + "): not mounting a file system every request of which would fail");
                }
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FuseException("interrupted while waiting for kDFS's root");
            }
            pause = Math.min(pause * 2, 200);
        }
    }

    /** Unmounts; files still open through the mount are closed (written back). */
    void umount() {
        session.stop();
        LOG.info("the mount at {} served:\n{}", mountPoint, session.stats().table());
        int closed = fs.files().closeAll(fs::drop);
        if (closed > 0) {
            LOG.info("closed {} files still open through the mount at {}", closed, mountPoint);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Whether {@code /proc/self/mountinfo} lists {@code mp} as a mount point. */
    static boolean mountedAt(Path mp) {
        try {
            return mountPoints(Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8))
                    .contains(mp.toString());
        } catch (IOException e) {
            return false;
        }
    }

    /** Mount points of mountinfo lines (field 5, with octal escapes undone). */
    static List<String> mountPoints(List<String> mountinfo) {
        List<String> out = new ArrayList<>();
        for (String line : mountinfo) {
            String[] f = line.split(" ");
            if (f.length > 4) {
                out.add(unescape(f[4]));
            }
        }
        return out;
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) { // \040 is a space, \011 a tab...
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * A mount point still listed but dead ("Transport endpoint is not connected":
     * the node that served it was killed) is unmounted lazily, with a log line.
     */
    private static void clearStale(Path mp) {
        if (!mountedAt(mp)) {
            return;
        }
        try (Stream<Path> entries = Files.list(mp)) {
            entries.findAny();
            return; // alive: somebody else's mount, refused by the caller
        } catch (IOException e) {
            LOG.warn("a stale FUSE mount is at {} ({}): a node serving it was killed; unmounting it", mp,
                    e.getMessage());
        }
        try {
            Process p = new ProcessBuilder("fusermount", "-u", "-z", mp.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new FuseException("cannot clear the stale mount at " + mp + ": fusermount -u -z said: " + out);
            }
        } catch (IOException e) {
            throw new FuseException("cannot clear the stale mount at " + mp + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FuseException("interrupted while clearing the stale mount at " + mp);
        }
    }
}
