package io.kddm.transport.mina;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.api.transport.MessageTypes;
import io.kddm.testing.Configs;
import io.kddm.testing.LogLines;

/**
 * A change of {@code io.kddm.node} on running transports built from their
 * configuration (what SCR does through {@code @Modified} when the {@code .cfg}
 * changes): a new peer is dialed and the handshake timeout changes without
 * stopping anything; the node's identity, address, secret and frame limit, and
 * a peer taken out, are refused with an ERROR line and nothing changes.
 */
class LiveConfigTest {
    private static final int ECHO = MessageTypes.SERVICES_FIRST;

    @TempDir
    Path dir;
    private final List<MinaTransport> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(MinaTransport::stop);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Map<String, Object> props(int id, int port, String... peers) throws IOException {
        Path secret = dir.resolve("secret");
        if (!Files.exists(secret)) {
            Files.writeString(secret, "live config secret\n");
        }
        Map<String, Object> p = new HashMap<>(Map.of("id", String.valueOf(id), "listen", "127.0.0.1:" + port,
                "secret.file", secret.toString(), "peers", String.join(",", peers)));
        return p;
    }

    private MinaTransport start(Map<String, Object> props) throws IOException {
        MinaTransport t = new MinaTransport(Configs.of(NodeConfig.class, props));
        t.addHandler(ECHO, m -> m.reply(m.payload()));
        started.add(t);
        return t;
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void aPeerAddedIsDialedAndTheHandshakeTimeoutChangesWithoutAnyRestart() throws Exception {
        int p1 = freePort();
        int p2 = freePort();
        MinaTransport one = start(props(1, p1));
        MinaTransport two = start(props(2, p2));
        assertEquals(Set.of(), one.connectedNodes());
        try (LogLines log = new LogLines(NodeConfigChange.class)) {
            Map<String, Object> next = props(1, p1, "127.0.0.1:" + p2);
            next.put("handshake.timeout.ms", "3000");
            one.modified(Configs.of(NodeConfig.class, next));
            await("node 1 connected to node 2, added live", () -> one.connectedNodes().contains(2));
            assertEquals(Duration.ofMillis(3000), one.settings().handshakeTimeout());
            byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(hello, one.request(2, ECHO, hello, Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS));
            assertEquals(List.of("INFO io.kddm.node: handshake.timeout.ms changed from 5000 ms to 3000 ms, live",
                    "INFO io.kddm.node: peers changed from [] to [127.0.0.1:" + p2 + "], live: dialing [127.0.0.1:"
                            + p2 + "]"), log.lines());
            assertTrue(two.connectedNodes().contains(1));
        }
    }

    @Test
    void identityAddressSecretFrameLimitAndARemovedPeerAreRefusedAndNothingChanges() throws Exception {
        int p1 = freePort();
        int p2 = freePort();
        MinaTransport two = start(props(2, p2));
        MinaTransport one = start(props(1, p1, "127.0.0.1:" + p2));
        await("node 1 connected to node 2", () -> one.connectedNodes().contains(2));
        TransportSettings before = one.settings();
        try (LogLines log = new LogLines(NodeConfigChange.class)) {
            Map<String, Object> next = props(9, freePort());
            next.put("secret.file", dir.resolve("other").toString());
            next.put("max.frame", "1000");
            one.modified(Configs.of(NodeConfig.class, next));
            Map<String, Object> bad = props(1, p1, "no-port");
            bad.put("handshake.timeout.ms", "0");
            one.modified(Configs.of(NodeConfig.class, bad));
            assertSame(before, one.settings(), "nothing applied");
            List<String> lines = log.lines();
            assertEquals(7, lines.size(), lines.toString());
            assertTrue(lines.stream().allMatch(l -> l.startsWith("ERROR io.kddm.node: ")), lines.toString());
            assertTrue(lines.get(0).contains("id changed from 1 to 9: refused live"), lines.get(0));
            assertTrue(lines.get(1).contains("listen changed from 127.0.0.1:" + p1), lines.get(1));
            assertTrue(lines.get(2).contains("secret.file changed from"), lines.get(2));
            assertTrue(lines.get(3).contains("max.frame changed from 16777216 to 1000: refused live"), lines.get(3));
            assertTrue(lines.get(4).contains("peers changed from [127.0.0.1:" + p2 + "] to []: refused live"),
                    lines.get(4));
            assertTrue(lines.get(5).contains("handshake.timeout.ms must be > 0, not 0: refused"), lines.get(5));
            assertTrue(lines.get(6).contains("peers: 'no-port' is not host:port: refused"), lines.get(6));
        }
        assertEquals(1, one.localNode());
        byte[] hello = "still up".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(hello, one.request(2, ECHO, hello, Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS));
        assertTrue(two.connectedNodes().contains(1));
    }
}
