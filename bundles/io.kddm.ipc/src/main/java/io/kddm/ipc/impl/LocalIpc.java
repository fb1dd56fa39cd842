package io.kddm.ipc.impl;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.membership.Membership;
import io.kddm.api.membership.View;
import io.kddm.api.membership.ViewListener;
import io.kddm.api.set.Kddm;

/**
 * System V IPC on one node, outside any framework (the component registers
 * its family and linker as services; tests add them to a core directly):
 * the queues and semaphores, and the sweep that, after a view took nodes out,
 * applies their clients' undo records and drops their waiters. The sweep runs
 * on the lowest node of the new view, on a thread of its own (view listeners
 * must not block), and again a little later if a set could not be reached yet.
 */
public final class LocalIpc implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalIpc.class);
    private static final int SWEEP_TRIES = 10;

    private final Waits waits = new Waits();
    private final IpcLinker linker;
    private final Liveness live;
    private final Blocking blocking;
    private final QueueService queues;
    private final SemService semaphores;
    private final ScheduledExecutorService sweeper;
    private final AutoCloseable viewListener;

    public LocalIpc(Kddm kddm, Membership membership) {
        this(kddm, membership, Blocking.SAFETY_MS);
    }

    /** {@code safetyMs}: the longest sleep of a waiter without a wake-up before it looks again (a safety net). */
    public LocalIpc(Kddm kddm, Membership membership, long safetyMs) {
        linker = new IpcLinker(waits);
        live = new Liveness(membership);
        blocking = new Blocking(waits, safetyMs);
        Directory directory = new Directory(kddm, membership);
        queues = new QueueService(directory, blocking, live);
        semaphores = new SemService(directory, blocking, live);
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ipc-undo-sweep-" + membership.localNode());
            t.setDaemon(true);
            return t;
        });
        viewListener = membership.addViewListener(new ViewListener() {
            @Override
            public void installed(View previous, View current) {
                if (previous.epoch() != 0 && !current.departedSince(previous).isEmpty() && !current.members().isEmpty()
                        && current.members().firstKey() == membership.localNode()) {
                    sweeper.execute(() -> sweep(current.epoch(), 1));
                }
            }
        });
    }

    private void sweep(long epoch, int attempt) {
        try {
            int sems = semaphores.purgeAll();
            int qs = queues.purgeAll();
            LOG.info("IPC sweep after view {}: undo records of departed nodes applied on {} semaphore sets, waiters "
                    + "dropped from {} queues", epoch, sems, qs);
        } catch (RuntimeException e) {
            if (attempt < SWEEP_TRIES) {
                LOG.info("IPC sweep after view {} failed ({}), trying again in 2 s", epoch, e.toString());
                sweeper.schedule(() -> sweep(epoch, attempt + 1), 2, TimeUnit.SECONDS);
            } else {
                LOG.warn("IPC sweep after view {} gave up: {}; the next grab of each set applies what is left", epoch,
                        e.toString());
            }
        }
    }

    public SetFamily family() {
        return IpcFamily.INSTANCE;
    }

    public IoLinker ioLinker() {
        return linker;
    }

    public io.kddm.ipc.MessageQueues queues() {
        return queues;
    }

    public io.kddm.ipc.Semaphores semaphores() {
        return semaphores;
    }

    /** Sleeps that ended on the safety net rather than on a wake-up, since the start. */
    public long safetyRechecks() {
        return blocking.safetyRechecks.sum();
    }

    /** Closes every semaphore client of this node (their undo records applied): as its processes exiting. */
    public void closeClients() {
        semaphores.closeAll();
    }

    @Override
    public void close() {
        try {
            viewListener.close();
        } catch (Exception e) {
            LOG.debug("view listener: {}", e.toString());
        }
        sweeper.shutdownNow();
    }
}
