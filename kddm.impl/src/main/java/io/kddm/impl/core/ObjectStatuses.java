package io.kddm.impl.core;

import java.util.List;

import io.kddm.api.set.KddmException;
import io.kddm.api.set.ObjectStatus;

/** What {@code kddm:objects} and {@link io.kddm.api.set.KddmSet#status} report of one object: read under its entries' monitors, no message. */
final class ObjectStatuses {
    private ObjectStatuses() {
    }

    static ObjectStatus of(Coherence coherence, SetState s, long id) {
        ObjectEntry e = s.objects.get(id);
        ManagerEntry me = s.managed.get(id);
        int owner = -1;
        String homeState = null;
        if (me != null) {
            synchronized (me) {
                owner = me.owner;
                homeState = me.name().name();
            }
        }
        int home;
        try {
            home = coherence.home(s, id);
        } catch (KddmException ex) {
            home = -1;
        }
        if (e == null) {
            return new ObjectStatus(id, ObjectState.INV_COPY.name(), 0, "-", List.of(), 0, 0, 0, home, homeState,
                    owner);
        }
        synchronized (e) {
            return new ObjectStatus(id, e.name().name(), e.value == null ? 0 : e.value.length,
                    e.value == null ? "-" : e.version.toString(), List.copyOf(e.copyset), e.readers, e.writers,
                    e.queue.size(), home, homeState, owner);
        }
    }
}
