package io.kddm.kdfs.impl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.membership.Membership;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.LeaveListener;
import io.kddm.kdfs.Kdfs;

/**
 * kDFS on this node: registers its three families and their IO linkers with
 * kDDM (they share this node's mount, so they are registered here rather than
 * as components of their own), offers the {@link Kdfs} operations, mounts the
 * configured partition at start and writes back what this node changed every
 * {@code sync.interval.s} seconds (unforced: durability is fsync's and
 * kdfs:sync's). Immediate: a node must serve the inodes its
 * partition stores before anybody there types a kdfs command. Stopping it writes
 * everything back first.
 */
@Component(service = KdfsService.class, configurationPid = KdfsService.PID, immediate = true)
@Designate(ocd = KdfsService.Config.class)
public final class KdfsService {
    static final String PID = "io.kddm.kdfs";
    private static final Logger LOG = LoggerFactory.getLogger(KdfsService.class);

    @ObjectClassDefinition(name = "kDFS")
    public @interface Config {
        @AttributeDefinition(description = "Partition to mount at start: a folder made by kdfs:mkfs, NONE for a "
                + "diskless node, empty to mount with kdfs:mount", required = false)
        String partition() default "";

        @AttributeDefinition(description = "Root inode id for a diskless mount (NONE): decimal, 0xHEX or NODE:LOCAL",
                required = false)
        String root() default "";

        @AttributeDefinition(description = "A diskless node (NONE) of a file system made with --replicas 2 or 3: the same "
                + "replica count (a partition's superblock says it otherwise)")
        int replicas() default 1;

        @AttributeDefinition(description = "And the same partition nodes, in order, comma separated", required = false)
        String partitions() default "";

        @AttributeDefinition(description = "Seconds between write-backs (unforced) of what this node changed "
                + "(0: only on close, fsync, kdfs:sync and unmount)")
        int sync_interval_s() default 5;

        @AttributeDefinition(description = "Whether a close (FUSE: every close(2)) of a file written here waits for "
                + "its write-back to the file's store nodes, so that a crash of this node loses no closed file "
                + "(false: the write-back starts at the close and a crash may lose it; fsync still waits)")
        boolean close_waits() default true;
    }

    private final LocalKdfs kdfs;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final ScheduledExecutorService syncer;
    /** The configuration in force: the partition and root mounted at start, the write-back interval. */
    private volatile Config config;
    private ScheduledFuture<?> periodic;

    @Activate
    public KdfsService(BundleContext context, @Reference Kddm kddm, @Reference Membership membership, Config config) {
        checkInterval(config);
        this.config = config;
        kdfs = new LocalKdfs(kddm, membership);
        kdfs.closeWaits(config.close_waits());
        for (SetFamily f : kdfs.families()) {
            registrations.add(context.registerService(SetFamily.class, f, props("kddm.family", f.name())));
        }
        for (IoLinker l : kdfs.ioLinkers()) {
            registrations.add(context.registerService(IoLinker.class, l, props("kddm.linker.io", l.id())));
        }
        registrations.add(context.registerService(Kdfs.class, kdfs.fs(), null));
        // Before the node leaves in order, what this node changed goes to its homes' partitions.
        registrations.add(context.registerService(LeaveListener.class, this::writeBackBeforeLeaving, null));
        mountConfigured(config, "at start");
        syncer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kdfs-writeback");
            t.setDaemon(true);
            return t;
        });
        schedule(config.sync_interval_s());
    }

    private static void checkInterval(Config config) {
        if (config.sync_interval_s() < 0) {
            throw new IllegalArgumentException("sync.interval.s must be >= 0, not " + config.sync_interval_s());
        }
    }

    private void mountConfigured(Config config, String when) {
        if (config.partition().isBlank()) {
            return;
        }
        try {
            mount(config.partition().trim(), config.root().isBlank() ? null : config.root().trim(),
                    Volume.parse(config.replicas(), config.partitions()));
            LOG.info("kDFS mounted {}: {}", when, kdfs.state().describe());
        } catch (RuntimeException e) {
            LOG.error("kDFS not mounted {}: {}", when, e.getMessage());
        }
    }

    private synchronized void schedule(int seconds) {
        if (periodic != null) {
            periodic.cancel(false);
            periodic = null;
        }
        if (seconds > 0) {
            periodic = syncer.scheduleWithFixedDelay(kdfs::writeBackAll, seconds, seconds, TimeUnit.SECONDS);
        }
    }

    /**
     * A change of {@code io.kddm.kdfs} applies live, key by key, without
     * deactivating the component: the write-back interval and close.waits at
     * once; a partition configured while nothing is mounted is mounted now. The
     * volume (partition, root, replicas, partitions) cannot change while one is
     * mounted (files are open on it): refused with a log line naming the keys,
     * the mounted one stays ({@code kdfs:umount} first, or restart the node). The
     * {@code mount} keys are the FUSE bundle's.
     */
    @Modified
    void modified(Config next) {
        Config now = config;
        int interval = now.sync_interval_s();
        if (next.sync_interval_s() != interval) {
            if (next.sync_interval_s() < 0) {
                LOG.error("io.kddm.kdfs: sync.interval.s must be >= 0, not {}: refused, {} s stays in force",
                        next.sync_interval_s(), interval);
            } else {
                schedule(next.sync_interval_s());
                LOG.info("io.kddm.kdfs: sync.interval.s changed from {} to {}, live", interval, next.sync_interval_s());
                interval = next.sync_interval_s();
            }
        }
        if (next.close_waits() != now.close_waits()) {
            kdfs.closeWaits(next.close_waits());
            LOG.info("io.kddm.kdfs: close.waits changed from {} to {}, live", now.close_waits(), next.close_waits());
        }
        List<String> moved = new ArrayList<>();
        if (!next.partition().trim().equals(now.partition().trim())) {
            moved.add("partition '" + now.partition() + "' -> '" + next.partition() + "'");
        }
        if (!next.root().trim().equals(now.root().trim())) {
            moved.add("root '" + now.root() + "' -> '" + next.root() + "'");
        }
        if (next.replicas() != now.replicas()) {
            moved.add("replicas " + now.replicas() + " -> " + next.replicas());
        }
        if (!next.partitions().trim().equals(now.partitions().trim())) {
            moved.add("partitions '" + now.partitions() + "' -> '" + next.partitions() + "'");
        }
        boolean keepVolume = false;
        if (!moved.isEmpty() && kdfs.state().mounted()) {
            LOG.error("io.kddm.kdfs: {} while {} is mounted: refused live, files are open on it (kdfs:umount first, "
                    + "or restart the node); the mounted volume stays", String.join(", ", moved),
                    kdfs.state().describe());
            keepVolume = true;
        } else if (!moved.isEmpty()) {
            LOG.info("io.kddm.kdfs: {}, live", String.join(", ", moved));
            mountConfigured(next, "after a configuration change");
        }
        config = inForce(next, keepVolume ? now : next, interval);
    }

    /** {@code c} with the volume of {@code volume} and the interval {@code seconds}: what a refusal leaves in force. */
    private static Config inForce(Config c, Config volume, int seconds) {
        return new Config() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return Config.class;
            }

            @Override
            public String partition() {
                return volume.partition();
            }

            @Override
            public String root() {
                return volume.root();
            }

            @Override
            public int replicas() {
                return volume.replicas();
            }

            @Override
            public String partitions() {
                return volume.partitions();
            }

            @Override
            public int sync_interval_s() {
                return seconds;
            }

            @Override
            public boolean close_waits() {
                return c.close_waits();
            }
        };
    }

    private void writeBackBeforeLeaving() {
        if (kdfs.state().mounted()) {
            List<String> failed = kdfs.syncAll();
            if (!failed.isEmpty()) {
                LOG.error("kDFS leaves with {} inodes not written back, first: {}", failed.size(), failed.get(0));
            }
        }
    }

    /** What kdfs:status shows. */
    String status() {
        int interval = config.sync_interval_s();
        return "mount: " + kdfs.state().describe() + "\nwrite-back every: "
                + (interval == 0 ? "never (close, fsync, kdfs:sync and unmount only)" : interval + " s") + "\n";
    }

    private static Dictionary<String, Object> props(String key, String value) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(key, value);
        return p;
    }

    @Deactivate
    void deactivate() {
        syncer.shutdown(); // a pass under way ends (interrupted, its file writes would fail and be redone)
        try {
            syncer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kdfs.stopCloseWriteBack();
        if (kdfs.state().mounted()) {
            List<String> failed = kdfs.syncAll();
            if (!failed.isEmpty()) {
                LOG.error("kDFS stopped with {} inodes not written back, first: {}", failed.size(), failed.get(0));
            }
        }
        kdfs.state().umount();
        registrations.forEach(ServiceRegistration::unregister);
    }

    Kdfs fs() {
        return kdfs.fs();
    }

    Mount state() {
        return kdfs.state();
    }

    /** Mounts {@code dir}, or diskless for {@code NONE} with {@code root}. */
    void mount(String dir, String root) {
        mount(dir, root, Volume.SINGLE);
    }

    void mount(String dir, String root, Volume diskless) {
        kdfs.mount(dir.equals("NONE") ? null : Path.of(dir), root == null ? null : Ino.parse(root), diskless);
    }

    int sync() {
        return kdfs.sync();
    }

    void umount() {
        kdfs.umount();
    }
}
