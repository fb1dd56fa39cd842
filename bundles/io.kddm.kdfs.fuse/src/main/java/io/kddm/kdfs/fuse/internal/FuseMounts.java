package io.kddm.kdfs.fuse.internal;

import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.kdfs.Kdfs;

/**
 * This node's FUSE mount of kDFS: the one configured ({@code mount=DIR} in
 * {@code io.kddm.kdfs}, mounted once kDFS is, remounted when it changes) or
 * the one {@code kdfs:fusemount} asked for. It is unmounted when this component
 * stops: the bundle stopped or updated (and mounted again by the new one), the
 * kDFS bundle updated, the node leaving (console exit, SIGTERM, end of
 * {@code --exec}).
 * <p>
 * The configuration is kDFS's own ({@code io.kddm.kdfs}, described by the kDFS
 * bundle's metatype): this bundle reads its {@code mount} and {@code mount.cache} keys.
 */
@Component(service = FuseMounts.class, configurationPid = "io.kddm.kdfs", immediate = true)
public final class FuseMounts {
    private static final Logger LOG = LoggerFactory.getLogger(FuseMounts.class);

    /** The key of {@code io.kddm.kdfs} this bundle reads. */
    @interface Config {
        /** Folder where this node mounts kDFS through FUSE at start; empty: none. */
        String mount() default "";

        /**
         * {@code none}: no kernel cache, every node sees every completed change at
         * once; {@code kernel}: attributes and names cached 1 s, pages kept while the
         * file looks unchanged (not coherent across nodes).
         */
        String mount_cache() default "none";
    }

    private final Kdfs kdfs;
    private final ScheduledExecutorService retries;
    private FuseMount current;
    private String configured = "";
    private FuseMount.Cache cache = FuseMount.Cache.NONE;
    private ScheduledFuture<?> pending;
    /** Tries of a configured mount, 1, 2, ... s apart. */
    private static final int MOUNT_ATTEMPTS = 5;

    @Activate
    public FuseMounts(@Reference Kdfs kdfs, Config config) {
        this.kdfs = kdfs;
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kdfs-fuse-mount");
            t.setDaemon(true);
            return t;
        });
        configure(config);
    }

    /** A change of {@code io.kddm.kdfs} applies live: a new {@code mount} folder or cache unmounts and mounts again. */
    @Modified
    void modified(Config config) {
        synchronized (this) {
            if (!config.mount().trim().equals(configured)) {
                LOG.info("io.kddm.kdfs: mount changed from '{}' to '{}', live", configured, config.mount().trim());
            }
        }
        configure(config);
    }

    /** A new folder, or a new cache policy, unmounts and mounts again. */
    private synchronized void configure(Config config) {
        FuseMount.Cache next;
        try {
            next = FuseMount.Cache.of(config.mount_cache().trim());
        } catch (FuseException e) {
            LOG.error("{}: keeping {}", e.getMessage(), cache);
            next = cache;
        }
        if (next != cache) {
            cache = next;
            if (current != null && !configured.isEmpty()
                    && current.mountPoint().equals(Path.of(configured).toAbsolutePath().normalize())) {
                unmountCurrent("io.kddm.kdfs mount.cache changed: mounting again with " + next);
                configured = ""; // so that the folder below mounts again
            } else if (current != null) {
                LOG.info("io.kddm.kdfs mount.cache changed: applies at the next kdfs:fusemount");
            }
        }
        configure(config.mount().trim());
    }

    @Deactivate
    void close() {
        retries.shutdownNow();
        synchronized (this) {
            if (current != null) {
                unmountCurrent("the FUSE bundle, or kDFS, stops");
            }
        }
    }

    private synchronized void configure(String dir) {
        if (dir.equals(configured)) {
            return;
        }
        if (pending != null) {
            pending.cancel(false);
        }
        if (current != null && current.mountPoint().equals(Path.of(configured).toAbsolutePath().normalize())) {
            unmountCurrent("io.kddm.kdfs mount= changed to '" + dir + "'");
        }
        configured = dir;
        if (!dir.isEmpty()) {
            pending = retries.schedule(() -> mountConfigured(dir, false, 1), 0, TimeUnit.MILLISECONDS);
        }
    }

    /** Mounts the configured folder once kDFS is mounted here (it may mount later, or be remounted). */
    private void mountConfigured(String dir, boolean waited, int attempt) {
        synchronized (this) {
            if (!dir.equals(configured) || current != null) {
                return;
            }
            if (!kdfs.mounted()) {
                if (!waited) {
                    LOG.info("kDFS FUSE mount at {} waits until kDFS is mounted on this node", dir);
                }
                pending = retries.schedule(() -> mountConfigured(dir, true, attempt), 500, TimeUnit.MILLISECONDS);
                return;
            }
            try {
                mount(Path.of(dir));
            } catch (FuseException e) {
                if (attempt < MOUNT_ATTEMPTS) {
                    // e.g. just after an update of this bundle, the previous one may hold jffi's native
                    // library until the framework refreshes it; or the folder is being made
                    LOG.warn("kDFS FUSE mount at {} (io.kddm.kdfs mount=) failed: {}; trying again in {} s", dir,
                            e.getMessage(), attempt);
                    pending = retries.schedule(() -> mountConfigured(dir, true, attempt + 1), attempt,
                            TimeUnit.SECONDS);
                } else {
                    LOG.error("kDFS FUSE mount at {} (io.kddm.kdfs mount=) failed {} times, the last: {}", dir,
                            attempt, e.getMessage());
                }
            }
        }
    }

    /** Mounts kDFS at {@code dir}; one mount per node. */
    public synchronized String mount(Path dir) {
        if (current != null) {
            throw new FuseException("kDFS is mounted at " + current.mountPoint() + " already: kdfs:fuseumount first");
        }
        long start = System.nanoTime();
        current = FuseMount.mount(kdfs, dir, cache);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        LOG.info("kDFS mounted through FUSE at {} ({} ms; kernel cache: {})", current.mountPoint(), ms, cache);
        return "kDFS mounted at " + current.mountPoint();
    }

    /** Unmounts the mount of this node. */
    public synchronized String umount() {
        if (current == null) {
            throw new FuseException("kDFS is not mounted through FUSE on this node");
        }
        Path mp = current.mountPoint();
        unmountCurrent("asked (kdfs:fuseumount)");
        return "kDFS unmounted from " + mp;
    }

    public synchronized String status() {
        return current == null ? "FUSE: not mounted" + (configured.isEmpty() ? "" : " (configured: " + configured + ")")
                : "FUSE: kDFS mounted at " + current.mountPoint() + ", " + current.openFiles() + " files open\n"
                        + current.requests();
    }

    private void unmountCurrent(String why) {
        Path mp = current.mountPoint();
        try {
            current.umount();
            LOG.info("kDFS FUSE mount at {} unmounted: {}", mp, why);
        } catch (RuntimeException e) {
            LOG.error("unmounting kDFS at {} failed ({}): {}", mp, why, e.toString());
        } finally {
            current = null;
        }
    }
}
