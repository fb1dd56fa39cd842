package io.kddm.ipc.impl;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;

/**
 * The IO linker of the {@code ipc} family: objects are made empty (a key that
 * names nothing, an id never made) and live in memory, with the family's
 * backup. Its notifications are the wake-ups of the waiters of this node
 * ({@link Waits}): {@link #invalidate} is the core telling this node that its
 * copy is dropped because another node grabs the object, {@link #put} that a
 * grab was released here.
 */
final class IpcLinker implements IoLinker {
    static final String ID = "ipc";

    private final Waits waits;

    IpcLinker(Waits waits) {
        this.waits = waits;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public byte[] firstTouch(SetContext set, long objectId) {
        return new byte[0];
    }

    @Override
    public void insert(SetContext set, long objectId, byte[] value) {
        waits.changed(set.setId(), objectId); // a promoted or handed-off copy may be newer than what a waiter saw
    }

    @Override
    public void invalidate(SetContext set, long objectId) {
        waits.changed(set.setId(), objectId);
    }

    @Override
    public void put(SetContext set, long objectId, byte[] value) {
        waits.changed(set.setId(), objectId);
    }

    @Override
    public void remove(SetContext set, long objectId) {
        waits.changed(set.setId(), objectId);
    }
}
