package io.kddm.impl.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.testing.Configs;
import io.kddm.testing.LogLines;

/**
 * A change of {@code io.kddm.core} on a running core, while two nodes increment
 * one backed-up counter (what SCR does through {@code @Modified} when the
 * {@code .cfg} changes): the timeout, memory budget, linker grace and backups
 * apply on the same core, invalid values are refused and change nothing, and
 * no increment is lost.
 */
class KddmLiveConfigTest {
    private static final int INCREMENTS = 100;
    private SimNetwork network;
    private final List<KddmService> services = new ArrayList<>();

    @AfterEach
    void stop() {
        SimNetwork.stop(network, services);
    }

    private static long add(KddmSet set, long object) {
        try (ObjectHandle h = set.grab(object)) {
            byte[] v = h.value();
            long next = (v == null || v.length < 8 ? 0 : ByteBuffer.wrap(v).getLong()) + 1;
            h.value(ByteBuffer.allocate(8).putLong(next).array());
            return next;
        }
    }

    @Test
    void aChangedConfigurationAppliesToTheRunningCoreAndLosesNoIncrement() throws Exception {
        network = new SimNetwork(11, Duration.ofNanos(50_000));
        for (int id = 1; id <= 3; id++) {
            network.node(id);
        }
        SimNetwork.Node n1 = network.node(1);
        Map<String, Object> start = Map.of("operation.timeout.ms", "10000");
        KddmService one = new KddmService(n1, n1.membership, Configs.of(KddmService.Config.class, start), start);
        services.add(one);
        for (int id = 2; id <= 3; id++) {
            SimNetwork.Node n = network.node(id);
            services.add(new KddmService(n, n.membership, Duration.ofSeconds(10)));
        }
        for (KddmService k : services) {
            k.addIoLinker(CoherenceTest.MEMORY);
            k.addFamily(FailoverTest.ONE_BACKUP);
        }
        KddmSet set = one.create(FailoverTest.ONE_BACKUP.name());
        AtomicLong acknowledged = new AtomicLong();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            KddmSet mine = services.get(w % 2).lookup(set.id()); // nodes 1 and 2
            workers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < INCREMENTS; i++) {
                    add(mine, 7);
                    acknowledged.incrementAndGet();
                }
            }));
        }
        try (LogLines log = new LogLines(CoreSettings.class, KddmService.class)) {
            while (acknowledged.get() < INCREMENTS / 2) {
                Thread.sleep(1); // the change lands mid-workload
            }
            Map<String, Object> next = new HashMap<>(Map.of("operation.timeout.ms", "20000", "memory.budget.mb", "64",
                    "linker.grace.ms", "1000", "backups.test-r1", "2"));
            one.modified(Configs.of(KddmService.Config.class, next), next);
            assertEquals(Duration.ofSeconds(20), one.coherence().operationTimeout());
            assertEquals(64L << 20, one.coherence().memoryBudget());
            assertEquals(Map.of("test-r1", 2), one.coherence().backupOverrides());
            Map<String, Object> bad = new HashMap<>(Map.of("operation.timeout.ms", "0", "memory.budget.mb", "-1",
                    "linker.grace.ms", "1000", "backups.test-r1", "99"));
            one.modified(Configs.of(KddmService.Config.class, bad), bad);
            assertEquals(Duration.ofSeconds(20), one.coherence().operationTimeout(), "refused: unchanged");
            assertEquals(64L << 20, one.coherence().memoryBudget(), "refused: unchanged");
            assertEquals(Map.of("test-r1", 2), one.coherence().backupOverrides(), "refused: unchanged");
            CompletableFuture.allOf(workers.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
            List<String> info = log.with("INFO io.kddm.core");
            assertEquals(4, info.size(), log.lines().toString());
            assertTrue(info.contains("INFO io.kddm.core: operation.timeout.ms changed from 10000 ms to 20000 ms, live"),
                    info.toString());
            assertTrue(info.contains("INFO io.kddm.core: memory.budget.mb changed from 262144 KiB to 65536 KiB, live"),
                    info.toString());
            assertTrue(info.contains("INFO io.kddm.core: linker.grace.ms changed from 5000 ms to 1000 ms, live"),
                    info.toString());
            List<String> errors = log.with("ERROR io.kddm.core");
            assertEquals(3, errors.size(), log.lines().toString());
            assertTrue(errors.stream().anyMatch(e -> e.contains("operation.timeout.ms must be > 0, not 0: refused")),
                    errors.toString());
            assertTrue(errors.stream().anyMatch(e -> e.contains("memory.budget.mb must be >= 0")), errors.toString());
            assertTrue(errors.stream().anyMatch(e -> e.contains("backups.test-r1=99 is not a number of backups")),
                    errors.toString());
        }
        assertEquals(4L * INCREMENTS, acknowledged.get());
        try (ObjectHandle h = services.get(2).lookup(set.id()).get(7)) {
            assertEquals(4L * INCREMENTS, ByteBuffer.wrap(h.value()).getLong(), "no increment lost");
        }
    }
}
