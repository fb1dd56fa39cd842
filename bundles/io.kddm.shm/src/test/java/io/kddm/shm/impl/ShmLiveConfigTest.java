package io.kddm.shm.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.impl.core.KddmService;
import io.kddm.impl.core.SimNetwork;
import io.kddm.shm.Caller;
import io.kddm.shm.Errno;
import io.kddm.shm.SharedMemory;
import io.kddm.shm.ShmException;
import io.kddm.testing.Configs;
import io.kddm.testing.LogLines;

/**
 * A change of {@code io.kddm.shm} on a running component (what SCR does through
 * {@code @Modified}): new limits apply from the next shmget with the same
 * component and segments; invalid ones are refused and the old ones stay.
 */
class ShmLiveConfigTest {
    /** A bundle context that registers the component's families and linker with {@code kddm} directly. */
    private static BundleContext context(KddmService kddm) {
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, args) -> {
                    if (!m.getName().equals("registerService")) {
                        throw new UnsupportedOperationException(m.getName());
                    }
                    if (args[1] instanceof SetFamily f) {
                        kddm.addFamily(f);
                    } else if (args[1] instanceof IoLinker l) {
                        kddm.addIoLinker(l);
                    }
                    return Proxy.newProxyInstance(ServiceRegistration.class.getClassLoader(),
                            new Class<?>[] {ServiceRegistration.class}, (r, rm, rargs) -> null);
                });
    }

    @Test
    void newLimitsApplyFromTheNextShmgetAndInvalidOnesAreRefused() throws Exception {
        try (SimNetwork network = new SimNetwork(7, Duration.ZERO)) {
            SimNetwork.Node n = network.node(1);
            KddmService kddm = new KddmService(n, n.membership, Duration.ofSeconds(20));
            ShmService service = new ShmService(context(kddm), kddm, n.membership,
                    Configs.of(ShmService.Config.class, Map.of("shmmax", "1048576", "shmmni", "2")));
            LocalSharedMemory shm = service.shm();
            int first = shm.shmget(1, 4096, SharedMemory.IPC_CREAT | 0600, Caller.ROOT);
            assertEquals(Errno.EINVAL, assertThrows(ShmException.class,
                    () -> shm.shmget(2, 2 << 20, SharedMemory.IPC_CREAT | 0600, Caller.ROOT)).errno());
            try (LogLines log = new LogLines(ShmService.class)) {
                service.modified(Configs.of(ShmService.Config.class, Map.of("shmmax", "4194304", "shmmni", "2")));
                int second = shm.shmget(2, 2 << 20, SharedMemory.IPC_CREAT | 0600, Caller.ROOT);
                assertEquals(Errno.ENOSPC, assertThrows(ShmException.class,
                        () -> shm.shmget(3, 4096, SharedMemory.IPC_CREAT | 0600, Caller.ROOT)).errno());
                service.modified(Configs.of(ShmService.Config.class, Map.of("shmmax", "4194304", "shmmni", "3")));
                shm.shmget(3, 4096, SharedMemory.IPC_CREAT | 0600, Caller.ROOT);
                LocalSharedMemory.Limits before = shm.limits();
                service.modified(Configs.of(ShmService.Config.class, Map.of("shmmax", "0", "shmmni", "99999")));
                assertSame(before, shm.limits(), "refused: the limits in force stay");
                assertEquals(List.of("INFO io.kddm.shm: shmmax changed from 1048576 to 4194304, live (from the next "
                        + "shmget on)", "INFO io.kddm.shm: shmmni changed from 2 to 3, live (from the next shmget on)"),
                        log.with("INFO"));
                assertEquals(1, log.with("ERROR").size(), log.lines().toString());
                assertTrue(log.with("ERROR").get(0).contains("shmmax must be 1..")
                        && log.with("ERROR").get(0).contains("refused, shmmax 4194304 and shmmni 3 stay in force"),
                        log.lines().toString());
                assertEquals(List.of(first, second), List.of(shm.shmget(1, 0, 0, Caller.ROOT),
                        shm.shmget(2, 0, 0, Caller.ROOT)), "the segments made before the changes are there");
            }
        }
    }
}
