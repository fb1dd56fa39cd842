package io.kddm.kdfs.fuse.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * libfuse2's session served by Java threads. {@code fuse_main} would serve it
 * from libfuse's own worker threads, which libfuse starts and ends as the load
 * comes and goes; each new one has to be attached to the JVM (a new
 * {@code java.lang.Thread}) before its first callback. Measured on
 * {@code tar xzf}: thousands of thread attachments, and most of a request's
 * cost. Here a fixed set of Java threads each loops on {@code fuse_chan_recv}
 * and {@code fuse_session_process}, as {@code fuse_loop_mt} does, so every
 * callback runs on a thread the JVM already knows. No signal handlers are set:
 * the node's own shutdown unmounts.
 */
final class FuseSession {
    private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);
    /**
     * Threads serving requests. A request that waits on kDDM (a remote object, a
     * lock) holds its thread; the kernel sends at most 12 background requests at
     * a time (max_background) plus one per waiting process.
     */
    static final int WORKERS = 16;
    private static final int EINTR = 4;
    private static final int ENOENT = 2;
    private static final int EAGAIN = 11;

    private static volatile FuseLibrary library;

    private final Path mountPoint;
    private final FuseLibrary lib;
    private final Pointer fuse;
    private final Pointer session;
    private final Pointer chan;
    /** The mount point string libfuse made (freed by fuse_teardown). */
    private final Pointer mountpointString;
    private final List<Thread> workers = new ArrayList<>();

    private FuseSession(Path mountPoint, FuseOperations operations, List<String> argv) {
        this.mountPoint = mountPoint;
        this.lib = library();
        Runtime rt = Runtime.getRuntime(lib);
        Pointer mp = Memory.allocateDirect(rt, rt.addressSize(), true);
        Pointer multithreaded = Memory.allocateDirect(rt, 4, true);
        fuse = lib.fuse_setup(argv.size(), argv.toArray(String[]::new), operations, Struct.size(operations), mp,
                multithreaded, null);
        if (fuse == null) {
            throw new FuseException("libfuse could not mount kDFS at " + mountPoint + " with " + argv + " (its "
                    + "reason is on the node's standard error: a bad mount option, or fusermount refused)");
        }
        mountpointString = mp.getPointer(0);
        session = lib.fuse_get_session(fuse);
        chan = lib.fuse_session_next_chan(session, null);
    }

    private static FuseLibrary library() {
        FuseLibrary l = library;
        if (l == null) {
            l = LibraryLoader.create(FuseLibrary.class).failImmediately().load("fuse");
            library = l;
        }
        return l;
    }

    /** Mounts at {@code mountPoint} with {@code options} ({@code -o} values) and starts serving. */
    static FuseSession start(Path mountPoint, FuseOperations operations, List<String> options) {
        List<String> argv = new ArrayList<>(List.of("kdfs", mountPoint.toString(), "-f"));
        options.forEach(o -> argv.addAll(List.of("-o", o)));
        FuseSession s = new FuseSession(mountPoint, operations, argv);
        long bufsize = s.lib.fuse_chan_bufsize(s.chan);
        for (int i = 0; i < WORKERS; i++) {
            Thread t = new Thread(() -> s.serve(bufsize), "kdfs-fuse-" + i);
            t.setDaemon(true);
            s.workers.add(t);
            t.start();
        }
        return s;
    }

    /** One worker: takes requests from /dev/fuse and runs them until the mount goes away. */
    private void serve(long bufsize) {
        Runtime rt = Runtime.getRuntime(lib);
        Pointer buf = Memory.allocateDirect(rt, (int) bufsize, false);
        Pointer chRef = Memory.allocateDirect(rt, rt.addressSize(), true);
        try {
            while (lib.fuse_session_exited(session) == 0) {
                chRef.putAddress(0, chan.address());
                int res = lib.fuse_chan_recv(chRef, buf, bufsize);
                if (res == -EINTR || res == -EAGAIN || res == -ENOENT) {
                    continue; // interrupted, or a request the kernel withdrew meanwhile
                }
                if (res <= 0) {
                    if (res < 0) {
                        LOG.warn("reading /dev/fuse for the mount at {} failed (errno {}): the mount stops", mountPoint,
                                -res);
                        lib.fuse_session_exit(session);
                    }
                    return; // 0: unmounted
                }
                lib.fuse_session_process(session, buf, res, chRef.getPointer(0));
            }
        } catch (RuntimeException | Error e) {
            LOG.error("a FUSE worker of the mount at {} failed: the mount stops", mountPoint, e);
            lib.fuse_session_exit(session);
        }
    }

    /**
     * Unmounts (lazily, as {@code fusermount -u -z}: a process still in the
     * mount keeps it until it leaves) and waits a while for the workers; frees
     * libfuse's state only once they are all gone.
     */
    void stop() {
        lib.fuse_session_exit(session);
        lazyUnmount();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : workers) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        long alive = workers.stream().filter(Thread::isAlive).count();
        if (alive > 0) {
            LOG.warn("{} FUSE workers still serve the mount at {}, detached but held by a process still in it; "
                    + "libfuse's state is kept for them", alive, mountPoint);
            return;
        }
        lib.fuse_teardown(fuse, mountpointString); // already unmounted: it closes the channel and frees the rest
    }

    private void lazyUnmount() {
        try {
            Process p = new ProcessBuilder("fusermount", "-u", "-z", mountPoint.toString()).redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                LOG.warn("fusermount -u -z {} failed: {}", mountPoint, out);
            }
        } catch (IOException e) {
            LOG.warn("cannot run fusermount to unmount {}: {}", mountPoint, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
