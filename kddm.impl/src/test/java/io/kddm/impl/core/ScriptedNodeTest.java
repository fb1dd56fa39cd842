package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.set.SetIds;
import io.kddm.api.transport.ConnectionListener;
import io.kddm.api.transport.Inbound;
import io.kddm.api.transport.MessageHandler;
import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.Transport;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * Node 1 under test, the other nodes played by hand: each test delivers every
 * message node 1 receives and checks every message it sends back. Homes follow
 * the node bits of the object id, so each test picks whose role node 1 plays
 * for the object: {@link #REMOTE} is homed on node 2, {@link #LOCAL} on node 1.
 */
abstract class ScriptedNodeTest {
    static final long SET = SetIds.of(1, 99);
    /** Homed on node 2: node 1 is only a requester or an owner. */
    static final long REMOTE = (2L << 24) | 5;
    /** Homed on node 1. */
    static final long LOCAL = (1L << 24) | 5;

    final Script net = new Script();
    final Set<Integer> down = ConcurrentHashMap.newKeySet();
    final Map<Long, byte[]> store = new ConcurrentHashMap<>();
    /** The versions the linker recorded beside the store (S13). */
    final Map<Long, Version> versions = new ConcurrentHashMap<>();
    /** Called with the object's id as the linker is asked its stored version (a test may block there). */
    volatile java.util.function.LongConsumer onStoredVersion = id -> { };
    boolean diskBacked;
    /** The family's backups (0: none, the default), and when a put returns. */
    int backups;
    io.kddm.api.linker.BackupMode backupMode = io.kddm.api.linker.BackupMode.SYNC;
    /**
     * How many nodes store each object of a disk-backed family (2: replicated,
     * home H's store nodes being H and the node before it, around 1-3; 3: then
     * the one before that).
     */
    int storeCopies = 1;
    /** The linker's heal index: what each store node missed. */
    final Map<Integer, Set<Long>> missed = new ConcurrentHashMap<>();
    /** Whether node 1 holds a lease from a majority of the voters. */
    volatile boolean lease = true;
    Coherence node;
    SetState set;

    @BeforeEach
    void start() {
        node = new Coherence(net, new Coherence.Linkers() {
            @Override
            public SetFamily family(String name) {
                return family;
            }

            @Override
            public IoLinker ioLinker(String id) {
                return linker;
            }

            @Override
            public boolean isUp(int n) {
                return !down.contains(n);
            }

            @Override
            public boolean hasLease() {
                return lease;
            }

            @Override
            public Map<String, IoLinker> ioLinkers() {
                return Map.of("scripted", linker);
            }
        }, Duration.ofSeconds(5), 0);
        set = node.addSet(SET, "scripted", List.of(1, 2, 3));
    }

    @AfterEach
    void stop() {
        node.close();
    }

    final SetFamily family = new SetFamily() {
        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public String ioLinker() {
            return "scripted";
        }

        @Override
        public HomePolicy home() {
            return HomePolicy.NODE_BITS;
        }

        @Override
        public boolean firstTouchAtHome() {
            return diskBacked;
        }

        @Override
        public int backups() {
            return backups;
        }

        @Override
        public io.kddm.api.linker.BackupMode backupMode() {
            return backupMode;
        }
    };

    final IoLinker linker = new IoLinker() {
        @Override
        public String id() {
            return "scripted";
        }

        @Override
        public byte[] firstTouch(SetContext s, long objectId) {
            byte[] stored = store.get(objectId);
            return stored != null ? stored : bytes("new@" + s.localNode());
        }

        @Override
        public void sync(SetContext s, long objectId, byte[] value) {
            store.put(objectId, value);
        }

        @Override
        public void remove(SetContext s, long objectId) {
            store.remove(objectId);
        }

        @Override
        public byte[] storedVersion(SetContext s, long objectId) {
            onStoredVersion.accept(objectId);
            Version v = versions.get(objectId);
            return v == null ? null : v.bytes();
        }

        @Override
        public void storedAs(SetContext s, long objectId, byte[] version, boolean durable) {
            versions.put(objectId, Wire.version(version, 0));
        }

        @Override
        public int storeReplicas(SetContext s) {
            return storeCopies;
        }

        @Override
        public List<Integer> storeNodes(SetContext s, int home) {
            List<Integer> g = new java.util.ArrayList<>();
            for (int i = 0, n = home; i < storeCopies; i++, n = n == 1 ? 3 : n - 1) {
                g.add(n); // home, then the nodes before it, around 1-3
            }
            return g;
        }

        @Override
        public void missed(SetContext s, long objectId, int node) {
            missed.computeIfAbsent(node, n -> ConcurrentHashMap.newKeySet()).add(objectId);
        }

        @Override
        public Map<Long, Set<Long>> missedBy(int node) {
            Set<Long> ids = missed.getOrDefault(node, Set.of());
            return ids.isEmpty() ? Map.of() : Map.of(SET, Set.copyOf(ids));
        }

        /** What the store holds of {@code home}'s objects (node bits 24..31 of their ids). */
        @Override
        public Map<Long, Set<Long>> stored(int home) {
            Set<Long> ids = new java.util.TreeSet<>();
            store.keySet().stream().filter(id -> (id >>> 24 & 0xFF) == home).forEach(ids::add);
            return ids.isEmpty() ? Map.of() : Map.of(SET, ids);
        }

        @Override
        public void healed(SetContext s, long objectId, int node) {
            missed.getOrDefault(node, ConcurrentHashMap.newKeySet()).remove(objectId);
        }
    };

    /** The next message of {@code kind} node 1 sends; the requests it sends before (a rebuild's CLAIMS) answered empty. */
    Script.Sent next(Wire.Kind kind) throws InterruptedException {
        for (Script.Sent s; (s = net.sent.poll(5, TimeUnit.SECONDS)) != null;) {
            if (s.message().kind() == kind) {
                return s;
            }
            if (s.reply() != null) {
                s.reply().complete(Wire.EMPTY);
            }
        }
        throw new AssertionError("node 1 sent no " + kind);
    }

    /** The value a STORE carries: its bytes without the version that ends them (S13). */
    static String stored(Wire.Message m) {
        return text((m.count() & StoreReplicas.VERSIONED) == 0 ? m.bytes()
                : java.util.Arrays.copyOf(m.bytes(), m.bytes().length - Version.BYTES));
    }

    /** A STORE's kind and flags, without {@link StoreReplicas#VERSIONED}. */
    static int storeKind(Wire.Message m) {
        return m.count() & ~StoreReplicas.VERSIONED;
    }

    /** Makes node 1 the write owner of {@code id} (homed on node 2) with {@code value}. */
    void owner(long id, String value) throws Exception {
        CompletableFuture<Handle> grab = local(id, true);
        net.expect(2, Kind.GRAB_REQ, id);
        net.deliver(3, Kind.OWNERSHIP, id, 0, value.length(), Wire.ownership(bytes(value), Version.NONE, new int[0]));
        done(grab).close();
        net.expect(2, Kind.DONE, id);
        assertEquals(ObjectState.WRITE_OWNER, state(id));
    }

    /** {@link #LOCAL} (homed on node 1) owned by {@code owner}, which touched it first. */
    void ownedBy(int owner) throws Exception {
        net.deliver(owner, Kind.GRAB_REQ, LOCAL, owner, 0, null);
        net.expect(owner, Kind.TOUCH, LOCAL);
        assertEquals(HomeState.TOUCHING, homeState(LOCAL));
        net.deliver(owner, Kind.DONE, LOCAL, owner, 0, null);
        assertEquals(HomeState.OWNED, homeState(LOCAL));
    }

    /** Gives node 1 a released read copy of {@code id}, owned by node 3. */
    void readCopy(long id, String value) throws Exception {
        CompletableFuture<Handle> get = local(id, false);
        net.expect(2, Kind.GET_REQ, id);
        net.deliver(3, Kind.COPY, id, 3, 0, copyOf(value));
        done(get).close();
        net.expect(2, Kind.DONE, id);
    }

    CompletableFuture<Handle> local(long id, boolean write) {
        CompletableFuture<Handle> f = CompletableFuture.supplyAsync(
                () -> node.acquire(set, id, write, TimeUnit.SECONDS.toNanos(5), false));
        return f;
    }

    void awaitQueued(long id, int items) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            ObjectEntry e = set.objects.get(id); // made by the waiter's thread: maybe not yet
            if (e != null) {
                synchronized (e) {
                    if (e.queue.size() >= items) {
                        return;
                    }
                }
            }
            assertTrue(System.nanoTime() < deadline, "the local waiter never queued");
            Thread.sleep(1);
        }
    }

    static Handle done(CompletableFuture<Handle> f) throws Exception {
        Handle h = f.get(5, TimeUnit.SECONDS);
        assertNotNull(h);
        return h;
    }

    /** The object's state on node 1, as kddm:objects names it. */
    ObjectState state(long id) {
        ObjectEntry e = set.objects.get(id);
        synchronized (e) {
            return e.name();
        }
    }

    /** The object's state at its home, node 1. */
    HomeState homeState(long id) {
        ManagerEntry me = set.managed.get(id);
        synchronized (me) {
            return me.name();
        }
    }

    Set<Integer> copyset(long id) {
        ObjectEntry e = set.objects.get(id);
        synchronized (e) {
            return Set.copyOf(e.copyset);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** A COPY's bytes for {@code s}, at the first version. */
    static byte[] copyOf(String s) {
        return Wire.copy(bytes(s), Version.NONE);
    }

    /** The object a COPY carries, without its version. */
    static String copyText(Message copy) {
        byte[] b = copy.bytes();
        return new String(b, 0, b.length - Version.BYTES, StandardCharsets.UTF_8);
    }

    /** The first view makes node 1 the acting home of its own objects: nobody holds any (empty CLAIMS answers). */
    void answerRebuilds() throws InterruptedException {
        for (ScriptedNodeTest.Script.Sent s; (s = net.sent.poll(300, TimeUnit.MILLISECONDS)) != null;) {
            if (s.reply() != null) {
                s.reply().complete(Wire.EMPTY);
            }
        }
    }

    /** View 1 of nodes 1, 2 and 3 installed here, its rebuilds answered. */
    io.kddm.api.membership.View inViewOne() throws InterruptedException {
        io.kddm.api.membership.View one = view(1, 1, 2, 3);
        node.viewInstalled(io.kddm.api.membership.View.NONE, one);
        answerRebuilds();
        return one;
    }

    /** Node {@code out} went down: view {@code to}, without it, installed after {@code from}, its rebuilds answered. */
    io.kddm.api.membership.View without(int out, io.kddm.api.membership.View from, io.kddm.api.membership.View to)
            throws InterruptedException {
        down.add(out);
        node.viewInstalled(from, to);
        node.nodeDown(out);
        answerRebuilds();
        return to;
    }

    static io.kddm.api.membership.View view(long epoch, int... nodes) {
        java.util.SortedMap<Integer, io.kddm.api.membership.View.Member> m = new java.util.TreeMap<>();
        for (int n : nodes) {
            m.put(n, new io.kddm.api.membership.View.Member(n, 1, 1));
        }
        return new io.kddm.api.membership.View(epoch, m);
    }

    /** Node 1's transport: what it sends is queued for the test; the test delivers what it receives. */
    final class Script implements Transport {
        /** What node 1 sent; {@code reply} is set for a request, which the test answers through it. */
        record Sent(int to, Message message, CompletableFuture<byte[]> reply) {
        }

        final LinkedBlockingQueue<Sent> sent = new LinkedBlockingQueue<>();
        /** LEDGER requests (the crash ledger's bookkeeping), answered at once and kept apart from {@link #sent}. */
        final LinkedBlockingQueue<Sent> ledger = new LinkedBlockingQueue<>();

        void deliver(int from, Kind kind, long id, int about, int count, byte[] bytes) {
            deliver(SET, from, kind, id, about, count, bytes);
        }

        void deliver(long setId, int from, Kind kind, long id, int about, int count, byte[] bytes) {
            deliverAt(0, setId, from, kind, id, about, count, bytes);
        }

        /** A message stamped with the sender's view epoch (0: none, always taken). */
        void deliverAt(long epoch, long setId, int from, Kind kind, long id, int about, int count, byte[] bytes) {
            node.onMessage(inbound(from, kind, Wire.encode(epoch, setId, id, about, count, bytes), null));
        }

        /** A message to node 1; a request if {@code reply} is given, which its answer completes. */
        private Inbound inbound(int from, Kind kind, byte[] payload, CompletableFuture<byte[]> reply) {
            return new Inbound() {
                @Override
                public int sender() {
                    return from;
                }

                @Override
                public int type() {
                    return kind.type();
                }

                @Override
                public byte[] payload() {
                    return payload;
                }

                @Override
                public boolean isRequest() {
                    return reply != null;
                }

                @Override
                public void reply(byte[] p) {
                    reply.complete(p);
                }

                @Override
                public void fail(String reason) {
                    reply.completeExceptionally(new IllegalStateException(reason));
                }
            };
        }

        /** The next message node 1 sends, a request of {@code kind} to {@code to}: the test answers it. */
        Sent expectRequest(int to, Kind kind, long id) throws InterruptedException {
            Sent s = sent.poll(5, TimeUnit.SECONDS);
            assertNotNull(s, "node 1 sent nothing; expected the request " + kind + " to node " + to);
            assertEquals(kind, s.message.kind(), "message to node " + s.to);
            assertEquals(to, s.to, "addressee of " + kind);
            assertEquals(id, s.message.objectId());
            assertNotNull(s.reply, kind + " was sent as a one-way message");
            return s;
        }

        /** A request delivered to node 1; its reply (or failure, as an exception) completes the future. */
        CompletableFuture<byte[]> ask(int from, Kind kind, long id, int about, int count, byte[] bytes) {
            CompletableFuture<byte[]> reply = new CompletableFuture<>();
            node.onMessage(inbound(from, kind, Wire.encode(0, SET, id, about, count, bytes), reply));
            return reply;
        }

        Message expect(int to, Kind kind, long id) throws InterruptedException {
            Sent s = sent.poll(5, TimeUnit.SECONDS);
            assertNotNull(s, "node 1 sent nothing; expected " + kind + " to node " + to);
            assertEquals(kind, s.message.kind(), "message to node " + s.to);
            assertEquals(to, s.to, "addressee of " + kind);
            assertEquals(id, s.message.objectId());
            return s.message;
        }

        /** The next message node 1 sends, which must go to {@code to}. */
        Message poll(int to) throws InterruptedException {
            Sent s = sent.poll(5, TimeUnit.SECONDS);
            assertNotNull(s, "node 1 sent nothing to node " + to);
            assertEquals(to, s.to);
            return s.message;
        }

        /** Nothing more is sent once node 1's own threads have had time to act. */
        void expectNothing() throws InterruptedException {
            Sent s = sent.poll(200, TimeUnit.MILLISECONDS);
            assertNull(s, () -> "unexpected " + s.message.kind() + " to node " + s.to);
        }

        @Override
        public int localNode() {
            return 1;
        }

        @Override
        public void send(int to, int type, byte[] payload) {
            sent.add(new Sent(to, Wire.decode(type, payload), null));
        }

        @Override
        public CompletableFuture<byte[]> request(int to, int type, byte[] payload, Duration timeout) {
            if (down.contains(to)) {
                return CompletableFuture.failedFuture(new io.kddm.api.transport.NodeUnreachableException(to,
                        "down"));
            }
            Message m = Wire.decode(type, payload);
            if (m.kind() == Kind.MISSED && storeCopies == 1) {
                return CompletableFuture.completedFuture(Wire.EMPTY); // (S6, asked at every join: nothing missed)
            }
            if (m.kind() == Kind.LEDGER) {
                ledger.add(new Sent(to, m, null));
                return CompletableFuture.completedFuture(Wire.EMPTY); // (R25-R28: bookkeeping, not scripted)
            }
            CompletableFuture<byte[]> reply = new CompletableFuture<>();
            sent.add(new Sent(to, m, reply));
            return reply;
        }

        @Override
        public AutoCloseable addHandler(int type, MessageHandler handler) {
            return () -> {
            };
        }

        @Override
        public AutoCloseable addConnectionListener(ConnectionListener listener) {
            return () -> {
            };
        }

        @Override
        public Set<Integer> connectedNodes() {
            return Set.of(2, 3);
        }

        @Override
        public Optional<InetSocketAddress> addressOf(int n) {
            return Optional.empty();
        }

        @Override
        public List<PeerStatus> peers() {
            return List.of();
        }

        @Override
        public void disconnect(int n, String reason) {
        }
    }
}
