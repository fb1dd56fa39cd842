package io.kddm.impl.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.InterfaceLinker;
import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.linker.WellKnownSets;
import io.kddm.api.set.LinkerMissingException;
import io.kddm.api.set.UnknownFamilyException;

/**
 * The registries of set families, IO linkers and interface linkers of one node
 * (whiteboards: their bundles come and go). What the protocol needs of a family
 * is kept from its registration on ({@link FamilyTraits}), so that other nodes
 * are still served while its bundle is being updated; operations that find a
 * family or IO linker that just went away wait for its return up to the grace.
 */
final class LinkerRegistry implements Coherence.Linkers {
    private static final Logger LOG = LoggerFactory.getLogger(LinkerRegistry.class);

    private final int self;
    private final IntPredicate isUp;
    private final java.util.function.BooleanSupplier lease;
    /** Opens a well-known set of a family here (set id, family name). */
    private final BiFunction<Long, String, SetState> openWellKnown;
    /** Counts the operations that waited for a family or linker and got it. */
    private final Supplier<Stats> stats;
    /** When a family, or an IO linker, by name or id, went away: for the grace of a bundle update. */
    private final Map<String, Long> familiesGone = new ConcurrentHashMap<>();
    private final Map<String, Long> linkersGone = new ConcurrentHashMap<>();
    private final Object arrivals = new Object();
    private volatile long graceNanos;
    private final Map<String, SetFamily> families = new ConcurrentHashMap<>();
    private final Map<String, IoLinker> ioLinkers = new ConcurrentHashMap<>();
    private final Map<String, InterfaceLinker<?>> interfaceLinkers = new ConcurrentHashMap<>();
    /** What the protocol needs of each family and IO linker as last registered, kept when it leaves (plain values). */
    private final Map<String, FamilyTraits> traits = new ConcurrentHashMap<>();
    /** Well-known sets families claim, from their registration on (kept while a family is away, as its traits). */
    private final Map<String, WellKnownSets> claims = new ConcurrentHashMap<>();
    private final Map<String, Boolean> plainWire = new ConcurrentHashMap<>();

    LinkerRegistry(int self, IntPredicate isUp, java.util.function.BooleanSupplier lease,
            BiFunction<Long, String, SetState> openWellKnown, Supplier<Stats> stats, Duration grace) {
        this.self = self;
        this.isUp = isUp;
        this.lease = lease;
        this.openWellKnown = openWellKnown;
        this.stats = stats;
        grace(grace);
    }

    /** How long operations wait for a family or IO linker that just went away. */
    void grace(Duration grace) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("linker.grace.ms must be >= 0, not " + grace.toMillis());
        }
        graceNanos = grace.toNanos();
    }

    Duration grace() {
        return Duration.ofNanos(graceNanos);
    }

    void addFamily(SetFamily family) {
        FamilyTraits t = FamilyTraits.of(family);
        traits.put(family.name(), t);
        claim(family.name(), t);
        families.put(family.name(), family);
        arrived(familiesGone, family.name());
        LOG.info("family {} registered (IO linker {})", family.name(), family.ioLinker());
    }

    void removeFamily(SetFamily family) {
        // Departure first: an operation that no longer finds the family must know to wait.
        familiesGone.put(family.name(), System.nanoTime());
        if (families.remove(family.name(), family)) {
            LOG.info("family {} unregistered", family.name());
        }
    }

    void addIoLinker(IoLinker linker) {
        plainWire.put(linker.id(), PlainWire.of(linker));
        ioLinkers.put(linker.id(), linker);
        arrived(linkersGone, linker.id());
        LOG.info("IO linker {} registered", linker.id());
    }

    void removeIoLinker(IoLinker linker) {
        linkersGone.put(linker.id(), System.nanoTime());
        if (ioLinkers.remove(linker.id(), linker)) {
            LOG.info("IO linker {} unregistered", linker.id());
        }
    }

    void addInterfaceLinker(InterfaceLinker<?> linker) {
        interfaceLinkers.put(linker.name(), linker);
    }

    void removeInterfaceLinker(InterfaceLinker<?> linker) {
        interfaceLinkers.remove(linker.name(), linker);
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
        stats.get().linkerWaits.increment();
    }

    @Override
    public FamilyTraits traits(String family) {
        FamilyTraits t = traits.get(family);
        if (t == null) {
            family(family); // never registered here: it throws, saying so
        }
        return t;
    }

    /** The IO linker id of a family as last registered here (also while it is away), or "?". */
    String ioLinkerOf(String family) {
        FamilyTraits t = traits.get(family);
        return t == null ? "?" : t.ioLinker();
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
                            io.kddm.api.set.SetIds.format(range.first()), io.kddm.api.set.SetIds.format(range.last()),
                            other.getKey());
                    return;
                }
            }
            claims.put(family, range);
        }
    }

    @Override
    public SetState openClaimed(long setId) {
        String family = claimant(setId);
        return family == null ? null : openWellKnown.apply(setId, family);
    }

    /** The family that claims the well-known set {@code setId}, or null. */
    String claimant(long setId) {
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
    @Override
    public Map<String, IoLinker> ioLinkers() {
        return Map.copyOf(ioLinkers);
    }

    /** The interface linkers registered here, by name. */
    Map<String, InterfaceLinker<?>> interfaceLinkers() {
        return Map.copyOf(interfaceLinkers);
    }

    InterfaceLinker<?> interfaceLinker(String name) {
        InterfaceLinker<?> l = interfaceLinkers.get(name);
        if (l == null) {
            throw new LinkerMissingException("interface linker " + name + " not available on node " + self);
        }
        return l;
    }

    List<SetFamily> families() {
        return List.copyOf(families.values());
    }

    @Override
    public SetFamily family(String name) {
        SetFamily f = families.get(name);
        if (f == null) {
            throw new UnknownFamilyException("family " + name + " is not registered on node " + self);
        }
        return f;
    }

    @Override
    public IoLinker ioLinker(String id) {
        IoLinker l = ioLinkers.get(id);
        if (l == null) {
            throw new LinkerMissingException("linker " + id + " not available on node " + self);
        }
        return l;
    }

    @Override
    public boolean isUp(int node) {
        return isUp.test(node);
    }

    @Override
    public boolean hasLease() {
        return lease.getAsBoolean();
    }
}
