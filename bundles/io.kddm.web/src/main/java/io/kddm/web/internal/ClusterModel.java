package io.kddm.web.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.SetFamily;
import io.kddm.api.membership.Membership;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.View;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.KddmStats;
import io.kddm.api.set.SetIds;
import io.kddm.api.set.SetInfo;

/**
 * What the cluster page shows, as this node sees it, kept up to date by
 * {@link #round}, once a second: its own report published on the {@link Board},
 * the others' read from it, and a history of every node's activity for the
 * charts. The JSON documents of {@code /cluster/api/...} are made from it;
 * nothing here changes a set other than the board.
 */
final class ClusterModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterModel.class);
    /** Objects a page may watch at once on one node; the oldest goes first. */
    static final int MAX_WATCHED = 8;
    /** Rounds of history kept per node (two minutes at one a second). */
    static final int HISTORY = 120;

    private final Kddm kddm;
    private final Membership membership;
    private final Supplier<Collection<SetFamily>> families;
    private final LongSupplier clock;
    private final Board board;
    private volatile Duration watchFor;

    /** The objects a page here asked about, with when they were asked last (clock ms). */
    private final Map<ObjectRef, Long> asked = new LinkedHashMap<>();
    private List<ObjectRef> published = List.of();
    /**
     * Whether this node wrote its watch list yet: its first round writes it, even
     * empty, as another node's first read of it would make that node its owner,
     * and a node that leaves with an object whose home already left logs it as
     * lost (FaultsIT).
     */
    private boolean watchWritten;
    /** The last report read from each node, and the reason the last read failed, if it did. */
    private final Map<Integer, NodeReport> reports = new ConcurrentHashMap<>();
    private final Map<Integer, String> boardErrors = new ConcurrentHashMap<>();
    private final Map<Integer, Deque<NodeReport>> history = new ConcurrentHashMap<>();
    /** Holders of the watched objects, asked off the round's thread (two messages each, maybe slow). */
    private final ExecutorService holdersAsker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "web-holders");
        t.setDaemon(true);
        return t;
    });
    private final Map<ObjectRef, Holders> holders = new ConcurrentHashMap<>();
    private final Set<ObjectRef> asking = ConcurrentHashMap.newKeySet();

    private long round;
    private KddmStats lastStats;
    private long lastBoardOps;
    private long lastRoundAt;

    /**
     * @param clock    milliseconds since the epoch
     * @param wait     how long one board operation may wait for a node
     * @param watchFor how long an object stays watched after a page last asked about it
     */
    ClusterModel(Kddm kddm, Membership membership, Supplier<Collection<SetFamily>> families, LongSupplier clock,
            Duration wait, Duration watchFor) {
        this.kddm = kddm;
        this.membership = membership;
        this.families = families;
        this.clock = clock;
        this.board = new Board(kddm, wait);
        this.watchFor = watchFor;
    }

    /**
     * One round: publish what this node's page asks about, report on what every
     * page asks about and on this node's activity since the last round, and read
     * every other node's report. A node that does not answer is skipped (and
     * said so on the page); nothing here throws.
     */
    synchronized void round() {
        long now = clock.getAsLong();
        int me = kddm.localNode();
        View view = membership.view();
        try {
            List<ObjectRef> mine = watchList(now);
            if (!watchWritten || !mine.equals(published)) {
                board.watch(mine);
                published = mine;
                watchWritten = true;
            }
        } catch (RuntimeException e) {
            LOG.debug("watch list not published", e);
        }
        Set<ObjectRef> watched = new TreeSet<>((a, b) -> a.setId() != b.setId()
                ? Long.compareUnsigned(a.setId(), b.setId()) : Long.compare(a.objectId(), b.objectId()));
        watched.addAll(published);
        for (int node : view.members().keySet()) {
            if (node != me) {
                try {
                    watched.addAll(board.watched(node));
                } catch (RuntimeException e) {
                    boardErrors.put(node, e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            }
        }
        NodeReport mineNow = report(me, now, watched);
        try {
            board.publish(mineNow);
            boardErrors.remove(me);
        } catch (RuntimeException e) {
            boardErrors.put(me, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        record(mineNow);
        for (int node : view.members().keySet()) {
            if (node == me) {
                continue;
            }
            try {
                board.report(node).ifPresent(this::record);
                boardErrors.remove(node);
            } catch (RuntimeException e) {
                boardErrors.put(node, e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        // A node out of the view is not read: what failed while it went is no news.
        boardErrors.keySet().retainAll(view.members().keySet());
        for (ObjectRef ref : published) {
            askHolders(ref);
        }
        holders.keySet().retainAll(published);
    }

    private List<ObjectRef> watchList(long now) {
        asked.values().removeIf(at -> now - at > watchFor.toMillis());
        return List.copyOf(asked.keySet());
    }

    /** This node's report: its activity since the last round, and the watched objects as it sees them. */
    private NodeReport report(int me, long now, Collection<ObjectRef> watched) {
        KddmStats stats = kddm.stats();
        long boardOps = board.operations();
        KddmStats before = lastStats == null ? stats : lastStats;
        long operations = (stats.gets() + stats.grabs()) - (before.gets() + before.grabs())
                - (boardOps - (lastStats == null ? boardOps : lastBoardOps));
        double seconds = lastStats == null ? 0 : Math.max(0, now - lastRoundAt) / 1000.0;
        KddmStats.Latency gets = stats.get().since(before.get());
        KddmStats.Latency grabs = stats.grab().since(before.grab());
        lastStats = stats;
        lastBoardOps = boardOps;
        lastRoundAt = now;
        List<NodeReport.ObjectRow> rows = new ArrayList<>();
        for (ObjectRef ref : watched) {
            Optional<KddmSet> set = kddm.find(ref.setId());
            rows.add(set.isEmpty() ? new NodeReport.ObjectRow(ref, false, null)
                    : new NodeReport.ObjectRow(ref, true, set.get().status(ref.objectId())));
        }
        return new NodeReport(me, ++round, now, seconds, Math.max(0, operations), gets.percentile(50),
                gets.percentile(99), grabs.percentile(50), grabs.percentile(99), stats.gets(), stats.grabs(),
                stats.timeouts(), stats.bytesHeld(), rows);
    }

    private void record(NodeReport r) {
        NodeReport was = reports.put(r.node(), r);
        if (was != null && was.round() == r.round() && was.time() == r.time()) {
            return; // not republished since the last read
        }
        Deque<NodeReport> h = history.computeIfAbsent(r.node(), k -> new ArrayDeque<>());
        synchronized (h) {
            if (was != null && r.time() < was.time()) {
                h.clear(); // a restarted node (or a clock set back): its rounds start again
            }
            h.addLast(r);
            while (h.size() > HISTORY) {
                h.removeFirst();
            }
        }
    }

    private void askHolders(ObjectRef ref) {
        if (!asking.add(ref)) {
            return; // one ask at a time per object; asked again every round, so the page follows it
        }
        try {
            holdersAsker.execute(() -> {
                try {
                    holders.put(ref, new Holders(kddm.lookup(ref.setId()).holders(ref.objectId()), null));
                } catch (RuntimeException e) {
                    holders.put(ref, new Holders(null, e.getClass().getSimpleName() + ": " + e.getMessage()));
                } finally {
                    asking.remove(ref);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            asking.remove(ref);
        }
    }

    /** An object's holders as its home and owner said last, or why they could not be asked. */
    private record Holders(List<Integer> nodes, String error) {
    }

    void watchFor(Duration d) {
        watchFor = d;
    }

    /** A page asks about {@code ref}: every node reports on it from the next rounds on, for a while. */
    synchronized void ask(ObjectRef ref) {
        asked.remove(ref);
        asked.put(ref, clock.getAsLong());
        while (asked.size() > MAX_WATCHED) {
            asked.remove(asked.keySet().iterator().next());
        }
    }

    // ---- the JSON documents ------------------------------------------------------------------

    /** {@code /cluster/api/nodes}: the view, every node's state and round trip, and its last report. */
    String nodes() {
        long now = clock.getAsLong();
        View view = membership.view();
        Set<Integer> voters = membership.voters();
        Json j = new Json().object();
        j.put("node", kddm.localNode()).put("time", now).put("epoch", view.epoch())
                .put("lease", membership.hasLease()).put("view", view.members().keySet()).put("voters", voters);
        j.key("nodes").array();
        for (NodeInfo n : membership.nodes()) {
            j.object().put("id", n.id()).put("address", n.address()).put("state", n.state().name())
                    .put("inView", view.contains(n.id())).put("incarnation", n.incarnation())
                    .put("voter", voters.contains(n.id())).put("local", n.local())
                    .put("lastHeardMs", n.local() ? 0 : n.lastHeard().toMillis());
            j.key("rttMs");
            if (n.rtt().isPresent()) {
                j.value(n.rtt().get().toNanos() / 1e6);
            } else {
                j.nullValue();
            }
            NodeReport r = reports.get(n.id());
            j.key("report");
            if (r == null) {
                j.nullValue();
            } else {
                j.object().put("round", r.round()).put("ageMs", Math.max(0, now - r.time()))
                        .put("opsPerSecond", r.seconds() > 0 ? r.operations() / r.seconds() : 0)
                        .put("getP50Us", r.getP50() / 1e3).put("getP99Us", r.getP99() / 1e3)
                        .put("grabP50Us", r.grabP50() / 1e3).put("grabP99Us", r.grabP99() / 1e3)
                        .put("gets", r.gets()).put("grabs", r.grabs()).put("timeouts", r.timeouts())
                        .put("bytesHeld", r.bytesHeld()).endObject();
            }
            j.put("boardError", boardErrors.get(n.id()));
            j.endObject();
        }
        return j.endArray().endObject().toString();
    }

    /** {@code /cluster/api/sets}: the sets this node knows, and the families registered here. */
    String sets() {
        Collection<SetFamily> fs = families.get();
        Map<String, SetFamily> byName = new TreeMap<>();
        fs.forEach(f -> byName.put(f.name(), f));
        Json j = new Json().object().put("node", kddm.localNode());
        j.key("sets").array();
        for (SetInfo s : kddm.sets()) {
            j.object().put("id", SetIds.format(s.id())).put("family", s.family()).put("ioLinker", s.ioLinker())
                    .put("homes", s.nodes()).put("objectsHere", s.objects()).put("bytesHere", s.bytes())
                    .put("registered", byName.containsKey(s.family())).endObject();
        }
        j.endArray().key("families").array();
        for (SetFamily f : byName.values()) {
            j.object().put("name", f.name()).put("ioLinker", f.ioLinker()).put("home", f.home().name())
                    .put("maxObjectSize", f.maxObjectSize()).put("backups", f.backups())
                    .put("firstTouchAtHome", f.firstTouchAtHome());
            j.put("wellKnown", f.wellKnownSets().first() <= f.wellKnownSets().last()
                    ? SetIds.format(f.wellKnownSets().first()) + ".." + SetIds.format(f.wellKnownSets().last())
                    : null);
            j.endObject();
        }
        return j.endArray().endObject().toString();
    }

    /**
     * {@code /cluster/api/object}: {@code ref} on every node as their last
     * reports say ({@code pending} until every node in the view reported on it),
     * and its holders as its home and owner say. Asks for it ({@link #ask}).
     *
     * @throws java.util.NoSuchElementException (ENOENT) once every node in the view reported and none has the set
     */
    String object(ObjectRef ref) {
        ask(ref);
        View view = membership.view();
        boolean pending = false;
        boolean anyOpen = false;
        Json j = new Json().object().put("set", SetIds.format(ref.setId())).put("object", ref.objectId());
        j.key("nodes").array();
        for (NodeInfo n : membership.nodes()) {
            NodeReport r = reports.get(n.id());
            NodeReport.ObjectRow row = r == null ? null : r.row(ref);
            boolean inView = view.contains(n.id());
            if (row == null && inView) {
                pending = true;
            }
            j.object().put("id", n.id()).put("state", n.state().name()).put("inView", inView);
            j.put("ageMs", r == null ? -1 : Math.max(0, clock.getAsLong() - r.time()));
            if (row == null) {
                j.key("row").nullValue();
            } else if (!row.open()) {
                j.key("row").object().put("open", false).endObject();
            } else {
                anyOpen = true;
                var s = row.status();
                j.key("row").object().put("open", true).put("state", s.state()).put("bytes", s.bytes())
                        .put("version", s.version()).put("copyset", s.copyset()).put("readers", s.readers())
                        .put("writers", s.writers()).put("queued", s.queued()).put("home", s.home())
                        .put("homeState", s.homeState()).put("owner", s.owner()).endObject();
            }
            j.endObject();
        }
        j.endArray().put("pending", pending);
        if (!pending && !anyOpen) {
            throw new java.util.NoSuchElementException("ENOENT: no node in the view has set "
                    + SetIds.format(ref.setId()));
        }
        Holders h = holders.get(ref);
        j.key("holders");
        if (h == null || h.nodes() == null) {
            j.nullValue();
        } else {
            j.array();
            h.nodes().forEach(j::value);
            j.endArray();
        }
        j.put("holdersError", h == null ? null : h.error());
        return j.endObject().toString();
    }

    /** {@code /cluster/api/stats}: every node's last rounds, oldest first, for the charts. */
    String stats() {
        Json j = new Json().object().put("node", kddm.localNode()).put("time", clock.getAsLong());
        j.key("series").object();
        Map<Integer, Deque<NodeReport>> sorted = new TreeMap<>(history);
        sorted.forEach((node, h) -> {
            j.key(String.valueOf(node)).array();
            List<NodeReport> copy;
            synchronized (h) {
                copy = new ArrayList<>(h);
            }
            for (NodeReport r : copy) {
                if (r.seconds() <= 0) {
                    continue; // a first round: no activity measured yet
                }
                j.array().value(r.time()).value(r.operations() / r.seconds()).value(r.getP50() / 1e3)
                        .value(r.getP99() / 1e3).value(r.grabP50() / 1e3).value(r.grabP99() / 1e3).endArray();
            }
            j.endArray();
        });
        return j.endObject().endObject().toString();
    }

    /** The reports read so far, by node (tests). */
    Map<Integer, NodeReport> reports() {
        return new HashMap<>(reports);
    }

    @Override
    public void close() {
        holdersAsker.shutdownNow();
    }
}
