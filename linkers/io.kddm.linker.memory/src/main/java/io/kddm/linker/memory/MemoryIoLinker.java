package io.kddm.linker.memory;

import org.osgi.service.component.annotations.Component;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;

/**
 * Objects that live only in the memory of the cluster's nodes: a first touch
 * makes an empty object, and there is no backing store to sync to. The core
 * holds the bytes, so replacing this bundle loses nothing.
 */
@Component(property = "kddm.linker.io=" + MemoryIoLinker.ID)
public final class MemoryIoLinker implements IoLinker {
    public static final String ID = "memory";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public byte[] firstTouch(SetContext set, long objectId) {
        return new byte[0];
    }
}
