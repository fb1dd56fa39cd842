package io.kddm.impl.core;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.api.set.ObjectStatus;
import io.kddm.api.set.SetIds;

/** This node's door to a set: every call goes to the node's {@link Coherence}. */
final class LocalSet implements KddmSet {
    private final Coherence coherence;
    private final SetState state;

    LocalSet(Coherence coherence, SetState state) {
        this.coherence = coherence;
        this.state = state;
    }

    @Override
    public long id() {
        return state.id;
    }

    @Override
    public String family() {
        return state.family;
    }

    @Override
    public ObjectHandle get(long objectId) {
        return coherence.acquire(state, objectId, false, coherence.operationTimeout().toNanos(), false);
    }

    @Override
    public ObjectHandle grab(long objectId) {
        return coherence.acquire(state, objectId, true, coherence.operationTimeout().toNanos(), false);
    }

    @Override
    public Optional<ObjectHandle> tryGet(long objectId, Duration timeout) {
        return Optional.ofNullable(coherence.acquire(state, objectId, false, timeout.toNanos(), true));
    }

    @Override
    public Optional<ObjectHandle> tryGrab(long objectId, Duration timeout) {
        return Optional.ofNullable(coherence.acquire(state, objectId, true, timeout.toNanos(), true));
    }

    @Override
    public Optional<byte[]> find(long objectId) {
        return coherence.find(state, objectId);
    }

    @Override
    public void remove(long objectId) {
        coherence.remove(state, objectId);
    }

    @Override
    public void flush(long objectId) {
        coherence.flush(state, objectId);
    }

    @Override
    public void sync(long objectId) {
        coherence.sync(state, objectId, true);
    }

    @Override
    public void writeBack(long objectId) {
        coherence.sync(state, objectId, false);
    }

    @Override
    public List<Integer> holders(long objectId) {
        return coherence.holders(state, objectId);
    }

    @Override
    public ObjectStatus status(long objectId) {
        if (objectId < 0 || objectId > MAX_OBJECT_ID) {
            throw new IllegalArgumentException("object id " + objectId + " is not in 0.." + MAX_OBJECT_ID);
        }
        return ObjectStatuses.of(coherence, state, objectId);
    }

    @Override
    public CompletableFuture<Void> prefetch(long objectId) {
        return coherence.prefetch(state, objectId);
    }

    @Override
    public String toString() {
        return "set " + SetIds.format(state.id) + " (" + state.family + ")";
    }
}
