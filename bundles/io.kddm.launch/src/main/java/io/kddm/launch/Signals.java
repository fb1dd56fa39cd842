package io.kddm.launch;

import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns SIGTERM and SIGINT into an orderly stop with status 0: every component
 * leaves the cluster and syncs before the process ends.
 */
final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    static void exitCleanlyOn(BundleContext context, String... names) {
        for (String name : names) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                    LOG.info("SIG{} received: leaving the cluster", s.getName());
                    ProcessExit.exit(context, 0);
                });
            } catch (LinkageError | IllegalArgumentException e) {
                LOG.warn("cannot handle SIG{} ({}): it will stop the node with status 143", name, e.toString());
            }
        }
    }
}
