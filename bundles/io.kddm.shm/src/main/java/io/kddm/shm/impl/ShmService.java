package io.kddm.shm.impl;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

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
import io.kddm.shm.SharedMemory;

/**
 * Shared memory on this node: registers the two families and their IO linker
 * with kDDM, offers {@link SharedMemory}, and at each view that takes nodes out
 * drops their attaches ({@link DepartedAttaches}). Immediate: a node must home its share of the
 * keys and descriptors as soon as it runs. Stopping the bundle takes the
 * families away from this node only; every object's bytes stay with the core,
 * and the segments are all there again when it starts.
 */
@Component(service = ShmService.class, configurationPid = ShmService.PID, immediate = true)
@Designate(ocd = ShmService.Config.class)
public final class ShmService {
    static final String PID = "io.kddm.shm";
    private static final Logger LOG = LoggerFactory.getLogger(ShmService.class);

    @ObjectClassDefinition(name = "Shared memory")
    public @interface Config {
        @AttributeDefinition(description = "Largest segment, in bytes (SHMMAX); the same on every node")
        long shmmax() default 1L << 30;

        @AttributeDefinition(description = "Most segments in the cluster at once (SHMMNI, at most 16000); the same on "
                + "every node")
        int shmmni() default 4096;
    }

    private final LocalSharedMemory shm;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final AutoCloseable views;
    private final DepartedAttaches departed;

    @Activate
    public ShmService(BundleContext context, @Reference Kddm kddm, @Reference Membership membership, Config config) {
        shm = new LocalSharedMemory(kddm, membership, new LocalSharedMemory.Limits(config.shmmax(), config.shmmni()));
        ShmLinker linker = new ShmLinker();
        for (SetFamily f : List.of(ShmFamily.META, ShmFamily.PAGE)) {
            registrations.add(context.registerService(SetFamily.class, f, props("kddm.family", f.name())));
        }
        registrations.add(context.registerService(IoLinker.class, linker, props("kddm.linker.io", linker.id())));
        registrations.add(context.registerService(SharedMemory.class, shm, null));
        departed = new DepartedAttaches(shm, kddm.localNode());
        views = membership.addViewListener(departed);
    }

    /**
     * A change of {@code io.kddm.shm} applies live: the limits are checked at each
     * shmget of this node, so new ones apply from the next one (segments made
     * stay as they are). Invalid limits are refused with a log line and the ones
     * in force stay.
     */
    @Modified
    void modified(Config config) {
        LocalSharedMemory.Limits now = shm.limits();
        LocalSharedMemory.Limits next;
        try {
            next = new LocalSharedMemory.Limits(config.shmmax(), config.shmmni());
        } catch (IllegalArgumentException invalid) {
            LOG.error("{}: {}: refused, shmmax {} and shmmni {} stay in force", PID, invalid.getMessage(),
                    now.maxSize(), now.maxSegments());
            return;
        }
        if (next.equals(now)) {
            return;
        }
        shm.limits(next);
        if (next.maxSize() != now.maxSize()) {
            LOG.info("{}: shmmax changed from {} to {}, live (from the next shmget on)", PID, now.maxSize(),
                    next.maxSize());
        }
        if (next.maxSegments() != now.maxSegments()) {
            LOG.info("{}: shmmni changed from {} to {}, live (from the next shmget on)", PID, now.maxSegments(),
                    next.maxSegments());
        }
    }

    /** This node's shared memory (tests). */
    LocalSharedMemory shm() {
        return shm;
    }

    private static Dictionary<String, Object> props(String key, String value) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(key, value);
        return p;
    }

    @Deactivate
    void deactivate() {
        try {
            views.close();
        } catch (Exception e) {
            LOG.debug("view listener", e);
        }
        departed.close();
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // the framework is stopping
            }
        }
    }
}
