package io.kddm.kdfs.fuse.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.kdfs.Errno;
import io.kddm.kdfs.KdfsException;

/**
 * The request loop of one mount: worker threads (Java threads: the kernel hands
 * each request to one reader) that read a request, have {@link KdfsLowLevel}
 * serve it and write its reply. The first request is {@code FUSE_INIT}, answered
 * here with what this mount wants of the kernel. A request that fails with a
 * kDFS error is answered with its errno; anything else is logged and is
 * {@code EIO}, and the worker goes on.
 */
final class FuseSession {
    private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);
    /** Requests served at once: kDDM round trips block a worker, so more than the cores. */
    static final int WORKERS = 8;

    private final FuseDevice device;
    private final KdfsLowLevel fs;
    private final List<Thread> workers = new ArrayList<>();
    private final AtomicInteger live = new AtomicInteger();
    private final FuseStats stats = new FuseStats();
    private volatile boolean stopping;

    FuseSession(FuseDevice device, KdfsLowLevel fs) {
        this.device = device;
        this.fs = fs;
    }

    void start(String name) {
        for (int i = 0; i < WORKERS; i++) {
            Thread t = new Thread(this::serve, "kdfs-fuse-" + name + "-" + i);
            t.setDaemon(true);
            workers.add(t);
            live.incrementAndGet();
            t.start();
        }
    }

    private void serve() {
        try {
            loop();
        } finally {
            if (live.decrementAndGet() == 0) {
                device.close(); // the last reader is out: nobody reads the fd any more
            }
        }
    }

    private void loop() {
        FuseRequest in = new FuseRequest(device.buffer(FuseProtocol.BUFFER));
        FuseReply out = new FuseReply(device.buffer(FuseProtocol.BUFFER));
        while (true) {
            int n = device.read(in.buffer(), FuseProtocol.BUFFER);
            if (n == -FuseProtocol.EINTR || n == -FuseProtocol.EAGAIN || n == -FuseProtocol.ENOENT) {
                continue; // a signal, or a request interrupted before it was read
            }
            if (n < 0) {
                if (n != -FuseProtocol.ENODEV && !stopping) {
                    LOG.error("reading /dev/fuse failed (errno {}): this worker stops", -n);
                } else if (!stopping) {
                    LOG.warn("the FUSE mount was unmounted from outside this node (fusermount -u?)");
                }
                return;
            }
            if (in.load(n)) {
                handle(in, out);
            } else if (n >= FuseProtocol.IN_HEADER) {
                LOG.error("a FUSE request of {} bytes whose header says {}: answered EIO", n, in.length);
                out.reset();
                device.write(out.buffer(), out.finish(in.unique, -Errno.EIO.code())); // its caller must not hang
            } else {
                LOG.error("a FUSE read of {} bytes, shorter than a request header: ignored", n);
            }
        }
    }

    private void handle(FuseRequest in, FuseReply out) {
        long start = System.nanoTime();
        out.reset();
        int error;
        try {
            if (in.opcode == FuseProtocol.INIT) {
                init(in, out);
                error = 0;
            } else {
                error = fs.serve(in, out);
            }
        } catch (KdfsException e) {
            error = -e.errno().code();
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("kDFS FUSE request {} on node {} failed", in.opcode, in.nodeid, e);
            error = -Errno.EIO.code();
        } catch (Error e) { // out of memory, stack overflow: answered, so that the caller does not hang
            device.write(out.buffer(), out.finish(in.unique, -Errno.EIO.code()));
            throw e;
        }
        if (error != KdfsLowLevel.NO_REPLY) {
            int w = device.write(out.buffer(), out.finish(in.unique, error));
            if (w < 0 && w != -FuseProtocol.ENOENT) {
                LOG.warn("writing the reply to FUSE request {} failed (errno {})", in.opcode, -w);
            }
        }
        stats.served(in.opcode, error, System.nanoTime() - start);
    }

    FuseStats stats() {
        return stats;
    }

    /** {@code fuse_init_out}: protocol 7.38 (or the kernel's own, if older), 1 MiB requests. */
    private void init(FuseRequest in, FuseReply out) {
        int major = in.int32(0);
        int minor = in.int32(4);
        int readahead = in.int32(8);
        int offered = in.int32(12);
        if (major != FuseProtocol.MAJOR || (major == FuseProtocol.MAJOR && minor < FuseProtocol.OLDEST_MINOR)) {
            LOG.error("the kernel speaks FUSE {}.{}: this mount needs {}.{} or later", major, minor,
                    FuseProtocol.MAJOR, FuseProtocol.OLDEST_MINOR);
            throw new KdfsException(Errno.EIO, "FUSE protocol " + major + "." + minor);
        }
        int flags = offered & fs.initFlags();
        out.int32(FuseProtocol.MAJOR).int32(Math.min(minor, FuseProtocol.MINOR)).int32(readahead).int32(flags);
        out.int16(WORKERS * 2).int16(WORKERS * 3 / 2); // max_background, congestion_threshold
        out.int32(FuseProtocol.MAX_WRITE).int32(1); // max_write; time_gran: kDFS keeps nanoseconds
        out.int16(FuseProtocol.PAGES).int16(0).int32(0).zeros(28); // max_pages, map_alignment, flags2, unused
    }

    /**
     * Unmounts and waits for the workers, aborting the connection if files still
     * open through it keep it alive; the last worker out closes the device.
     */
    void stop() {
        stopping = true;
        device.unmount();
        if (!join(2)) {
            if (device.abort()) {
                LOG.info("files were still open through the mount: its FUSE connection was aborted");
                join(5);
            } else {
                LOG.warn("files are still open through the detached mount: it ends when they are closed");
            }
        }
    }

    private boolean join(int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (Thread t : workers) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (t.isAlive()) {
                return false;
            }
        }
        return true;
    }
}
