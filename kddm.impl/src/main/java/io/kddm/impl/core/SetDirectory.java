package io.kddm.impl.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.membership.Membership;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.SetIds;
import io.kddm.api.set.UnknownSetException;
import io.kddm.api.transport.Inbound;
import io.kddm.api.transport.Transport;
import io.kddm.impl.core.Wire.Kind;

/**
 * Sets as the cluster knows them (Kerrighed's set management): a set is made on
 * one node, which tells the others (SET_CREATE); a node that missed it asks
 * (SET_LOOKUP); a destroyed set is dropped everywhere (SET_DESTROY). A
 * well-known set is opened by every node on its own, with the nodes it knows.
 */
final class SetDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(SetDirectory.class);
    private static final Duration SET_MESSAGE_TIMEOUT = Duration.ofSeconds(5);

    private final Transport transport;
    private final Membership membership;
    private final Coherence coherence;
    private final AtomicLong nextSet = new AtomicLong(System.currentTimeMillis() << 12);

    SetDirectory(Transport transport, Membership membership, Coherence coherence) {
        this.transport = transport;
        this.membership = membership;
        this.coherence = coherence;
    }

    /** Starts answering the set messages; the registrations to close. */
    List<AutoCloseable> listen() {
        return List.of(transport.addHandler(Kind.SET_CREATE.type(), this::onSetCreate),
                transport.addHandler(Kind.SET_LOOKUP.type(), this::onSetLookup),
                transport.addHandler(Kind.SET_DESTROY.type(), this::onSetDestroy));
    }

    /** Makes a set of {@code family} here and tells every node that is up (a node that missed it looks it up). */
    SetState create(String family) {
        List<Integer> nodes = spread(true);
        long id = SetIds.of(transport.localNode(), SetIds.local(nextSet.getAndIncrement()));
        SetState s = coherence.addSet(id, family, nodes);
        byte[] meta = describe(s);
        List<CompletableFuture<byte[]>> acks = new ArrayList<>();
        for (int n : nodes) {
            if (n != transport.localNode()) {
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
        return s;
    }

    /** Opens the well-known set {@code setId} of family {@code f} here, as every node may. */
    SetState wellKnown(long setId, SetFamily f) {
        String family = f.name();
        if (!SetIds.wellKnown(setId)) {
            throw new IllegalArgumentException("set " + SetIds.format(setId) + " is not well-known (node bits 0)");
        }
        if (f.home() != HomePolicy.NODE_BITS && f.home() != HomePolicy.LINKER) {
            // Every node opens a well-known set on its own, so homes must not depend on who it knows.
            throw new IllegalArgumentException("family " + family + " places homes by " + f.home()
                    + "; a well-known set needs NODE_BITS or LINKER");
        }
        return openWellKnown(setId, family);
    }

    /** The well-known set here, opened with the nodes this node knows if it was not. */
    SetState openWellKnown(long setId, String family) {
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
        nodes.add(transport.localNode());
        membership.nodes().stream().filter(n -> !upOnly || n.state().isUp()).forEach(n -> nodes.add(n.id()));
        return List.copyOf(nodes);
    }

    /** Asks the set's creator, then any node, to describe a set unknown here, and opens it. */
    SetState lookup(long setId) {
        int creator = SetIds.node(setId);
        if (creator == 0 || creator == transport.localNode()) {
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
                return install(setId, meta);
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

    /** Destroys a set here and on every connected node. */
    void destroy(long setId) {
        for (int n : transport.connectedNodes()) {
            try {
                transport.send(n, Kind.SET_DESTROY.type(), Wire.encode(setId, 0, 0, 0, null));
            } catch (RuntimeException e) {
                LOG.debug("set {} destroy not sent to node {}: {}", SetIds.format(setId), n, e.getMessage());
            }
        }
        coherence.dropSet(setId);
    }

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
            in.fail("no set " + SetIds.format(id) + " on node " + transport.localNode());
        } else {
            in.reply(describe(s));
        }
    }

    private void onSetDestroy(Inbound in) {
        coherence.dropSet(Wire.decode(in.type(), in.payload()).setId());
    }}
