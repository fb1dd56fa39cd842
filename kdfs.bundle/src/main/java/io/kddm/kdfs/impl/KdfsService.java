package io.kddm.kdfs.impl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
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
import io.kddm.kdfs.Kdfs;

/**
 * kDFS on this node: registers its three families and their IO linkers with
 * kDDM (they share this node's mount, so they are registered here rather than
 * as components of their own), offers the {@link Kdfs} operations, mounts the
 * configured partition at start and writes back what this node changed every
 * {@code sync.interval.s} seconds. Immediate: a node must serve the inodes its
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

        @AttributeDefinition(description = "Seconds between write-backs of what this node changed (0: only on "
                + "close, fsync, kdfs:sync and unmount)")
        int sync_interval_s() default 5;
    }

    private final LocalKdfs kdfs;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final ScheduledExecutorService syncer;

    @Activate
    public KdfsService(BundleContext context, @Reference Kddm kddm, @Reference Membership membership, Config config) {
        if (config.sync_interval_s() < 0) {
            throw new IllegalArgumentException("sync.interval.s must be >= 0, not " + config.sync_interval_s());
        }
        kdfs = new LocalKdfs(kddm, membership);
        for (SetFamily f : kdfs.families()) {
            registrations.add(context.registerService(SetFamily.class, f, props("kddm.family", f.name())));
        }
        for (IoLinker l : kdfs.ioLinkers()) {
            registrations.add(context.registerService(IoLinker.class, l, props("kddm.linker.io", l.id())));
        }
        registrations.add(context.registerService(Kdfs.class, kdfs.fs(), null));
        if (!config.partition().isBlank()) {
            try {
                mount(config.partition().trim(), config.root().isBlank() ? null : config.root().trim());
                LOG.info("kDFS mounted at start: {}", kdfs.state().describe());
            } catch (RuntimeException e) {
                LOG.error("kDFS not mounted at start: {}", e.getMessage());
            }
        }
        syncer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kdfs-writeback");
            t.setDaemon(true);
            return t;
        });
        if (config.sync_interval_s() > 0) {
            syncer.scheduleWithFixedDelay(kdfs::syncAll, config.sync_interval_s(), config.sync_interval_s(),
                    TimeUnit.SECONDS);
        }
    }

    private static Dictionary<String, Object> props(String key, String value) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(key, value);
        return p;
    }

    @Deactivate
    void deactivate() {
        syncer.shutdownNow();
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
        kdfs.mount(dir.equals("NONE") ? null : Path.of(dir), root == null ? null : Ino.parse(root));
    }

    int sync() {
        return kdfs.sync();
    }

    void umount() {
        kdfs.umount();
    }
}
