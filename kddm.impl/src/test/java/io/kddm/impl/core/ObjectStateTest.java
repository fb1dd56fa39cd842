package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.set.ObjectLostException;
import io.kddm.api.set.SetIds;
import io.kddm.api.transport.ConnectionListener;
import io.kddm.api.transport.Inbound;
import io.kddm.api.transport.MessageHandler;
import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.Transport;
import io.kddm.impl.core.ObjectEntry.State;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * The state table of {@link ObjectEntry}, one transition at a time: node 1 is
 * the node under test, and the test plays nodes 2 and 3 by hand, delivering
 * each message itself and checking every message node 1 sends back. Homes
 * follow the node bits of the object id, so each test picks whose role node 1
 * plays for the object.
 */
class ObjectStateTest {
    private static final long SET = SetIds.of(1, 99);
    /** Homed on node 2: node 1 is only a requester or an owner. */
    private static final long REMOTE = (2L << 24) | 5;
    /** Homed on node 1. */
    private static final long LOCAL = (1L << 24) | 5;

    private final Script net = new Script();
    private final Set<Integer> down = ConcurrentHashMap.newKeySet();
    private final Map<Long, byte[]> store = new ConcurrentHashMap<>();
    private boolean diskBacked;
    private Coherence node;
    private SetState set;

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
        }, Duration.ofSeconds(5), 0);
        set = node.addSet(SET, "scripted", List.of(1, 2, 3));
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private final SetFamily family = new SetFamily() {
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
    };

    private final IoLinker linker = new IoLinker() {
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
    };

    // ---- requester side --------------------------------------------------------

    @Test
    void invalidGetAsksTheHomeAndACopyGrantsIt() throws Exception {
        CompletableFuture<Handle> get = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        assertFalse(get.isDone());
        net.deliver(3, Kind.COPY, REMOTE, 3, 0, bytes("v1"));
        Handle h = done(get);
        assertEquals("v1", text(h.value()));
        assertEquals(State.READ_COPY, state(REMOTE));
        net.expect(2, Kind.DONE, REMOTE); // node 0: the owner is unchanged
        h.close();
        assertEquals(State.READ_COPY, state(REMOTE), "a released read copy stays cached");
        try (Handle again = done(local(REMOTE, false))) {
            assertEquals("v1", text(again.value()));
        }
        net.expectNothing();
    }

    @Test
    void touchMakesTheObjectHereAndMakesThisNodeItsOwner() throws Exception {
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        net.deliver(2, Kind.TOUCH, REMOTE, 1, 0, null);
        try (Handle h = done(grab)) {
            assertEquals("new@1", text(h.value()));
        }
        Message m = net.expect(2, Kind.DONE, REMOTE);
        assertEquals(1, m.node(), "the home learns the new owner");
        assertEquals(State.WRITE_OWNER, state(REMOTE));
    }

    @Test
    void ownershipWaitsForEveryListedAck() throws Exception {
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        net.deliver(3, Kind.OWNERSHIP, REMOTE, 0, 2, Wire.ownership(bytes("v7"), new int[] {2}));
        net.expectNothing();
        assertFalse(grab.isDone(), "node 2 still has a copy");
        net.deliver(2, Kind.INV_ACK, REMOTE, 2, 0, null);
        try (Handle h = done(grab)) {
            assertEquals("v7", text(h.value()));
        }
        assertEquals(1, net.expect(2, Kind.DONE, REMOTE).node());
        assertEquals(State.WRITE_OWNER, state(REMOTE));
    }

    @Test
    void anAckThatOvertakesTheObjectIsKeptForIt() throws Exception {
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        // node 2 got its INV from the old owner and acked before the OWNERSHIP reached us
        net.deliver(2, Kind.INV_ACK, REMOTE, 2, 0, null);
        assertFalse(grab.isDone());
        net.deliver(3, Kind.OWNERSHIP, REMOTE, 0, 2, Wire.ownership(bytes("v8"), new int[] {2}));
        try (Handle h = done(grab)) {
            assertEquals("v8", text(h.value()));
        }
        assertEquals(1, net.expect(2, Kind.DONE, REMOTE).node());
        assertEquals(1, node.stats().acksBeforeObject.sum());
    }

    @Test
    void readCopyInvalidatedWithNoReaderAcksAtOnce() throws Exception {
        readCopy(REMOTE, "v1");
        net.deliver(3, Kind.INV, REMOTE, 3, 0, null);
        net.expect(3, Kind.INV_ACK, REMOTE);
        assertEquals(State.INVALID, state(REMOTE));
    }

    @Test
    void readCopyInvalidatedUnderAReaderAcksWhenItLeaves() throws Exception {
        readCopy(REMOTE, "v1");
        Handle reader = done(local(REMOTE, false));
        net.deliver(3, Kind.INV, REMOTE, 3, 0, null);
        net.expectNothing();
        CompletableFuture<Handle> late = local(REMOTE, false);
        awaitQueued(REMOTE, 1);
        assertFalse(late.isDone(), "no new grant on a copy being invalidated");
        reader.close();
        net.expect(3, Kind.INV_ACK, REMOTE);
        // the late reader asks anew, at the home
        net.expect(2, Kind.GET_REQ, REMOTE);
        net.deliver(3, Kind.COPY, REMOTE, 3, 0, bytes("v2"));
        try (Handle h = done(late)) {
            assertEquals("v2", text(h.value()));
        }
    }

    @Test
    void readCopyGrabAsksTheHomeForTheOwnership() throws Exception {
        readCopy(REMOTE, "v1");
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        assertFalse(grab.isDone());
    }

    // ---- owner side ------------------------------------------------------------

    @Test
    void ownerServesAForwardedGetAndRemembersTheCopy() throws Exception {
        owner(REMOTE, "v1");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        Message copy = net.expect(3, Kind.COPY, REMOTE);
        assertEquals("v1", text(copy.bytes()));
        assertEquals(State.READ_OWNER, state(REMOTE));
        assertEquals(Set.of(3), copyset(REMOTE));
    }

    @Test
    void readOwnerGrabInvalidatesTheCopysetFirst() throws Exception {
        owner(REMOTE, "v1");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(3, Kind.COPY, REMOTE);
        CompletableFuture<Handle> grab = local(REMOTE, true);
        Message inv = net.expect(3, Kind.INV, REMOTE);
        assertEquals(1, inv.node(), "acks come back to this node");
        assertFalse(grab.isDone());
        net.deliver(3, Kind.INV_ACK, REMOTE, 3, 0, null);
        done(grab).close();
        assertEquals(State.WRITE_OWNER, state(REMOTE));
        assertTrue(copyset(REMOTE).isEmpty());
    }

    @Test
    void forwardedGetWaitsForTheWriterAndIsServedOnPut() throws Exception {
        owner(REMOTE, "v1");
        Handle writer = done(local(REMOTE, true));
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expectNothing();
        writer.value(bytes("v2"));
        writer.close();
        assertEquals("v2", text(net.expect(3, Kind.COPY, REMOTE).bytes()), "the copy carries the put value");
    }

    @Test
    void forwardedGrabHandsTheOwnershipOverAndInvalidatesTheOthers() throws Exception {
        owner(REMOTE, "v1");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(3, Kind.COPY, REMOTE);
        net.deliver(2, Kind.FWD_GRAB, REMOTE, 2, 0, null);
        Message own = net.expect(2, Kind.OWNERSHIP, REMOTE);
        assertEquals("v1", new String(own.bytes(), 0, own.count(), StandardCharsets.UTF_8));
        assertEquals(3, Byte.toUnsignedInt(own.bytes()[own.count()]), "node 3's ack is listed");
        assertEquals(2, net.expect(3, Kind.INV, REMOTE).node(), "node 3 acks to the new owner");
        assertEquals(State.INVALID, state(REMOTE));
    }

    @Test
    void localGrabQueuedBehindAnOwnershipMoveFollowsTheObject() throws Exception {
        owner(REMOTE, "v1");
        Handle writer = done(local(REMOTE, true));
        net.deliver(2, Kind.FWD_GRAB, REMOTE, 3, 0, null); // queued behind the writer
        CompletableFuture<Handle> next = local(REMOTE, true); // queued behind the forward
        awaitQueued(REMOTE, 2);
        writer.close();
        net.expect(3, Kind.OWNERSHIP, REMOTE);
        net.expect(2, Kind.GRAB_REQ, REMOTE); // it was not overtaken, and asks the home anew
        assertFalse(next.isDone());
        net.deliver(3, Kind.OWNERSHIP, REMOTE, 0, 2, bytes("v9"));
        try (Handle h = done(next)) {
            assertEquals("v9", text(h.value()));
        }
    }

    @Test
    void ownRequestOvertakenByAHandoffIsMetWhenItComesBack() throws Exception {
        CompletableFuture<Handle> get = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        // Before the home serves that request, node 3 flushes the object and the home hands it to us.
        net.deliver(3, Kind.OWNERSHIP, REMOTE, 1, 2, Wire.ownership(bytes("v7"), new int[0]));
        assertEquals(1, net.expect(2, Kind.DONE, REMOTE).node(), "the handoff completes at the home");
        try (Handle h = done(get)) {
            assertEquals("v7", text(h.value()));
        }
        // Now the home serves our own request: it forwards it to the owner, us.
        net.deliver(2, Kind.FWD_GET, REMOTE, 1, 0, null);
        assertEquals(0, net.expect(2, Kind.DONE, REMOTE).node(), "met here, so the home moves on");
        net.expectNothing();
        assertEquals(State.WRITE_OWNER, state(REMOTE));
        done(local(REMOTE, true)).close();
        net.expectNothing();
    }

    @Test
    void aFlushedReadCopyStaysInTheCopysetSoTheNextWriteStillInvalidatesIt() throws Exception {
        owner(REMOTE, "v1");
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(3, Kind.COPY, REMOTE);
        // Node 3 flushed that copy and read again: its second copy is served before an old
        // "dropped" notice (sent on the 3 -> 1 channel) could arrive. Such a notice must not
        // take node 3 out of the copyset, or node 3 would keep reading a stale value.
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(3, Kind.COPY, REMOTE);
        net.deliver(3, Kind.DROPPED, REMOTE, 3, 0, null);
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(3, Kind.INV, REMOTE);
        assertFalse(grab.isDone());
        net.deliver(3, Kind.INV_ACK, REMOTE, 3, 0, null);
        done(grab).close();
    }

    @Test
    void flushingAReadCopySendsNothing() throws Exception {
        readCopy(REMOTE, "v1");
        assertFalse(node.flush(set, REMOTE));
        assertEquals(State.INVALID, state(REMOTE));
        net.expectNothing();
    }

    @Test
    void aForwardToANonOwnerIsRefusedNotQueued() throws Exception {
        net.deliver(2, Kind.FWD_GET, REMOTE, 3, 0, null);
        net.expect(2, Kind.NOT_OWNER, REMOTE);
    }

    @Test
    void aCopyForARequestGivenUpIsIgnored() throws Exception {
        CompletableFuture<Handle> get = local(REMOTE, false);
        net.expect(2, Kind.GET_REQ, REMOTE);
        net.deliver(2, Kind.LOST, REMOTE, 2, 0, bytes("lost with node 3"));
        ExecutionException failure = assertThrows(ExecutionException.class, () -> get.get(5, TimeUnit.SECONDS));
        assertTrue(failure.getCause() instanceof ObjectLostException, failure.toString());
        net.deliver(3, Kind.COPY, REMOTE, 3, 0, bytes("stale"));
        assertEquals(State.INVALID, state(REMOTE));
        net.expectNothing(); // no DONE for a request that is no more
    }

    // ---- home side -------------------------------------------------------------

    @Test
    void homeWithNoOwnerSendsATouchThenForwardsToTheNewOwner() throws Exception {
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        assertEquals(1, net.expect(2, Kind.TOUCH, LOCAL).node(), "a touch for a grab");
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        net.expectNothing(); // one request at a time per object
        net.deliver(2, Kind.DONE, LOCAL, 2, 0, null);
        assertEquals(3, net.expect(2, Kind.FWD_GET, LOCAL).node());
    }

    @Test
    void homeFailsTheRequestWhenTheOwnerDies() throws Exception {
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        net.expect(2, Kind.TOUCH, LOCAL);
        net.deliver(2, Kind.DONE, LOCAL, 2, 0, null);
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        net.expect(2, Kind.FWD_GET, LOCAL);
        down.add(2);
        node.nodeDown(2);
        assertTrue(text(net.expect(3, Kind.LOST, LOCAL).bytes()).contains("node 2"));
    }

    @Test
    void writtenBackObjectIsTouchedAnewAtTheHome() throws Exception {
        diskBacked = true;
        store.put(LOCAL, bytes("on disk"));
        net.deliver(2, Kind.GET_REQ, LOCAL, 2, 0, null);
        assertEquals("on disk", text(net.expect(2, Kind.COPY, LOCAL).bytes()), "first touch made at the home");
        net.deliver(2, Kind.DONE, LOCAL, 0, 0, null);
        assertEquals(State.READ_OWNER, state(LOCAL));
        net.deliver(2, Kind.GRAB_REQ, LOCAL, 2, 0, null);
        net.expect(2, Kind.OWNERSHIP, LOCAL);
        net.deliver(2, Kind.DONE, LOCAL, 2, 0, null);
        // node 2 asks to write it back; the home lets it when no other request is in flight
        net.deliver(2, Kind.WRITEBACK_REQ, LOCAL, 2, 0, null);
        net.expect(2, Kind.FWD_WRITEBACK, LOCAL);
        net.deliver(2, Kind.WRITTEN_BACK, LOCAL, 2, 0, bytes("written back"));
        net.deliver(3, Kind.GET_REQ, LOCAL, 3, 0, null);
        assertEquals("written back", text(net.expect(3, Kind.COPY, LOCAL).bytes()));
    }

    @Test
    void ownerOverBudgetWritesBackDiskBackedObjects() throws Exception {
        diskBacked = true;
        CompletableFuture<Handle> grab = local(REMOTE, true);
        net.expect(2, Kind.GRAB_REQ, REMOTE);
        net.deliver(2, Kind.OWNERSHIP, REMOTE, 0, 2, bytes("v1"));
        Handle h = done(grab);
        h.value(bytes("v2"));
        h.close();
        net.expect(2, Kind.DONE, REMOTE);
        assertEquals(2, node.evict(set, set.objects.get(REMOTE)));
        net.expect(2, Kind.WRITEBACK_REQ, REMOTE);
        assertEquals(State.WRITE_OWNER, state(REMOTE), "nothing is dropped before the home's go-ahead");
        net.deliver(2, Kind.FWD_WRITEBACK, REMOTE, 2, 0, null);
        assertEquals("v2", text(net.expect(2, Kind.WRITTEN_BACK, REMOTE).bytes()), "the home's store gets it");
        assertEquals(State.INVALID, state(REMOTE));
    }

    @Test
    void writeBackGoAheadForAnObjectInUseAgainKeepsIt() throws Exception {
        diskBacked = true;
        owner(REMOTE, "v1");
        assertEquals(2, node.evict(set, set.objects.get(REMOTE)));
        net.expect(2, Kind.WRITEBACK_REQ, REMOTE);
        Handle reader = done(local(REMOTE, false));
        net.deliver(2, Kind.FWD_WRITEBACK, REMOTE, 2, 0, null);
        assertEquals(0, net.expect(2, Kind.DONE, REMOTE).node(), "kept: the owner stays");
        assertEquals(State.WRITE_OWNER, state(REMOTE));
        reader.close();
    }

    @Test
    void evictionNeverTouchesAHeldObject() throws Exception {
        owner(REMOTE, "v1");
        Handle h = done(local(REMOTE, false));
        assertEquals(0, node.evict(set, set.objects.get(REMOTE)));
        assertEquals(State.WRITE_OWNER, state(REMOTE));
        h.close();
        net.expectNothing();
    }

    // ---- helpers -------------------------------------------------------------------

    /** Makes node 1 the write owner of {@code id} (homed on node 2) with {@code value}. */
    private void owner(long id, String value) throws Exception {
        CompletableFuture<Handle> grab = local(id, true);
        net.expect(2, Kind.GRAB_REQ, id);
        net.deliver(3, Kind.OWNERSHIP, id, 0, value.length(), bytes(value));
        done(grab).close();
        net.expect(2, Kind.DONE, id);
        assertEquals(State.WRITE_OWNER, state(id));
    }

    /** Gives node 1 a released read copy of {@code id}, owned by node 3. */
    private void readCopy(long id, String value) throws Exception {
        CompletableFuture<Handle> get = local(id, false);
        net.expect(2, Kind.GET_REQ, id);
        net.deliver(3, Kind.COPY, id, 3, 0, bytes(value));
        done(get).close();
        net.expect(2, Kind.DONE, id);
    }

    private CompletableFuture<Handle> local(long id, boolean write) {
        CompletableFuture<Handle> f = CompletableFuture.supplyAsync(
                () -> node.acquire(set, id, write, TimeUnit.SECONDS.toNanos(5), false));
        return f;
    }

    private void awaitQueued(long id, int items) throws InterruptedException {
        ObjectEntry e = set.objects.get(id);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            synchronized (e) {
                if (e.queue.size() >= items) {
                    return;
                }
            }
            assertTrue(System.nanoTime() < deadline, "the local waiter never queued");
            Thread.sleep(1);
        }
    }

    private static Handle done(CompletableFuture<Handle> f) throws Exception {
        Handle h = f.get(5, TimeUnit.SECONDS);
        assertNotNull(h);
        return h;
    }

    private State state(long id) {
        ObjectEntry e = set.objects.get(id);
        synchronized (e) {
            return e.state;
        }
    }

    private Set<Integer> copyset(long id) {
        ObjectEntry e = set.objects.get(id);
        synchronized (e) {
            return Set.copyOf(e.copyset);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Node 1's transport: what it sends is queued for the test; the test delivers what it receives. */
    private final class Script implements Transport {
        record Sent(int to, Message message) {
        }

        private final LinkedBlockingQueue<Sent> sent = new LinkedBlockingQueue<>();

        void deliver(int from, Kind kind, long id, int about, int count, byte[] bytes) {
            byte[] payload = Wire.encode(SET, id, about, count, bytes);
            node.onMessage(new Inbound() {
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
                    return false;
                }

                @Override
                public void reply(byte[] p) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void fail(String reason) {
                    throw new UnsupportedOperationException();
                }
            });
        }

        Message expect(int to, Kind kind, long id) throws InterruptedException {
            Sent s = sent.poll(5, TimeUnit.SECONDS);
            assertNotNull(s, "node 1 sent nothing; expected " + kind + " to node " + to);
            assertEquals(kind, s.message.kind(), "message to node " + s.to);
            assertEquals(to, s.to, "addressee of " + kind);
            assertEquals(id, s.message.objectId());
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
            sent.add(new Sent(to, Wire.decode(type, payload)));
        }

        @Override
        public CompletableFuture<byte[]> request(int to, int type, byte[] payload, Duration timeout) {
            throw new UnsupportedOperationException("the object protocol only sends");
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
