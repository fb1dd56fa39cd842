package io.kddm.transport.mina;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kddm.api.transport.ConnectionListener;
import io.kddm.api.transport.MessageTypes;
import io.kddm.api.transport.NodeUnreachableException;
import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.RemoteFailureException;
import io.kddm.api.transport.RequestTimeoutException;

/** Real TCP on loopback between transports in this JVM. */
class MinaTransportTest {
    private static final int ECHO = MessageTypes.SERVICES_FIRST;
    private static final int SEQ = MessageTypes.SERVICES_FIRST + 1;
    private static final int SILENT = MessageTypes.SERVICES_FIRST + 2;
    private static final byte[] SECRET = "the cluster secret".getBytes(StandardCharsets.UTF_8);

    private final List<MinaTransport> started = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private Logger logger;

    @BeforeEach
    void captureLog() {
        logger = (Logger) LoggerFactory.getLogger(MinaTransport.class);
        logger.setLevel(Level.INFO);
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void stopAll() {
        started.forEach(MinaTransport::stop);
        logger.detachAppender(log);
    }

    private MinaTransport node(int id, byte[] secret, InetSocketAddress... peers) throws IOException {
        return node(id, new InetSocketAddress("127.0.0.1", 0), secret, peers);
    }

    private MinaTransport node(int id, InetSocketAddress listen, byte[] secret, InetSocketAddress... peers)
            throws IOException {
        MinaTransport t = new MinaTransport(new TransportSettings(id, listen, List.of(peers), secret, 64 * 1024,
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMillis(300)));
        t.addHandler(ECHO, m -> m.reply(m.payload()));
        t.start();
        started.add(t);
        return t;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    private static Throwable cause(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void requestAndReplyBetweenTwoNodes() throws Exception {
        MinaTransport a = node(1, SECRET);
        MinaTransport b = node(2, SECRET, a.listenAddress());
        await("connected", () -> a.connectedNodes().contains(2) && b.connectedNodes().contains(1));
        byte[] payload = "hello".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(payload, b.request(1, ECHO, payload, Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS));
        assertArrayEquals(payload, a.request(2, ECHO, payload, Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS));
        assertEquals(b.listenAddress().getPort(), a.addressOf(2).orElseThrow().getPort());
    }

    @Test
    void oneConnectionPerPairAndFifoOrder() throws Exception {
        MinaTransport a = node(1, SECRET);
        MinaTransport b = node(2, SECRET, a.listenAddress());
        MinaTransport c = node(3, SECRET, a.listenAddress(), b.listenAddress());
        await("all connected", () -> a.connectedNodes().equals(Set.of(2, 3))
                && b.connectedNodes().equals(Set.of(1, 3)) && c.connectedNodes().equals(Set.of(1, 2)));
        // Node 1 learned node 3's address from its HELLO and dialed it back.
        assertTrue(a.peers().stream().anyMatch(p -> p.node() == 3 && p.state() == PeerStatus.State.CONNECTED));

        List<Integer> received = new CopyOnWriteArrayList<>();
        a.addHandler(SEQ, m -> received.add(ByteBuffer.wrap(m.payload()).getInt()));
        int count = 5000;
        for (int i = 0; i < count; i++) {
            // Requests and one-way messages share the connection, so order holds across both.
            c.send(1, SEQ, ByteBuffer.allocate(4).putInt(i).array());
            if (i % 100 == 0) {
                c.request(1, ECHO, new byte[0], Duration.ofSeconds(5));
            }
        }
        await("all messages", () -> received.size() == count);
        for (int i = 0; i < count; i++) {
            assertEquals(i, received.get(i));
        }
    }

    @Test
    void wrongSecretIsRefusedAndLoggedOnBothSides() throws Exception {
        MinaTransport a = node(1, SECRET);
        MinaTransport intruder = node(9, "not the secret".getBytes(StandardCharsets.UTF_8), a.listenAddress());
        await("refused", () -> intruder.peers().get(0).state() == PeerStatus.State.REFUSED);
        Thread.sleep(300);
        assertTrue(a.connectedNodes().isEmpty());
        assertTrue(intruder.connectedNodes().isEmpty());
        await("both sides log", () -> log.list.stream().filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("wrong")).count() >= 2);
        String messages = String.join("\n", log.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
        assertTrue(messages.contains("refusing node"), messages);
        assertTrue(messages.contains("refused this node"), messages);
        assertThrows(NodeUnreachableException.class, () -> intruder.send(1, ECHO, new byte[0]));
    }

    @Test
    void garbageClosesOnlyThatConnection() throws Exception {
        MinaTransport a = node(1, SECRET);
        MinaTransport b = node(2, SECRET, a.listenAddress());
        await("connected", () -> a.connectedNodes().contains(2));
        Random random = new Random(7);
        for (int round = 0; round < 20; round++) {
            try (Socket s = new Socket()) {
                s.connect(a.listenAddress(), 2000);
                s.setSoTimeout(5000);
                byte[] junk = new byte[1 + random.nextInt(4096)];
                random.nextBytes(junk);
                junk[4] = 99; // never a valid version: closed at once rather than after the handshake timeout
                OutputStream out = s.getOutputStream();
                out.write(junk);
                out.flush();
                InputStream in = s.getInputStream();
                try {
                    while (in.read() >= 0) {
                        // drain until the node closes
                    }
                } catch (IOException reset) {
                    // closed with a reset: also closed
                }
            }
        }
        assertTrue(log.list.stream().anyMatch(e -> e.getFormattedMessage().contains("malformed frame")));
        assertArrayEquals(new byte[] {5}, b.request(1, ECHO, new byte[] {5}, Duration.ofSeconds(5)).get());
        assertEquals(Set.of(2), a.connectedNodes());
    }

    @Test
    void oversizedFrameAndSilentClientAreClosed() throws Exception {
        MinaTransport a = node(1, SECRET);
        try (Socket s = new Socket()) {
            s.connect(a.listenAddress(), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array());
            assertEquals(-1, s.getInputStream().read());
        }
        try (Socket s = new Socket()) {
            s.connect(a.listenAddress(), 2000);
            s.setSoTimeout(5000);
            assertEquals(-1, s.getInputStream().read(), "closed after the handshake timeout");
        }
        assertTrue(log.list.stream().anyMatch(e -> e.getFormattedMessage().contains("not authenticated within")));
    }

    /**
     * One-way messages that come before the first handler of their type (the
     * core starts after the transport, and peers already send to the node) are
     * kept and handed to it in order, before later ones; once a type had a
     * handler, a message without one is dropped as before.
     */
    @Test
    void messagesBeforeTheFirstHandlerOfTheirTypeAreKeptAndDeliveredInOrder() throws Exception {
        MinaTransport a = node(1, SECRET);
        MinaTransport b = node(2, SECRET, a.listenAddress());
        await("connected", () -> b.connectedNodes().contains(1));
        for (int i = 0; i < 100; i++) {
            b.send(1, SEQ, ByteBuffer.allocate(4).putInt(i).array());
        }
        // (the echo's reply comes after every message sent before it: they reached node 1 and were kept)
        b.request(1, ECHO, new byte[0], Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        List<Integer> received = new CopyOnWriteArrayList<>();
        Thread sender = new Thread(() -> {
            for (int i = 100; i < 300; i++) {
                b.send(1, SEQ, ByteBuffer.allocate(4).putInt(i).array());
            }
        });
        sender.start(); // while the handler is added
        AutoCloseable handler = a.addHandler(SEQ, m -> received.add(ByteBuffer.wrap(m.payload()).getInt()));
        sender.join();
        await("all 300", () -> received.size() == 300);
        for (int i = 0; i < 300; i++) {
            assertEquals(i, received.get(i), "in the order sent");
        }
        handler.close();
        b.send(1, SEQ, ByteBuffer.allocate(4).putInt(300).array());
        b.request(1, ECHO, new byte[0], Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        a.addHandler(SEQ, m -> received.add(-1));
        b.request(1, ECHO, new byte[0], Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        assertEquals(300, received.size(), "a type handled once is not kept: dropped while it had no handler");
    }

    @Test
    void requestFailuresAreClear() throws Exception {
        MinaTransport a = node(1, SECRET);
        MinaTransport b = node(2, SECRET, a.listenAddress());
        await("connected", () -> b.connectedNodes().contains(1));
        a.addHandler(SILENT, m -> { });
        assertInstanceOf(RequestTimeoutException.class,
                cause(b.request(1, SILENT, new byte[0], Duration.ofMillis(200))));
        Throwable noHandler = cause(b.request(1, SEQ, new byte[0], Duration.ofSeconds(5)));
        assertInstanceOf(RemoteFailureException.class, noHandler);
        assertTrue(noHandler.getMessage().contains("no handler"), noHandler.getMessage());
        assertInstanceOf(NodeUnreachableException.class, cause(b.request(7, ECHO, new byte[0], Duration.ofSeconds(1))));
        assertThrows(IllegalArgumentException.class, () -> b.send(1, ECHO, new byte[64 * 1024]));
        assertThrows(IllegalStateException.class, () -> a.addHandler(ECHO, m -> { }));
        a.addHandler(SEQ, m -> {
            throw new IllegalStateException("handler bug");
        });
        Throwable failed = cause(b.request(1, SEQ, new byte[0], Duration.ofSeconds(5)));
        assertTrue(failed.getMessage().contains("handler bug"), failed.getMessage());
        assertEquals(Set.of(1), b.connectedNodes(), "a failing handler keeps the connection");
    }

    @Test
    void peerDyingMidRequestFailsTheRequestAtOnce() throws Exception {
        MinaTransport a = node(1, SECRET);
        MinaTransport b = node(2, SECRET, a.listenAddress());
        await("connected", () -> b.connectedNodes().contains(1));
        CompletableFuture<Void> received = new CompletableFuture<>();
        a.addHandler(SILENT, m -> received.complete(null));
        CompletableFuture<byte[]> pending = b.request(1, SILENT, new byte[0], Duration.ofSeconds(60));
        received.get(5, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        a.stop();
        started.remove(a);
        assertInstanceOf(NodeUnreachableException.class, cause(pending));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
    }

    /** The frames and bytes of one peer in {@code t.traffic()}: {sent frames, received frames, sent bytes, received bytes}. */
    private static long[] traffic(MinaTransport t, int node) {
        return t.traffic().stream().filter(p -> p.node() == node)
                .map(p -> new long[] {p.framesSent(), p.framesReceived(), p.bytesSent(), p.bytesReceived()})
                .findFirst().orElse(new long[4]);
    }

    @Test
    void trafficCountsEveryFrameOnceAcrossReconnects() throws Exception {
        MinaTransport a = node(1, SECRET);
        MinaTransport b = node(2, SECRET, a.listenAddress());
        await("connected", () -> a.connectedNodes().contains(2) && b.connectedNodes().contains(1));
        List<Integer> received = new CopyOnWriteArrayList<>();
        a.addHandler(SEQ, m -> received.add(m.payload().length));
        long[] a0 = traffic(a, 2);
        long[] b0 = traffic(b, 1);
        int n = 300;
        for (int i = 0; i < n; i++) {
            b.send(1, SEQ, new byte[100]);
        }
        await("received", () -> received.size() == n);
        await("counted on both sides", () -> traffic(a, 2)[1] - a0[1] == n && traffic(b, 1)[0] - b0[0] == n);
        long[] a1 = traffic(a, 2);
        assertTrue(a1[3] - a0[3] >= n * 100L, "bytes received " + (a1[3] - a0[3]));
        assertTrue(a.traffic().stream().allMatch(p -> p.node() != 2 || p.connected()));

        // Node 2 restarts: what its first connection carried is still counted, and the new one adds to it.
        InetSocketAddress bAddress = b.listenAddress();
        b.stop();
        started.remove(b);
        await("down", () -> !a.connectedNodes().contains(2));
        assertTrue(a.traffic().stream().anyMatch(p -> p.node() == 2 && !p.connected()));
        assertEquals(a1[1], traffic(a, 2)[1]);
        MinaTransport b2 = node(2, bAddress, SECRET);
        await("up again", () -> a.connectedNodes().contains(2) && b2.connectedNodes().contains(1));
        long[] a2 = traffic(a, 2);
        for (int i = 0; i < n; i++) {
            b2.send(1, SEQ, new byte[100]);
        }
        await("received again", () -> received.size() == 2 * n);
        await("counted again", () -> traffic(a, 2)[1] - a2[1] == n);
        assertTrue(a2[1] >= a1[1] && a2[3] >= a1[3], "counters never go back across a reconnect");
    }

    @Test
    void restartedPeerReconnectsWithNewIncarnation() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        MinaTransport a = node(1, SECRET);
        a.addConnectionListener(new ConnectionListener() {
            @Override
            public void connected(int node, long incarnation, InetSocketAddress address) {
                events.add("up " + node + " " + incarnation);
            }

            @Override
            public void disconnected(int node, String reason) {
                events.add("down " + node);
            }
        });
        MinaTransport b = node(2, SECRET, a.listenAddress());
        await("connected", () -> events.size() == 1);
        InetSocketAddress bAddress = b.listenAddress();
        long first = b.incarnation();
        b.stop();
        started.remove(b);
        await("down", () -> events.size() == 2);
        MinaTransport b2 = node(2, bAddress, SECRET);
        await("up again", () -> events.size() == 3);
        assertEquals(List.of("up 2 " + first, "down 2", "up 2 " + b2.incarnation()), events);
        assertFalse(first == b2.incarnation());
    }

    @Test
    void duplicateNodeIdIsRefused() throws Exception {
        MinaTransport a = node(1, SECRET);
        MinaTransport twin = node(1, SECRET, a.listenAddress());
        await("refused", () -> twin.peers().get(0).state() == PeerStatus.State.REFUSED);
        assertTrue(twin.peers().get(0).detail().contains("already used"), twin.peers().get(0).detail());
        assertTrue(a.connectedNodes().isEmpty());
    }

    @Test
    void ownAddressInPeersIsRecognised() throws Exception {
        try (var probe = new java.net.ServerSocket(0)) {
            probe.close();
            InetSocketAddress self = new InetSocketAddress("127.0.0.1", probe.getLocalPort());
            MinaTransport a = node(1, self, SECRET, self);
            await("self", () -> a.peers().get(0).state() == PeerStatus.State.SELF);
            assertTrue(a.connectedNodes().isEmpty());
        }
    }

    @Test
    void portInUseIsAClearError() throws Exception {
        MinaTransport a = node(1, SECRET);
        IOException e = assertThrows(IOException.class, () -> node(2, a.listenAddress(), SECRET));
        assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + a.listenAddress().getPort()),
                e.getMessage());
    }
}
