package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.impl.core.KddmService;
import io.kddm.impl.core.SimNetwork;
import io.kddm.testing.Configs;
import io.kddm.testing.LogLines;

/**
 * A change of {@code io.kddm.kdfs} on a running component (what SCR does through
 * {@code @Modified}): the write-back interval and close.waits apply with the
 * same mount; a different volume while one is mounted is refused, the mounted
 * one stays and a later change back to it is no change; once unmounted, a
 * configured partition is mounted live.
 */
class KdfsLiveConfigTest {
    @TempDir
    Path tmp;

    /** A bundle context that registers the component's families and linkers with {@code kddm} directly. */
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
    void timingsApplyLiveAndTheMountedVolumeCannotChangeUnderIt() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        Partition.mkfs(a, 1, 1, false);
        Partition.mkfs(b, 1, 1, false);
        try (SimNetwork network = new SimNetwork(3, Duration.ZERO)) {
            SimNetwork.Node n = network.node(1);
            KddmService kddm = new KddmService(n, n.membership, Duration.ofSeconds(20));
            KdfsService service = new KdfsService(context(kddm), kddm, n.membership,
                    Configs.of(KdfsService.Config.class, Map.of("partition", a.toString())));
            try {
                assertEquals(a + ", root 1:1 (16777217)", service.state().describe());
                try (LogLines log = new LogLines(KdfsService.class)) {
                    service.modified(Configs.of(KdfsService.Config.class, Map.of("partition", a.toString(),
                            "sync.interval.s", "2", "close.waits", "false", "mount", "/somewhere")));
                    assertTrue(service.status().contains("write-back every: 2 s"), service.status());
                    service.modified(Configs.of(KdfsService.Config.class, Map.of("partition", b.toString(),
                            "replicas", "2", "sync.interval.s", "-1", "close.waits", "false")));
                    assertEquals(a + ", root 1:1 (16777217)", service.state().describe(), "the mounted volume stays");
                    assertTrue(service.status().contains("write-back every: 2 s"), service.status());
                    // Back to the volume in force: no change at all.
                    service.modified(Configs.of(KdfsService.Config.class, Map.of("partition", a.toString(),
                            "sync.interval.s", "2", "close.waits", "false")));
                    assertEquals(List.of("INFO io.kddm.kdfs: sync.interval.s changed from 5 to 2, live",
                            "INFO io.kddm.kdfs: close.waits changed from true to false, live",
                            "ERROR io.kddm.kdfs: sync.interval.s must be >= 0, not -1: refused, 2 s stays in force",
                            "ERROR io.kddm.kdfs: partition '" + a + "' -> '" + b + "', replicas 1 -> 2 while " + a
                                    + ", root 1:1 (16777217) is mounted: refused live, files are open on it "
                                    + "(kdfs:umount first, or restart the node); the mounted volume stays"),
                            log.lines());
                }
                service.umount();
                service.modified(Configs.of(KdfsService.Config.class, Map.of("partition", b.toString(),
                        "sync.interval.s", "2", "close.waits", "false")));
                assertEquals(b + ", root 1:1 (16777217)", service.state().describe(), "mounted live once nothing was");
            } finally {
                service.deactivate();
            }
        }
    }
}
