package io.kddm.impl.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.InterfaceLinker;
import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.linker.WellKnownSets;
import io.kddm.api.membership.Membership;
import io.kddm.api.membership.NodeState;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.LinkerMissingException;
import io.kddm.api.set.SetIds;
import io.kddm.api.set.SetInfo;
import io.kddm.api.set.UnknownFamilyException;
import io.kddm.api.set.UnknownSetException;
import io.kddm.api.transport.Inbound;
import io.kddm.api.transport.Transport;
import io.kddm.impl.core.Wire.Kind;

/**
 * The kDDM core of a node: the set registry, the registries of families and
 * linkers (whiteboards: bundles come and go), and the coherence protocol.
 */
@Component(service = {Kddm.class, KddmService.class}, configurationPid = "io.kddm.core", immediate = true)
@Designate(ocd = KddmService.Config.class)
public final class KddmService implements Kddm, Coherence.Linkers {
    private static final Logger LOG = LoggerFactory.getLogger(KddmService.class);
    private static final Duration SET_MESSAGE_TIMEOUT = Duration.ofSeconds(5);

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
    /** When a family, or an IO linker, by name or id, went away: for the grace of a bundle update. */
    private final Map<String, Long> familiesGone = new ConcurrentHashMap<>();
    private final Map<String, Long> linkersGone = new ConcurrentHashMap<>();
    private final Object arrivals = new Object();
    private volatile long graceNanos;
    /** Configured well-known sets, opened when their family comes. */
    private final Map<Long, String> openAtStart;
    private final Map<String, SetFamily> families = new ConcurrentHashMap<>();
    private final Map<String, IoLinker> ioLinkers = new ConcurrentHashMap<>();
    private final Map<String, InterfaceLinker<?>> interfaceLinkers = new ConcurrentHashMap<>();
    /** What the protocol needs of each family and IO linker as last registered, kept when it leaves (plain values). */
    private final Map<String, FamilyTraits> traits = new ConcurrentHashMap<>();
    /** Well-known sets families claim, from their registration on (kept while a family is away, as its traits). */
    private final Map<String, WellKnownSets> claims = new ConcurrentHashMap<>();
    private final Map<String, Boolean> plainWire = new ConcurrentHashMap<>();
    private final List<AutoCloseable> registrations = new CopyOnWriteArrayList<>();
    private final AtomicLong nextSet = new AtomicLong(System.currentTimeMillis() << 12);

    @Activate
    public KddmService(@Reference Transport transport, @Reference Membership membership, Config config) {
        // Everything is checked before the other constructor registers handlers: a bad
        // configuration must leave nothing registered behind it.
        this(transport, membership, Duration.ofMillis(config.operation_timeout_ms()),
                (long) (config.memory_budget_mb() * 1024 * 1024), grace(config), wellKnown(config));
    }

    private static Duration grace(Config config) {
        if (config.linker_grace_ms() < 0) {
            throw new IllegalArgumentException("linker.grace.ms must be >= 0, not " + config.linker_grace_ms());
        }
        return Duration.ofMillis(config.linker_grace_ms());
    }

    private static Map<Long, String> wellKnown(Config config) {
        Map<Long, String> sets = new HashMap<>();
        for (String entry : String.join(",", config.well_known()).split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] parts = entry.split("=", 2);
            long id = SetIds.parse(parts[0].trim());
            if (parts.length != 2 || parts[1].isBlank() || !SetIds.wellKnown(id)) {
                throw new IllegalArgumentException("well.known entry '" + entry
                        + "' is not SET=FAMILY with a well-known set id (0:NUMBER)");
            }
            sets.put(id, parts[1].trim());
        }
        return sets;
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
        this.graceNanos = linkerGrace.toNanos();
        this.openAtStart = Map.copyOf(wellKnown);
        this.transport = transport;
        this.membership = membership;
        this.coherence = new Coherence(transport, this, operationTimeout, memoryBudget);
        for (Kind k : Kind.values()) {
            switch (k) {
                case SET_CREATE -> registrations.add(transport.addHandler(k.type(), this::onSetCreate));
                case SET_LOOKUP -> registrations.add(transport.addHandler(k.type(), this::onSetLookup));
                case SET_DESTROY -> registrations.add(transport.addHandler(k.type(), this::onSetDestroy));
                default -> registrations.add(transport.addHandler(k.type(), coherence::onMessage));
            }
        }
        registrations.add(membership.addListener((node, previous) -> {
            if (node.state() == NodeState.DEAD || node.state() == NodeState.LEFT) {
                coherence.nodeDown(node.id());
            }
        }));
        LOG.info("kDDM core of node {} ready (operation timeout {} ms, memory budget {})", localNode(),
                operationTimeout.toMillis(), memoryBudget == 0 ? "none" : memoryBudget / 1024 + " KiB");
    }

    @Deactivate
    public void close() {
        int kept = coherence.evacuate(Duration.ofSeconds(10));
        if (kept > 0) {
            LOG.warn("leaving with {} objects that no other node could take: they are lost", kept);
        }
        for (AutoCloseable r : registrations) {
            try {
                r.close();
            } catch (Exception e) {
                LOG.debug("closing registration", e);
            }
        }
        coherence.close();
    }

    public Coherence coherence() {
        return coherence;
    }

    // ---- registries ---------------------------------------------------------

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeFamily")
    public void addFamily(SetFamily family) {
        FamilyTraits t = FamilyTraits.of(family);
        traits.put(family.name(), t);
        claim(family.name(), t);
        families.put(family.name(), family);
        arrived(familiesGone, family.name());
        LOG.info("family {} registered (IO linker {})", family.name(), family.ioLinker());
        openAtStart.forEach((id, name) -> {
            if (name.equals(family.name())) {
                try {
                    wellKnown(id, name);
                } catch (RuntimeException ex) {
                    LOG.error("cannot open well-known set {} of family {}: {}", SetIds.format(id), name, ex.getMessage());
                }
            }
        });
    }

    public void removeFamily(SetFamily family) {
        // Departure first: an operation that no longer finds the family must know to wait.
        familiesGone.put(family.name(), System.nanoTime());
        if (families.remove(family.name(), family)) {
            LOG.info("family {} unregistered", family.name());
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeIoLinker")
    public void addIoLinker(IoLinker linker) {
        plainWire.put(linker.id(), PlainWire.of(linker));
        ioLinkers.put(linker.id(), linker);
        arrived(linkersGone, linker.id());
        LOG.info("IO linker {} registered", linker.id());
    }

    public void removeIoLinker(IoLinker linker) {
        linkersGone.put(linker.id(), System.nanoTime());
        if (ioLinkers.remove(linker.id(), linker)) {
            LOG.info("IO linker {} unregistered", linker.id());
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeInterfaceLinker")
    public void addInterfaceLinker(InterfaceLinker<?> linker) {
        interfaceLinkers.put(linker.name(), linker);
    }

    public void removeInterfaceLinker(InterfaceLinker<?> linker) {
        interfaceLinkers.remove(linker.name(), linker);
    }

    /** How long operations wait for a family or IO linker that just went away (for tests; else configured). */
    void linkerGrace(Duration grace) {
        graceNanos = grace.toNanos();
    }

    private void arrived(Map<String, Long> gone, String key) {
        gone.remove(key);
        synchronized (arrivals) {
            arrivals.notifyAll();
        }
    }

    /**
     * Waits, if what {@code lookup} finds went away less than the grace ago (its
     * bundle is being updated), until it is back or the grace ends.
     */
    private void awaitReturn(Map<String, Long> gone, String key, Supplier<?> lookup) {
        Long since = gone.get(key);
        if (since == null) {
            return;
        }
        long deadline = since + graceNanos;
        synchronized (arrivals) {
            while (lookup.get() == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(arrivals, left);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        coherence.stats().linkerWaits.increment();
    }

    @Override
    public FamilyTraits traits(String family) {
        FamilyTraits t = traits.get(family);
        if (t == null) {
            family(family); // never registered here: it throws, saying so
        }
        return t;
    }

    /**
     * Records the well-known sets a family claims, checked once: homes that do not
     * depend on who a node knows, and no overlap with another family's claim
     * (every node must open a set with the same family). A refused claim is logged.
     */
    private void claim(String family, FamilyTraits t) {
        WellKnownSets range = t.wellKnownSets();
        if (range.first() > range.last()) {
            return;
        }
        if (t.home() != HomePolicy.NODE_BITS && t.home() != HomePolicy.LINKER) {
            LOG.error("family {} claims well-known sets but places homes by {}: claim ignored", family, t.home());
            return;
        }
        synchronized (claims) {
            for (Map.Entry<String, WellKnownSets> other : claims.entrySet()) {
                WellKnownSets o = other.getValue();
                if (!other.getKey().equals(family) && o.first() <= range.last() && range.first() <= o.last()) {
                    LOG.error("family {} claims well-known sets {}..{} that family {} claims: claim ignored", family,
                            SetIds.format(range.first()), SetIds.format(range.last()), other.getKey());
                    return;
                }
            }
            claims.put(family, range);
        }
    }

    @Override
    public SetState openClaimed(long setId) {
        String family = claimant(setId);
        return family == null ? null : openWellKnown(setId, family);
    }

    /** The family that claims the well-known set {@code setId}, or null. */
    private String claimant(long setId) {
        for (Map.Entry<String, WellKnownSets> c : claims.entrySet()) {
            if (c.getValue().contains(setId)) {
                return c.getKey();
            }
        }
        return null;
    }

    @Override
    public boolean plainWire(String ioLinker) {
        return plainWire.getOrDefault(ioLinker, false);
    }

    @Override
    public SetFamily awaitFamily(String name) {
        SetFamily f = families.get(name); // every get and grab: one look-up when it is there
        if (f == null) {
            awaitReturn(familiesGone, name, () -> families.get(name));
            f = family(name);
        }
        return f;
    }

    @Override
    public IoLinker awaitIoLinker(String id) {
        IoLinker l = ioLinkers.get(id);
        if (l == null) {
            awaitReturn(linkersGone, id, () -> ioLinkers.get(id));
            l = ioLinker(id);
        }
        return l;
    }

    /** The IO linkers registered here, by id. */
    public Map<String, IoLinker> ioLinkers() {
        return Map.copyOf(ioLinkers);
    }

    /** The interface linkers registered here, by name. */
    public Map<String, InterfaceLinker<?>> interfaceLinkers() {
        return Map.copyOf(interfaceLinkers);
    }

    public List<SetFamily> families() {
        return List.copyOf(families.values());
    }

    @Override
    public SetFamily family(String name) {
        SetFamily f = families.get(name);
        if (f == null) {
            throw new UnknownFamilyException("family " + name + " is not registered on node " + localNode());
        }
        return f;
    }

    @Override
    public IoLinker ioLinker(String id) {
        IoLinker l = ioLinkers.get(id);
        if (l == null) {
            throw new LinkerMissingException("linker " + id + " not available on node " + localNode());
        }
        return l;
    }

    @Override
    public boolean isUp(int node) {
        return membership.isUp(node);
    }

    // ---- Kddm ---------------------------------------------------------------

    @Override
    public int localNode() {
        return transport.localNode();
    }

    @Override
    public KddmSet create(String family) {
        family(family);
        List<Integer> nodes = spread(true);
        long id = SetIds.of(localNode(), SetIds.local(nextSet.getAndIncrement()));
        SetState s = coherence.addSet(id, family, nodes);
        byte[] meta = describe(s);
        List<CompletableFuture<byte[]>> acks = new ArrayList<>();
        for (int n : nodes) {
            if (n != localNode()) {
                acks.add(transport.request(n, Kind.SET_CREATE.type(), meta, SET_MESSAGE_TIMEOUT));
            }
        }
        for (CompletableFuture<byte[]> a : acks) {
            try {
                a.get(SET_MESSAGE_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // A node that missed it looks the set up from its id when it needs it.
                LOG.info("set {}: a node did not confirm its creation: {}", SetIds.format(id), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KddmException("interrupted while creating a set");
            }
        }
        LOG.info("created set {} of family {} over nodes {}", SetIds.format(id), family, nodes);
        return new LocalSet(coherence, s);
    }

    @Override
    public KddmSet wellKnown(long setId, String family) {
        if (!SetIds.wellKnown(setId)) {
            throw new IllegalArgumentException("set " + SetIds.format(setId) + " is not well-known (node bits 0)");
        }
        SetFamily f = family(family);
        if (f.home() != HomePolicy.NODE_BITS && f.home() != HomePolicy.LINKER) {
            // Every node opens a well-known set on its own, so homes must not depend on who it knows.
            throw new IllegalArgumentException("family " + family + " places homes by " + f.home()
                    + "; a well-known set needs NODE_BITS or LINKER");
        }
        return new LocalSet(coherence, openWellKnown(setId, family));
    }

    /** The well-known set here, opened with the nodes this node knows if it was not. */
    private SetState openWellKnown(long setId, String family) {
        SetState s = coherence.set(setId);
        if (s == null) {
            s = coherence.addSet(setId, family, spread(false));
        }
        if (!s.family.equals(family)) {
            throw new IllegalArgumentException("well-known set " + SetIds.format(setId) + " is of family " + s.family);
        }
        return s;
    }

    /** This node and the others membership knows (only those up, if {@code upOnly}), sorted: a set's homes. */
    private List<Integer> spread(boolean upOnly) {
        TreeSet<Integer> nodes = new TreeSet<>();
        nodes.add(localNode());
        membership.nodes().stream().filter(n -> !upOnly || n.state().isUp()).forEach(n -> nodes.add(n.id()));
        return List.copyOf(nodes);
    }

    @Override
    public KddmSet lookup(long setId) {
        Optional<KddmSet> known = find(setId);
        if (known.isPresent()) {
            return known.get();
        }
        int creator = SetIds.node(setId);
        if (creator == 0) {
            SetState claimed = openClaimed(setId);
            if (claimed != null) {
                return new LocalSet(coherence, claimed);
            }
        }
        if (creator == 0 || creator == localNode()) {
            throw new UnknownSetException("no set " + SetIds.format(setId));
        }
        // The creator first; any other node that was told of the set will do.
        List<Integer> askable = new ArrayList<>();
        askable.add(creator);
        transport.connectedNodes().stream().filter(n -> n != creator).forEach(askable::add);
        String why = "no node answered";
        for (int node : askable) {
            try {
                byte[] meta = transport.request(node, Kind.SET_LOOKUP.type(), Wire.encode(setId, 0, 0, 0, null),
                        SET_MESSAGE_TIMEOUT).get(SET_MESSAGE_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
                return new LocalSet(coherence, install(setId, meta));
            } catch (ExecutionException e) {
                why = e.getCause().getMessage();
            } catch (TimeoutException e) {
                why = "node " + node + " did not answer";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KddmException("interrupted while looking up a set");
            }
        }
        throw new UnknownSetException("set " + SetIds.format(setId) + " unknown: " + why);
    }

    @Override
    public Optional<KddmSet> find(long setId) {
        SetState s = coherence.set(setId);
        return s == null ? Optional.empty() : Optional.of(new LocalSet(coherence, s));
    }

    @Override
    public void destroy(long setId) {
        if (coherence.set(setId) == null && (!SetIds.wellKnown(setId) || claimant(setId) == null)) {
            // a claimed set need not be open here: the others may hold it
            throw new UnknownSetException("no set " + SetIds.format(setId) + " on this node");
        }
        for (int n : transport.connectedNodes()) {
            try {
                transport.send(n, Kind.SET_DESTROY.type(), Wire.encode(setId, 0, 0, 0, null));
            } catch (RuntimeException e) {
                LOG.debug("set {} destroy not sent to node {}: {}", SetIds.format(setId), n, e.getMessage());
            }
        }
        coherence.dropSet(setId);
    }

    @Override
    public List<SetInfo> sets() {
        List<SetInfo> out = new ArrayList<>();
        for (SetState s : coherence.allSets()) {
            int objects = 0;
            long bytes = 0;
            for (ObjectEntry e : s.objects.values()) {
                synchronized (e) {
                    if (e.state != ObjectEntry.State.INVALID && e.value != null) {
                        objects++;
                        bytes += e.value.length;
                    }
                }
            }
            out.add(new SetInfo(s.id, s.family, ioLinkerOf(s.family), s.nodes, objects, bytes));
        }
        out.sort((a, b) -> Long.compareUnsigned(a.id(), b.id()));
        return out;
    }

    /** The sets known here, by the IO linker of their family ("?" if it never was here); no object is read. */
    public Map<String, List<Long>> setsByIoLinker() {
        Map<String, List<Long>> out = new TreeMap<>();
        for (SetState s : coherence.allSets()) {
            out.computeIfAbsent(ioLinkerOf(s.family), k -> new ArrayList<>()).add(s.id);
        }
        return out;
    }

    /** The IO linker id of a family as last registered here (also while it is away), or "?". */
    private String ioLinkerOf(String family) {
        FamilyTraits t = traits.get(family);
        return t == null ? "?" : t.ioLinker();
    }

    @Override
    public <V> V view(KddmSet set, String linker, Class<V> type) {
        InterfaceLinker<?> l = interfaceLinkers.get(linker);
        if (l == null) {
            throw new LinkerMissingException("interface linker " + linker + " not available on node " + localNode());
        }
        if (!type.isAssignableFrom(l.viewType())) {
            throw new IllegalArgumentException("interface linker " + linker + " makes " + l.viewType().getName()
                    + ", not " + type.getName());
        }
        return type.cast(l.open(set));
    }

    /** Per object held or homed here, for {@code kddm:objects}. */
    public record ObjectView(long objectId, String state, int bytes, List<Integer> copyset, int readers,
            int writers, int queued, int home, int owner) {
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
            ObjectEntry e = s.objects.get(id);
            ManagerEntry me = s.managed.get(id);
            int owner = -1;
            if (me != null) {
                synchronized (me) {
                    owner = me.owner;
                }
            }
            int home;
            try {
                home = coherence.home(s, id);
            } catch (KddmException ex) {
                home = -1;
            }
            if (e == null) {
                out.add(new ObjectView(id, "-", 0, List.of(), 0, 0, 0, home, owner));
                continue;
            }
            synchronized (e) {
                String state = e.state.name() + (e.requested ? (e.requestedWrite ? "+WAIT_WRITE" : "+WAIT_READ") : "")
                        + (e.incoming != null ? "+WAIT_ACKS" : "") + (e.upgrading ? "+UPGRADING" : "")
                        + (e.invalidateAckTo != 0 ? "+INV_PENDING" : "");
                out.add(new ObjectView(id, state, e.value == null ? 0 : e.value.length,
                        List.copyOf(e.copyset), e.readers, e.writers, e.queue.size(), home, owner));
            }
        }
        return out;
    }

    // ---- set messages -------------------------------------------------------

    private static byte[] describe(SetState s) {
        byte[] family = s.family.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + 1 + s.nodes.size() + family.length);
        b.putLong(s.id).put((byte) s.nodes.size());
        s.nodes.forEach(n -> b.put((byte) (int) n));
        return b.put(family).array();
    }

    private SetState install(long expectedId, byte[] meta) {
        ByteBuffer b = ByteBuffer.wrap(meta);
        long id = b.getLong();
        if (id != expectedId) {
            throw new KddmException("set description for " + SetIds.format(id) + " instead of "
                    + SetIds.format(expectedId));
        }
        int count = Byte.toUnsignedInt(b.get());
        List<Integer> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(Byte.toUnsignedInt(b.get()));
        }
        byte[] family = new byte[b.remaining()];
        b.get(family);
        return coherence.addSet(id, new String(family, StandardCharsets.UTF_8), nodes);
    }

    private void onSetCreate(Inbound in) {
        try {
            long id = ByteBuffer.wrap(in.payload()).getLong();
            install(id, in.payload());
            in.reply(new byte[0]);
        } catch (RuntimeException e) {
            in.fail("bad set description: " + e.getMessage());
        }
    }

    private void onSetLookup(Inbound in) {
        long id = Wire.decode(in.type(), in.payload()).setId();
        SetState s = coherence.set(id);
        if (s == null) {
            in.fail("no set " + SetIds.format(id) + " on node " + localNode());
        } else {
            in.reply(describe(s));
        }
    }

    private void onSetDestroy(Inbound in) {
        coherence.dropSet(Wire.decode(in.type(), in.payload()).setId());
    }
}
