package io.kddm.impl.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

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

import io.kddm.api.linker.InterfaceLinker;
import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.membership.Membership;
import io.kddm.api.membership.View;
import io.kddm.api.membership.ViewListener;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.KddmStats;
import io.kddm.api.set.ObjectStatus;
import io.kddm.api.set.LeaveListener;
import io.kddm.api.set.SetIds;
import io.kddm.api.set.SetInfo;
import io.kddm.api.set.UnknownSetException;
import io.kddm.api.transport.Transport;
import io.kddm.impl.core.Wire.Kind;

/**
 * The kDDM core of a node: the set registry, the registries of families and
 * linkers (whiteboards: bundles come and go), and the coherence protocol.
 */
@Component(service = {Kddm.class, KddmService.class}, configurationPid = "io.kddm.core", immediate = true)
@Designate(ocd = KddmService.Config.class)
public final class KddmService implements Kddm {
    private static final Logger LOG = LoggerFactory.getLogger(KddmService.class);

    @ObjectClassDefinition(name = "kDDM core", description = "Operation limits of the kDDM core")
    public @interface Config {
        @AttributeDefinition(description = "Longest a get or grab waits before failing, ms")
        long operation_timeout_ms() default DEFAULT_OPERATION_TIMEOUT_MS;

        @AttributeDefinition(description = "Bytes of object copies this node keeps before it flushes idle ones "
                + "(read copies dropped, owned objects handed to other nodes or written back), MiB; 0: no limit")
        double memory_budget_mb() default DEFAULT_MEMORY_BUDGET_MB;

        @AttributeDefinition(description = "Well-known sets this node opens as soon as their family is registered, "
                + "as SET=FAMILY, comma separated (e.g. 0:7=file): a disk-backed set found again after a restart",
                required = false)
        String[] well_known() default {};

        @AttributeDefinition(description = "How long get and grab wait for a family or IO linker that just went "
                + "away to come back (a bundle being updated), ms; after that they fail fast")
        long linker_grace_ms() default DEFAULT_LINKER_GRACE_MS;
    }

    public static final long DEFAULT_OPERATION_TIMEOUT_MS = 30_000;
    public static final long DEFAULT_MEMORY_BUDGET_MB = 256;
    public static final long DEFAULT_LINKER_GRACE_MS = 5_000;

    private final Transport transport;
    private final Membership membership;
    private final Coherence coherence;
    private final LinkerRegistry registry;
    private final SetDirectory directory;
    /** Configured well-known sets, opened when their family comes (the list may grow live). */
    private final Map<Long, String> openAtStart;
    private final List<AutoCloseable> registrations = new CopyOnWriteArrayList<>();
    private final List<LeaveListener> leaveListeners = new CopyOnWriteArrayList<>();
    /** Whether this node has left in order (its objects handed off). */
    private boolean left;

    @Activate
    public KddmService(@Reference Transport transport, @Reference Membership membership, Config config,
            Map<String, Object> properties) {
        // Everything is checked before the other constructor registers handlers: a bad
        // configuration must leave nothing registered behind it.
        this(transport, membership, CoreSettings.operationTimeout(config), CoreSettings.memoryBudget(config),
                CoreSettings.linkerGrace(config), CoreSettings.wellKnown(config));
        coherence.backupOverrides(CoreSettings.backups(properties));
        coherence.minCopies(CoreSettings.minCopies(properties));
    }

    /**
     * A change of {@code io.kddm.core} applies live, key by key: the component is
     * not deactivated, so no object moves. An invalid value is refused (logged) and
     * the one in force stays ({@code backups.FAMILY} included: it applies from each
     * object's next put on); a well-known set removed from the list stays open
     * until the node restarts (a set cannot be closed on one node alone).
     */
    @Modified
    void modified(Config config, Map<String, Object> properties) {
        perFamily("backups", properties, CoreSettings::backups, coherence::backupOverrides,
                coherence::backupOverrides, " (objects are backed up by the new count from their next put on)");
        perFamily("min.copies", properties, CoreSettings::minCopies, coherence::minCopies, coherence::minCopies, "");
        CoreSettings.change("operation.timeout.ms", config, CoreSettings::operationTimeout,
                coherence.operationTimeout(), coherence::operationTimeout, d -> d.toMillis() + " ms");
        CoreSettings.change("memory.budget.mb", config, CoreSettings::memoryBudget, coherence.memoryBudget(),
                coherence::memoryBudget, b -> b == 0 ? "none" : b / 1024 + " KiB");
        CoreSettings.change("linker.grace.ms", config, CoreSettings::linkerGrace, registry.grace(), registry::grace,
                d -> d.toMillis() + " ms");
        CoreSettings.change("well.known", config, CoreSettings::wellKnown, Map.copyOf(openAtStart), next -> {
            openAtStart.forEach((id, family) -> {
                if (!family.equals(next.get(id))) {
                    LOG.warn("io.kddm.core: well-known set {} of family {} left the list: refused live, it stays open "
                            + "until the node restarts", SetIds.format(id), family);
                }
            });
            next.forEach((id, family) -> {
                if (openAtStart.putIfAbsent(id, family) == null) {
                    openConfigured(id, family);
                }
            });
        }, Map::toString);
    }

    /** A per-family setting ({@code KEY.FAMILY=N}) changed: applied whole, or refused whole with a log line. */
    private static void perFamily(String key, Map<String, Object> properties,
            java.util.function.Function<Map<String, Object>, Map<String, Integer>> parse,
            java.util.function.Supplier<Map<String, Integer>> current, java.util.function.Consumer<Map<String, Integer>> apply,
            String note) {
        try {
            Map<String, Integer> next = parse.apply(properties);
            if (!next.equals(current.get())) {
                LOG.info("io.kddm.core: {} changed from {} to {}, live{}", key, current.get(), next, note);
                apply.accept(next);
            }
        } catch (IllegalArgumentException invalid) {
            LOG.error("io.kddm.core: {}: refused, {} {} stay in force", invalid.getMessage(), key, current.get());
        }
    }

    public KddmService(Transport transport, Membership membership, Duration operationTimeout) {
        this(transport, membership, operationTimeout, DEFAULT_MEMORY_BUDGET_MB * 1024 * 1024);
    }

    /** @param memoryBudget bytes of object copies kept before idle ones are flushed; 0 for no limit */
    public KddmService(Transport transport, Membership membership, Duration operationTimeout, long memoryBudget) {
        this(transport, membership, operationTimeout, memoryBudget, Duration.ofMillis(DEFAULT_LINKER_GRACE_MS),
                Map.of());
    }

    private KddmService(Transport transport, Membership membership, Duration operationTimeout, long memoryBudget,
            Duration linkerGrace, Map<Long, String> wellKnown) {
        this.openAtStart = new ConcurrentHashMap<>(wellKnown);
        this.transport = transport;
        this.membership = membership;
        this.registry = new LinkerRegistry(transport.localNode(), membership::isUp, membership::hasLease,
                this::openWellKnown,
                this::counters, linkerGrace);
        this.coherence = new Coherence(transport, registry, operationTimeout, memoryBudget);
        this.directory = new SetDirectory(transport, membership, coherence);
        registrations.addAll(directory.listen());
        for (Kind k : Kind.values()) {
            if (Dispatch.route(k) != Dispatch.Route.SET) {
                registrations.add(transport.addHandler(k.type(), coherence::onMessage));
            }
        }
        registrations.add(membership.addViewListener(new ViewListener() {
            @Override
            public void installed(View previous, View current) {
                coherence.viewInstalled(previous, current);
            }

            @Override
            public void excluded(View current) {
                coherence.excluded(current);
            }

            @Override
            public void leaseChanged(boolean held) {
                coherence.leaseChanged(held);
            }
        }));
        LOG.info("kDDM core of node {} ready (operation timeout {} ms, memory budget {})", localNode(),
                operationTimeout.toMillis(), memoryBudget == 0 ? "none" : memoryBudget / 1024 + " KiB");
    }

    @Override
    public int leave() {
        synchronized (this) {
            if (left) {
                return 0;
            }
            left = true;
        }
        for (LeaveListener l : leaveListeners) {
            try {
                l.leaving();
            } catch (RuntimeException e) {
                LOG.warn("{} failed before the leave: {}", l, e.toString());
            }
        }
        int kept = coherence.evacuate(Duration.ofSeconds(10));
        if (kept > 0) {
            LOG.warn("leaving with {} objects that no other node could take: they are lost", kept);
        } else {
            LOG.info("node {} handed off everything it owned: it may leave", localNode());
        }
        return kept;
    }

    /**
     * Stops: leaves first if the node has not (a bundle stopped or updated, a
     * configuration gone), though the families of other bundles may have gone
     * before (their components depend on this one's service, which goes first).
     */
    @Deactivate
    public void close() {
        leave();
        for (AutoCloseable r : registrations) {
            try {
                r.close();
            } catch (Exception e) {
                LOG.debug("closing registration", e);
            }
        }
        coherence.close();
    }

    /** The core's counters, for the linker registry (made before {@link #coherence}, so asked lazily). */
    private Stats counters() {
        return coherence.stats();
    }

    public Coherence coherence() {
        return coherence;
    }

    // ---- registries (whiteboards) --------------------------------------------

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeFamily")
    public void addFamily(SetFamily family) {
        registry.addFamily(family);
        openAtStart.forEach((id, name) -> {
            if (name.equals(family.name())) {
                openConfigured(id, name);
            }
        });
    }

    /** Opens a configured well-known set now if its family is registered here (else when it comes). */
    private void openConfigured(long id, String family) {
        if (registry.families().stream().noneMatch(f -> f.name().equals(family))) {
            return;
        }
        try {
            wellKnown(id, family);
        } catch (RuntimeException ex) {
            LOG.error("cannot open well-known set {} of family {}: {}", SetIds.format(id), family, ex.getMessage());
        }
    }

    public void removeFamily(SetFamily family) {
        registry.removeFamily(family);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeIoLinker")
    public void addIoLinker(IoLinker linker) {
        registry.addIoLinker(linker);
    }

    public void removeIoLinker(IoLinker linker) {
        registry.removeIoLinker(linker);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeLeaveListener")
    public void addLeaveListener(LeaveListener listener) {
        leaveListeners.add(listener);
    }

    public void removeLeaveListener(LeaveListener listener) {
        leaveListeners.remove(listener);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeInterfaceLinker")
    public void addInterfaceLinker(InterfaceLinker<?> linker) {
        registry.addInterfaceLinker(linker);
    }

    public void removeInterfaceLinker(InterfaceLinker<?> linker) {
        registry.removeInterfaceLinker(linker);
    }

    /** How long get and grab wait for a family or IO linker that just went away. */
    public Duration linkerGrace() {
        return registry.grace();
    }

    /** How long operations wait for a family or IO linker that just went away (for tests; else configured). */
    void linkerGrace(Duration grace) {
        registry.grace(grace);
    }

    /** The IO linkers registered here, by id. */
    public Map<String, IoLinker> ioLinkers() {
        return registry.ioLinkers();
    }

    /** The interface linkers registered here, by name. */
    public Map<String, InterfaceLinker<?>> interfaceLinkers() {
        return registry.interfaceLinkers();
    }

    public List<SetFamily> families() {
        return registry.families();
    }

    // ---- Kddm ---------------------------------------------------------------

    /** The well-known set here, opened with the nodes this node knows if it was not (for claims). */
    private SetState openWellKnown(long setId, String family) {
        return directory.openWellKnown(setId, family);
    }

    @Override
    public int localNode() {
        return transport.localNode();
    }

    @Override
    public KddmSet create(String family) {
        registry.family(family);
        return new LocalSet(coherence, directory.create(family));
    }

    @Override
    public KddmSet wellKnown(long setId, String family) {
        return new LocalSet(coherence, directory.wellKnown(setId, registry.family(family)));
    }

    @Override
    public KddmSet lookup(long setId) {
        SetState known = coherence.known(setId); // a well-known set a family claims is opened here
        return new LocalSet(coherence, known != null ? known : directory.lookup(setId));
    }

    @Override
    public Optional<KddmSet> find(long setId) {
        SetState s = coherence.set(setId);
        return s == null ? Optional.empty() : Optional.of(new LocalSet(coherence, s));
    }

    @Override
    public void destroy(long setId) {
        if (coherence.set(setId) == null && (!SetIds.wellKnown(setId) || registry.claimant(setId) == null)) {
            // a claimed set need not be open here: the others may hold it
            throw new UnknownSetException("no set " + SetIds.format(setId) + " on this node");
        }
        directory.destroy(setId);
    }

    @Override
    public List<SetInfo> sets() {
        List<SetInfo> out = new ArrayList<>();
        for (SetState s : coherence.allSets()) {
            int objects = 0;
            long bytes = 0;
            for (ObjectEntry e : s.objects.values()) {
                synchronized (e) {
                    if (e.state != ObjectState.INV_COPY && e.value != null) {
                        objects++;
                        bytes += e.value.length;
                    }
                }
            }
            out.add(new SetInfo(s.id, s.family, registry.ioLinkerOf(s.family), s.nodes, objects, bytes));
        }
        out.sort((a, b) -> Long.compareUnsigned(a.id(), b.id()));
        return out;
    }

    @Override
    public io.kddm.api.set.StoreHeal healStores(int home) {
        return coherence.fullHeal.heal(home);
    }

    @Override
    public KddmStats stats() {
        Stats s = coherence.stats();
        return new KddmStats(s.gets.sum(), s.grabs.sum(), s.localHits.sum(), s.remoteFetches.sum(),
                s.invalidationsSent.sum(), s.invalidationsReceived.sum(), s.queueWaits.sum(), s.timeouts.sum(),
                s.failures.sum(), coherence.heldBytes(), latency(s.getLatency), latency(s.grabLatency));
    }

    private static KddmStats.Latency latency(Stats.Latency h) {
        return new KddmStats.Latency(h.snapshot());
    }

    /** The sets known here, by the IO linker of their family ("?" if it never was here); no object is read. */
    public Map<String, List<Long>> setsByIoLinker() {
        Map<String, List<Long>> out = new TreeMap<>();
        for (SetState s : coherence.allSets()) {
            out.computeIfAbsent(registry.ioLinkerOf(s.family), k -> new ArrayList<>()).add(s.id);
        }
        return out;
    }

    @Override
    public <V> V view(KddmSet set, String linker, Class<V> type) {
        InterfaceLinker<?> l = registry.interfaceLinker(linker);
        if (!type.isAssignableFrom(l.viewType())) {
            throw new IllegalArgumentException("interface linker " + linker + " makes " + l.viewType().getName()
                    + ", not " + type.getName());
        }
        return type.cast(l.open(set));
    }

    /**
     * Per object held or homed here, for {@code kddm:objects}: its {@link ObjectState}
     * on this node (INV_COPY if it has no entry here) and, at its home, its
     * {@link HomeState} and owner (null and -1 elsewhere).
     */
    /** One object as this node holds it; {@code version} is {@code epoch.seq} of its value, "-" if none here. */
    public record ObjectView(long objectId, String state, int bytes, String version, List<Integer> copyset,
            int readers, int writers, int queued, int home, String homeState, int owner) {
    }

    public List<ObjectView> objects(long setId) {
        SetState s = coherence.set(setId);
        if (s == null) {
            throw new UnknownSetException("no set " + SetIds.format(setId) + " on this node");
        }
        TreeSet<Long> ids = new TreeSet<>(s.objects.keySet());
        ids.addAll(s.managed.keySet());
        List<ObjectView> out = new ArrayList<>();
        for (long id : ids) {
            ObjectStatus o = ObjectStatuses.of(coherence, s, id);
            out.add(new ObjectView(id, o.state(), o.bytes(), o.version(), o.copyset(), o.readers(), o.writers(),
                    o.queued(), o.home(), o.homeState(), o.owner()));
        }
        return out;
    }


}
