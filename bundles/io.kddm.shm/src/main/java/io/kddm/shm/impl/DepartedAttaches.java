package io.kddm.shm.impl;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.View;
import io.kddm.api.membership.ViewListener;

/**
 * At each view that takes nodes out (crashed, excluded, left in order, or
 * back as a new incarnation), drops their attaches from every descriptor, so
 * that a removed segment they kept is destroyed. Done by the lowest node of
 * the new view only, on a thread of its own (never the membership's).
 * <p>
 * Known limit: if that node dies during the pass, the next view's pass covers
 * only the nodes that view takes out; attaches of the first ones left
 * unvisited stay counted (shm:stat shows them) until IPC_RMID'd segments are
 * reaped by hand. A node that joins and attaches before a pass about its own
 * older incarnation is safe: attaches are counted per incarnation.
 */
final class DepartedAttaches implements ViewListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DepartedAttaches.class);

    private final LocalSharedMemory shm;
    private final int self;
    private final ExecutorService reaper = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "shm-departed");
        t.setDaemon(true);
        return t;
    });

    DepartedAttaches(LocalSharedMemory shm, int self) {
        this.shm = shm;
        this.self = self;
    }

    @Override
    public void installed(View previous, View current) {
        // The first view installed here saw no departure.
        if (previous.epoch() == 0 || current.departedSince(previous).isEmpty() || current.members().isEmpty()
                || current.members().firstKey() != self) {
            return;
        }
        reaper.execute(() -> {
            try {
                int dropped = shm.dropDeparted(previous, current);
                LOG.debug("{}: {} attaches of departed nodes dropped", current, dropped);
            } catch (RuntimeException e) {
                LOG.warn("attaches of the nodes gone at {} not dropped: {}", current, e.toString());
            }
        });
    }

    @Override
    public void close() {
        reaper.shutdownNow();
    }
}
