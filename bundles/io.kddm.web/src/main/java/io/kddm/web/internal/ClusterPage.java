package io.kddm.web.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.membership.Membership;
import io.kddm.api.set.Kddm;

/**
 * The cluster page's state on this node: registers the {@link BoardFamily},
 * and runs the {@link ClusterModel}'s rounds on a thread of its own, so that a
 * page opened on any node sees every node. Configuration {@code io.kddm.web}
 * ({@code round.ms}, {@code watch.s}) applies live.
 */
@Component(service = ClusterPage.class, configurationPid = ClusterPage.PID, immediate = true)
@Designate(ocd = ClusterPage.Config.class)
public final class ClusterPage {
    static final String PID = "io.kddm.web";
    private static final Logger LOG = LoggerFactory.getLogger(ClusterPage.class);
    /** How long a round waits for one node's board object: a node that does not answer is skipped. */
    static final Duration BOARD_WAIT = Duration.ofMillis(500);

    @ObjectClassDefinition(name = "kDDM cluster page")
    public @interface Config {
        @AttributeDefinition(description = "Milliseconds between two rounds of the board (each node's report)")
        long round_ms() default 1_000;

        @AttributeDefinition(description = "Seconds an object stays watched (reported on by every node) after a page "
                + "last asked about it")
        long watch_s() default 60;
    }

    private final List<SetFamily> families = new CopyOnWriteArrayList<>();
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final ClusterModel model;
    private final ScheduledExecutorService rounds = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "web-board");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> periodic;

    @Activate
    public ClusterPage(BundleContext context, @Reference Kddm kddm, @Reference Membership membership, Config config) {
        check(config);
        BoardFamily board = new BoardFamily();
        registrations.add(context.registerService(IoLinker.class, board, props("kddm.linker.io", board.id())));
        registrations.add(context.registerService(SetFamily.class, board, props("kddm.family", board.name())));
        model = new ClusterModel(kddm, membership, this::families, System::currentTimeMillis, BOARD_WAIT,
                Duration.ofSeconds(config.watch_s()));
        schedule(config.round_ms());
    }

    private static void check(Config config) {
        if (config.round_ms() < 100 || config.round_ms() > 60_000 || config.watch_s() < 1) {
            throw new IllegalArgumentException("round.ms must be 100..60000 and watch.s >= 1, not "
                    + config.round_ms() + " and " + config.watch_s());
        }
    }

    private static Dictionary<String, Object> props(String key, String value) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(key, value);
        return p;
    }

    private synchronized void schedule(long ms) {
        if (periodic != null) {
            periodic.cancel(false);
        }
        periodic = rounds.scheduleWithFixedDelay(() -> {
            try {
                model.round();
            } catch (RuntimeException e) {
                LOG.warn("cluster page: a round of the board failed", e);
            }
        }, 0, ms, TimeUnit.MILLISECONDS);
    }

    /** Both values apply from the next round. */
    @Modified
    void modified(Config config) {
        try {
            check(config);
        } catch (IllegalArgumentException e) {
            LOG.error("io.kddm.web not changed: {}", e.getMessage());
            return;
        }
        model.watchFor(Duration.ofSeconds(config.watch_s()));
        schedule(config.round_ms());
        LOG.info("io.kddm.web: a round every {} ms, objects watched {} s", config.round_ms(), config.watch_s());
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addFamily(SetFamily family) {
        families.add(family);
    }

    void removeFamily(SetFamily family) {
        families.remove(family);
    }

    private Collection<SetFamily> families() {
        return families;
    }

    ClusterModel model() {
        return model;
    }

    @Deactivate
    void deactivate() {
        rounds.shutdownNow();
        model.close();
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // the bundle is stopping: already unregistered
            }
        }
    }
}
