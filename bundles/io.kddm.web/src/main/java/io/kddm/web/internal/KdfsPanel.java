package io.kddm.web.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.StatFs;

/**
 * The kDFS partitions (what {@code kdfs:df} prints), for {@code /cluster/api/kdfs}.
 * Asking every partition costs a kDDM get per node, so it is asked only while a
 * page asks, at most every {@link #EVERY_MS}, off the page's thread; the page
 * gets the last answer. Active only where the kDFS bundle is.
 */
@Component(service = KdfsPanel.class)
public final class KdfsPanel {
    static final long EVERY_MS = 5_000;

    private final Kdfs kdfs;
    private final LongSupplier clock;
    private final ExecutorService asker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "web-kdfs");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean asking = new AtomicBoolean();
    private volatile String last;
    private volatile long lastAt = Long.MIN_VALUE / 2;

    @Activate
    public KdfsPanel(@Reference Kdfs kdfs) {
        this(kdfs, System::currentTimeMillis);
    }

    KdfsPanel(Kdfs kdfs, LongSupplier clock) {
        this.kdfs = kdfs;
        this.clock = clock;
        this.last = new Json().object().put("available", true).put("pending", true).endObject().toString();
    }

    /** The last answer; a new one is asked for if it is older than {@link #EVERY_MS}. */
    String json() {
        if (clock.getAsLong() - lastAt >= EVERY_MS && asking.compareAndSet(false, true)) {
            try {
                asker.execute(() -> {
                    try {
                        last = describe();
                        lastAt = clock.getAsLong();
                    } finally {
                        asking.set(false);
                    }
                });
            } catch (RejectedExecutionException closed) {
                asking.set(false);
            }
        }
        return last;
    }

    /** What {@code kdfs:df} says now (blocking: a get per partition node). */
    String describe() {
        Json j = new Json().object().put("available", true).put("mounted", kdfs.mounted()).put("time", clock.getAsLong());
        if (!kdfs.mounted()) {
            return j.endObject().toString();
        }
        j.put("partition", kdfs.partition().map(Object::toString).orElse(null));
        try {
            StatFs s = kdfs.statfs();
            j.put("totalBytes", s.totalBytes()).put("freeBytes", s.freeBytes()).put("entries", s.inodes());
            j.key("partitions").array();
            for (StatFs.Partition p : s.partitions()) {
                j.object().put("node", p.node()).put("totalBytes", p.totalBytes()).put("freeBytes", p.freeBytes())
                        .put("entries", p.inodes()).endObject();
            }
            j.endArray().put("unreachable", s.unreachable());
        } catch (RuntimeException e) {
            j.put("error", e.getMessage());
        }
        return j.endObject().toString();
    }

    @Deactivate
    void deactivate() {
        asker.shutdownNow();
    }
}
