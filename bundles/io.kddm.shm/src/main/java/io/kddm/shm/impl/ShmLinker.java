package io.kddm.shm.impl;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;

/**
 * The IO linker of both shared-memory families: objects live only in the
 * memory of the nodes (the core keeps their bytes, so stopping this bundle
 * loses nothing). A first touch makes an empty object: an empty page reads as
 * zeros, an empty key bucket holds no key, an empty descriptor is no segment.
 */
final class ShmLinker implements IoLinker {
    static final String ID = "shm";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public byte[] firstTouch(SetContext set, long objectId) {
        return new byte[0];
    }
}
