package io.kddm.launch;

import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the process with a chosen status after an orderly framework stop.
 * <p>
 * The bnd launcher exits with 117 whenever the framework stops and installs no
 * hook that stops the framework on {@code System.exit}. So: a shutdown hook
 * remembers the status and halts with it, then the system bundle is stopped
 * (every component leaves the cluster and syncs), and the launcher's own exit
 * runs the hook. A watchdog halts if the stop hangs.
 */
final class ProcessExit {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessExit.class);
    private static final long STOP_LIMIT_MILLIS = 30_000;
    private static final AtomicBoolean EXITING = new AtomicBoolean();

    private ProcessExit() {
    }

    static void exit(BundleContext context, int status) {
        if (!EXITING.compareAndSet(false, true)) {
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(status);
        }, "kddm-exit-status"));
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(STOP_LIMIT_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("kddm: the framework did not stop within " + STOP_LIMIT_MILLIS + " ms; halting");
            Runtime.getRuntime().halt(status == 0 ? 4 : status);
        }, "kddm-exit-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Thread stopper = new Thread(() -> {
            leave(context);
            try {
                context.getBundle(0).stop();
            } catch (BundleException | IllegalStateException e) {
                LOG.warn("could not stop the framework: {}; exiting", e.toString());
                System.exit(status);
            }
        }, "kddm-exit");
        stopper.start();
    }

    /**
     * Leaves the cluster in order while every bundle still runs (the kDFS bundle's
     * families among them: the core stores what it homes through them), before
     * the framework stops them in turn.
     */
    private static void leave(BundleContext context) {
        try {
            var ref = context.getServiceReference(io.kddm.api.set.Kddm.class);
            io.kddm.api.set.Kddm kddm = ref == null ? null : context.getService(ref);
            if (kddm != null) {
                kddm.leave();
            }
        } catch (RuntimeException e) {
            LOG.warn("leaving the cluster in order failed: {}", e.toString());
        }
    }
}
