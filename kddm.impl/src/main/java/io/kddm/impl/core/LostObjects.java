package io.kddm.impl.core;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * Objects found lost where homes move, kept on every member. An acting home
 * that finds an object lost (its owner died and no copy survived) keeps a
 * record of it, but that record dies with the home, and the next acting home
 * would make the object anew, empty. So every member is told (LEDGER, count
 * {@link CrashLedger#LOST}), names it in its CLAIMS (claim kind
 * {@link OwnerFailover#LOST}), and the next acting home records it lost too,
 * until an operator clears its set ({@code kddm:lost --clear}, see
 * {@link CrashLedger#clear}). Row R29.
 */
final class LostObjects {
    private static final Logger LOG = LoggerFactory.getLogger(LostObjects.class);

    /** An object found lost at its acting home, homed on {@code nominal}, in the view of {@code epoch}. */
    record Lost(int nominal, long epoch, String why) {
    }

    private final Coherence node;
    /** By set, then object. */
    private final Map<Long, Map<Long, Lost>> lost = new ConcurrentHashMap<>();

    LostObjects(Coherence node) {
        this.node = node;
    }

    /**
     * The object was found lost here (R8, or its owner died without failover):
     * kept, and every member is told, so that whichever node acts for its home
     * next knows it stays lost; only where homes move. Holding its home entry's
     * monitor: nothing here blocks. Row R29.
     */
    void lost(SetState s, long objectId, String why) {
        if (!node.replication.homesMove(s) || node.stores.replicated(s)) {
            return; // its home never moves: its record stays there
        }
        int nominal;
        try {
            nominal = node.calls.home(s, objectId);
        } catch (RuntimeException unknownFamily) {
            return;
        }
        long epoch = node.view.epoch();
        if (keep(s.id, objectId, new Lost(nominal, epoch, why))) {
            for (int m : node.replication.members()) {
                if (m != node.self) {
                    var answer = node.transport.request(m, Kind.LEDGER.type(), node.outbox.request(s.id, objectId,
                            nominal, CrashLedger.LOST, why.getBytes(StandardCharsets.UTF_8)), node.operationTimeout());
                    answer.whenComplete((r, failure) -> {
                        if (failure != null) {
                            LOG.debug("LOST of object {} to node {} failed: {}", objectId, m, failure.toString());
                        }
                    });
                }
            }
        }
    }

    /** Keeps a lost object; whether it was news (a loss cleared since is replaced: the object was lost again). */
    private boolean keep(long setId, long objectId, Lost l) {
        boolean[] news = {false};
        lost.computeIfAbsent(setId, id -> new ConcurrentHashMap<>()).compute(objectId, (id, old) -> {
            if (old == null || old.epoch() <= node.ledger.clearedAt(setId, old.nominal()) && l.epoch() > old.epoch()) {
                news[0] = true;
                return l;
            }
            return old;
        });
        return news[0];
    }

    /** The lost objects of the set homed on {@code nominal}, not cleared since: their LOST claims, by object. */
    Map<Long, byte[]> lostIn(long setId, int nominal) {
        Map<Long, Lost> known = lost.get(setId);
        if (known == null) {
            return Map.of();
        }
        Map<Long, byte[]> out = new TreeMap<>();
        known.forEach((objectId, l) -> {
            if (l.nominal() == nominal && l.epoch() > node.ledger.clearedAt(setId, nominal)) {
                byte[] why = l.why().getBytes(StandardCharsets.UTF_8);
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1 + Version.BYTES + 4 + why.length)
                        .put(OwnerFailover.LOST);
                new Version(l.epoch(), 0).put(b).putInt(why.length).put(why); // (the view it was found lost in)
                out.put(objectId, b.array());
            }
        });
        return out;
    }

    /** How many objects are known lost here (not cleared since). */
    int count() {
        int n = 0;
        for (Map.Entry<Long, Map<Long, Lost>> set : lost.entrySet()) {
            for (Lost l : set.getValue().values()) {
                n += l.epoch() > node.ledger.clearedAt(set.getKey(), l.nominal()) ? 1 : 0;
            }
        }
        return n;
    }

    /** LEDGER {@link CrashLedger#LOST} from a member: an object it found lost. */
    void told(Message m) {
        keep(m.setId(), m.objectId(), new Lost(m.node(), m.epoch(), new String(m.bytes(), StandardCharsets.UTF_8)));
    }
}
