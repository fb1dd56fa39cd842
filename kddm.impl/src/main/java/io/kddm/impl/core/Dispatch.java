package io.kddm.impl.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.View;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.SetIds;
import io.kddm.api.transport.Inbound;
import io.kddm.impl.core.ManagerEntry.Request;
import io.kddm.impl.core.ObjectEntry.Forward;
import io.kddm.impl.core.Wire.Kind;
import io.kddm.impl.core.Wire.Message;

/**
 * Every kDDM object message comes in here and goes to the role that runs its
 * row of {@link StateTable}: one switch, grouped by role.
 * <p>
 * The unknown-set rule: a message about a set this node does not know opens it
 * only if it may come first (GET_REQ, GRAB_REQ, SYNC, a handed-off OWNERSHIP) and a family registered
 * here claims the set as well-known; otherwise a request is refused (UNKNOWN_SET,
 * which the requester asks again after, or a failed reply: row H17), a question
 * (WHO_OWNS, WHO_HOLDS) is answered "nobody", and anything else is late (the set
 * was destroyed here) and dropped, so that it cannot bring the set back.
 */
final class Dispatch {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatch.class);

    /** Which role handles a message kind. */
    enum Route {
        /** The home side, {@link HomeSide}. */
        HOME,
        /** The object side, {@link ObjectSide}. */
        OBJECT,
        /** A request with a reply: SYNC at the home, WHO_OWNS at the home, WHO_HOLDS at the owner. */
        QUESTION,
        /** Set messages: handled by {@link KddmService}, never routed here. */
        SET,
        /** A kind whose number is reserved and that is never sent. */
        NEVER_SENT
    }

    /** A message from a newer view than the one installed here: it waits for that view. */
    private record Parked(int sender, int type, byte[] payload, Inbound request, long epoch) {
    }

    /** What to do with a message, by the view installed here. */
    private enum Admission {
        PROCESS, PARK, DROP
    }

    /** At most this many messages wait for a view (a node cut off from the voters must not fill its memory). */
    private static final int MAX_PARKED = 100_000;

    private final Coherence node;
    /** Guards the installed view's admission, {@link #parked} and its drain: messages stay in order. */
    private final Object admission = new Object();
    private final ArrayDeque<Parked> parked = new ArrayDeque<>();
    /**
     * Read-held while a message is admitted and handled, write-held while this
     * node drops its incarnation (F13): no message admitted for the old one is
     * handled after its records were dropped (D3).
     */
    private final ReentrantReadWriteLock incarnation = new ReentrantReadWriteLock();
    private final Set<Integer> parkedSenders = new HashSet<>();

    Dispatch(Coherence node) {
        this.node = node;
    }

    /**
     * Whether a message of {@code sender} stamped with {@code epoch} is taken: a
     * message of no view (0) always; one of a newer view waits for it (as does
     * every later message of that sender); one sent to an earlier incarnation of
     * this node is dropped (row D3); so is one of a node not in the view, or of
     * an incarnation older than its member's: it was sent before that node left or
     * was taken out. Holding {@link #admission}.
     */
    private Admission admit(int sender, long epoch) {
        if (epoch == 0) {
            return Admission.PROCESS;
        }
        View v = node.view;
        if (sender == node.self) {
            return epoch < incarnationFloor(v) ? Admission.DROP : Admission.PROCESS;
        }
        if (epoch > v.epoch() || parkedSenders.contains(sender)) {
            return Admission.PARK;
        }
        return fromMember(v, sender, epoch) ? Admission.PROCESS : Admission.DROP;
    }

    /** Whether a message stamped {@code epoch} reached this incarnation from a member of {@code v} as it is there. */
    private boolean fromMember(View v, int sender, long epoch) {
        View.Member m = v.members().get(sender);
        return m != null && epoch >= m.joined() && epoch >= incarnationFloor(v);
    }

    private String notAdmitted(int sender, long epoch, View v) {
        return "a request of node " + sender + " sent in view " + epoch + " is not taken by node " + node.self + " in "
                + v + ": its sender, or this incarnation of node " + node.self + ", is not a member of that view";
    }

    /**
     * The oldest view a message to this node's current incarnation can be sent in:
     * the one it joined in. A node taken out and not yet back takes nothing at all
     * (what comes was sent to the incarnation whose records it dropped; acting on
     * it would serve requests as a home with no records, or answer as an owner it
     * no longer is). Row D3.
     */
    private long incarnationFloor(View v) {
        if (node.excludedAt > 0 && node.lastMemberEpoch <= node.excludedAt) {
            return Long.MAX_VALUE; // out, and no view has had it again since (a newer one without it included)
        }
        View.Member me = v.members().get(node.self);
        return me == null ? 0 : me.joined();
    }

    private boolean admitted(int sender, int type, byte[] payload, Inbound request, Message m) {
        synchronized (admission) {
            switch (admit(sender, m.epoch())) {
                case PROCESS -> {
                    return true;
                }
                case PARK -> {
                    if (parked.size() >= MAX_PARKED) {
                        Parked oldest = parked.poll();
                        LOG.warn("node {}: too many messages wait for a newer view; dropped one from node {}",
                                node.self, oldest.sender());
                    }
                    parked.add(new Parked(sender, type, payload, request, m.epoch()));
                    parkedSenders.add(sender);
                    return false;
                }
                default -> {
                    node.stats.outsideView.increment();
                    LOG.debug("{} from node {} of epoch {} dropped: not from a member of {} to this incarnation",
                            m.kind(), sender, m.epoch(), node.view);
                    if (request != null) {
                        request.fail(notAdmitted(sender, m.epoch(), node.view));
                    }
                    return false;
                }
            }
        }
    }

    /**
     * Installs {@code view} for admission, runs {@code departures} (the core
     * forgets the nodes gone), then handles the messages that waited for it, in
     * the order they came: all under the admission lock, so that none overtakes
     * another of its sender.
     */
    void install(View view, Runnable departures) {
        synchronized (admission) {
            node.view = view;
            departures.run();
            List<Parked> ready = new ArrayList<>();
            parkedSenders.clear();
            for (var it = parked.iterator(); it.hasNext();) {
                Parked p = it.next();
                if (p.epoch() <= view.epoch() && !parkedSenders.contains(p.sender())) {
                    ready.add(p);
                    it.remove();
                } else {
                    parkedSenders.add(p.sender());
                }
            }
            for (Parked p : ready) {
                Message m = Wire.decode(p.type(), p.payload()); // decoded once already: it decodes
                if (!fromMember(view, p.sender(), p.epoch())) {
                    node.stats.outsideView.increment(); // its sender left the view it was sent in, or this node did
                    if (p.request() != null) {
                        p.request().fail(notAdmitted(p.sender(), p.epoch(), view));
                    }
                } else if (p.request() != null) {
                    answer(p.request(), m);
                } else {
                    process(p.sender(), m);
                }
            }
        }
    }

    /** This node starts afresh: what waited for a view it will never install as it was is dropped. */
    void clearParked() {
        synchronized (admission) {
            parked.clear();
            parkedSenders.clear();
        }
    }

    /** The role of every kind; exhaustive, so a new kind without a route does not compile. */
    static Route route(Kind kind) {
        return switch (kind) {
            case GET_REQ, GRAB_REQ, HANDOFF_REQ, WRITEBACK_REQ, DONE, REMOVED, WRITTEN_BACK, NOT_OWNER -> Route.HOME;
            case FWD_GET, FWD_GRAB, FWD_WRITEBACK, TOUCH, COPY, OWNERSHIP, INV, INV_ACK, LOST, UNKNOWN_SET,
                    HANDED_OFF -> Route.OBJECT;
            case SYNC, WHO_OWNS, WHO_HOLDS, BACKUP, CLAIM, CLAIMS, STORE, MISSED, HEAL_FULL, STORED, LEDGER -> Route.QUESTION;
            case SET_CREATE, SET_LOOKUP, SET_DESTROY -> Route.SET;
            case DROPPED, HANDOFF_OK -> Route.NEVER_SENT;
        };
    }

    /** The transport handler of every kDDM object message. */
    void onMessage(Inbound in) {
        if (in.isRequest()) {
            question(in);
        } else {
            handle(in.sender(), in.type(), in.payload());
        }
    }

    /** A message (from another node, or from this one through the outbox's loopback). */
    void handle(int sender, int type, byte[] payload) {
        Message m;
        try {
            m = Wire.decode(type, payload);
        } catch (IllegalArgumentException ex) {
            LOG.warn("dropping malformed kDDM message from node {}: {}", sender, ex.getMessage());
            return;
        }
        incarnation.readLock().lock();
        try {
            if (admitted(sender, type, payload, null, m)) {
                process(sender, m);
            }
        } finally {
            incarnation.readLock().unlock();
        }
    }

    /** Runs {@code drop} (this node drops everything it held: F13) while no message is being handled. */
    void exclusively(Runnable drop) {
        incarnation.writeLock().lock();
        try {
            drop.run();
        } finally {
            incarnation.writeLock().unlock();
        }
    }

    /** An admitted one-way message, to the role that runs its row. */
    private void process(int sender, Message m) {
        boolean first = m.kind() == Kind.GET_REQ || m.kind() == Kind.GRAB_REQ;
        // A handoff may bring an object of a well-known set this node never opened: it opens it (claimed).
        boolean handedIn = m.kind() == Kind.OWNERSHIP && m.node() == 1;
        SetState s = first || handedIn ? node.known(m.setId()) : node.set(m.setId());
        if (s == null) {
            LOG.debug("{} from node {} for unknown set {}", m.kind(), sender, m.setId());
            if (first) {
                node.outbox.send(sender, Kind.UNKNOWN_SET, m.setId(), m.objectId(), node.self, 0,
                        ("set " + SetIds.format(m.setId()) + " is not open at its home, node " + node.self)
                                .getBytes(StandardCharsets.UTF_8));
            }
            return;
        }
        long id = m.objectId();
        try {
            if (route(m.kind()) == Route.HOME && node.replication.homesMove(s)) {
                if (node.home(s, id) != node.self) {
                    // R15: sent to this node as the object's acting home in an older view; the requester asks anew
                    LOG.debug("{} from node {} for object {}: node {} is not its acting home: dropped", m.kind(),
                            sender, id, node.self);
                    return;
                }
                if (node.rebuild.defer(s, id, () -> process(sender, m))) {
                    return; // R16: handled once the home's records are rebuilt here, in the order they came
                }
            }
        } catch (KddmException unknownFamily) {
            LOG.debug("{} from node {} for object {}: {}", m.kind(), sender, id, unknownFamily.getMessage());
        }
        try {
            switch (m.kind()) {
                // home side
                case GET_REQ, GRAB_REQ -> node.home.request(s, id, new Request(m.node(), m.kind() == Kind.GRAB_REQ));
                case HANDOFF_REQ -> node.home.request(s, id, Request.handoff(m.node(), sender));
                case WRITEBACK_REQ -> node.home.request(s, id, Request.writeBack(sender));
                case DONE -> node.home.done(s, id, sender, m.node());
                case REMOVED -> node.home.removed(s, id, sender, m.bytes());
                case WRITTEN_BACK -> node.home.writtenBack(s, id, sender, m.count(), m.bytes());
                case NOT_OWNER -> node.home.notOwner(s, id, sender);
                // object side: the owner
                case FWD_GET, FWD_GRAB -> node.object.ownerForward(s, id, sender,
                        new Forward(m.node(), m.kind() == Kind.FWD_GRAB, m.count() == 1));
                case FWD_WRITEBACK -> node.object.ownerWriteBack(s, id);
                // object side: the requester and copy holders
                case TOUCH -> node.firstTouch.touch(s, id, m.node() != 0, m.epoch(),
                        m.bytes().length >= Version.BYTES ? Wire.version(m.bytes(), 0) : Version.NONE);
                case COPY -> node.object.copy(s, id, sender, m.bytes(), m.epoch());
                case OWNERSHIP -> node.object.ownership(s, id, sender, m.count(), m.bytes(), m.node() == 1, m.epoch());
                case INV -> node.object.invalidate(s, id, m.node());
                case INV_ACK -> node.object.invalidationAck(s, id, sender);
                case LOST -> node.recovery.lost(s, id, new String(m.bytes(), StandardCharsets.UTF_8), m.epoch());
                case UNKNOWN_SET -> node.recovery.notOpenAtHome(s, id, new String(m.bytes(), StandardCharsets.UTF_8),
                        m.epoch());
                case HANDED_OFF -> node.changes.handedOff(s.id, id);
                // not sent as one-way messages
                case SYNC, WHO_OWNS, WHO_HOLDS, BACKUP, CLAIM, CLAIMS, SET_CREATE, SET_LOOKUP, SET_DESTROY, DROPPED,
                        HANDOFF_OK ->
                    LOG.warn("unexpected {} from node {} ({}): dropped", m.kind(), sender, route(m.kind()));
            }
        } catch (RuntimeException ex) {
            LOG.error("handling {} from node {} for object {} failed", m.kind(), sender, id, ex);
        }
    }

    /** A request with a reply: SYNC (row H15), WHO_OWNS (H16), WHO_HOLDS (O27), BACKUP (R2), CLAIM (R6). */
    private void question(Inbound in) {
        Message m;
        try {
            m = Wire.decode(in.type(), in.payload());
        } catch (IllegalArgumentException ex) {
            in.fail(ex.getMessage());
            return;
        }
        incarnation.readLock().lock();
        try {
            if (admitted(in.sender(), in.type(), in.payload(), in, m)) {
                answer(in, m);
            }
        } finally {
            incarnation.readLock().unlock();
        }
    }

    private void answer(Inbound in, Message m) {
        try {
            switch (m.kind()) {
                case SYNC -> node.home.sync(in, m);
                case BACKUP -> node.replication.onBackup(in, m);
                case CLAIM -> node.failover.onClaim(in, m);
                case CLAIMS -> node.rebuild.onClaims(in, m);
                case STORE -> node.stores.onStore(in, m);
                case MISSED -> node.heals.onMissed(in);
                case HEAL_FULL -> node.fullHeal.onHealFull(in, m);
                case STORED -> node.fullHeal.onStored(in, m);
                case LEDGER -> node.ledger.onLedger(in, m);
                case WHO_OWNS, WHO_HOLDS -> {
                    SetState s = node.set(m.setId()); // a set never opened here: "nobody", and nothing opened
                    in.reply(s == null ? Wire.EMPTY : answer(m.kind(), s, m.objectId()));
                }
                default -> in.fail(m.kind() + " is not a request");
            }
        } catch (RuntimeException ex) {
            in.fail(ex.getMessage());
        }
    }

    /** WHO_OWNS at the home, WHO_HOLDS at the owner: also asked of this node without a message. */
    byte[] answer(Kind kind, SetState s, long objectId) {
        return kind == Kind.WHO_OWNS ? node.home.whoOwns(s, objectId) : node.object.whoHolds(s, objectId);
    }
}
