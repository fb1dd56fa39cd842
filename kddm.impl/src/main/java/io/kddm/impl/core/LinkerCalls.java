package io.kddm.impl.core;

import java.util.function.Consumer;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.IoLinker;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.ObjectTooLargeException;
import io.kddm.api.set.SetIds;

/**
 * Every call the protocol makes into a set's family and IO linker. The linker's
 * bundle may be away (being updated) at any moment: transport threads use the
 * family's traits as last registered and never wait; worker and caller threads
 * may wait (bounded) for the new linker.
 */
final class LinkerCalls {
    private static final Logger LOG = LoggerFactory.getLogger(LinkerCalls.class);

    private final Coherence.Linkers linkers;
    private final Stats stats;

    LinkerCalls(Coherence.Linkers linkers, Stats stats) {
        this.linkers = linkers;
        this.stats = stats;
    }

    FamilyTraits traits(SetState s) {
        return linkers.traits(s.family);
    }

    IoLinker linker(SetState s) {
        return linkers.ioLinker(traits(s).ioLinker());
    }

    /** The IO linker, waiting (bounded) for one being updated: for kDDM's worker threads and callers' threads only. */
    IoLinker awaitLinker(SetState s) {
        return linkers.awaitIoLinker(linkers.awaitFamily(s.family).ioLinker());
    }

    int home(SetState s, long objectId) {
        HomePolicy policy = traits(s).home();
        // LINKER homes are asked of the linker each time: they need it present.
        int choice = policy == HomePolicy.LINKER ? linker(s).defaultOwner(s.context, objectId) : -1;
        return s.home(policy, objectId, choice);
    }

    /** @throws io.kddm.api.set.UnknownFamilyException if the family was never registered here */
    boolean touchesAtHome(SetState s) {
        return traits(s).firstTouchAtHome();
    }

    /** {@link #touchesAtHome}, false for a family never registered here. */
    boolean diskBacked(SetState s) {
        try {
            return touchesAtHome(s);
        } catch (KddmException unknownFamily) {
            return false;
        }
    }

    boolean localExclusion(SetState s) {
        try {
            return traits(s).localExclusion();
        } catch (KddmException missing) {
            return true;
        }
    }

    /** The linker makes the object or reads it from its store; checked against the family's limit. */
    byte[] firstTouch(SetState s, long objectId) {
        byte[] value = awaitLinker(s).firstTouch(s.context, objectId);
        if (value == null) {
            value = new byte[0];
        }
        int max = traits(s).maxObjectSize();
        if (value.length > max) {
            throw new ObjectTooLargeException("first touch of object " + objectId + " made " + value.length
                    + " bytes, over the family's limit of " + max);
        }
        return value;
    }

    byte[] export(SetState s, ObjectEntry e) {
        return export(s, e.objectId, e.value);
    }

    byte[] export(SetState s, long objectId, byte[] v) {
        return wire(s, l -> l.export(s.context, objectId, v), v);
    }

    byte[] importValue(SetState s, long objectId, byte[] wire) {
        return wire(s, l -> l.importObject(s.context, objectId, wire), wire);
    }

    /**
     * Canonical bytes to or from the wire. Without the linker (its bundle is
     * being updated) the bytes go as they are, if that is what the linker did;
     * otherwise the message fails rather than carry bytes in the wrong form.
     */
    private byte[] wire(SetState s, Function<IoLinker, byte[]> call, byte[] plain) {
        try {
            byte[] out = call.apply(linker(s));
            return out == null ? plain : out;
        } catch (KddmException missing) {
            if (linkers.plainWire(traits(s).ioLinker())) {
                stats.linkerSkips.increment();
                return plain;
            }
            throw missing;
        }
    }

    /**
     * A linker notification whose failure must not break the protocol: logged.
     * Notifications meant for a linker being updated are skipped and counted.
     */
    void tell(SetState s, Consumer<IoLinker> call) {
        IoLinker l;
        try {
            l = linker(s);
        } catch (KddmException missing) {
            stats.linkerSkips.increment();
            return;
        }
        try {
            call.accept(l);
        } catch (RuntimeException ex) {
            LOG.warn("IO linker of set {} failed: {}", SetIds.format(s.id), ex.toString());
        }
    }
}
