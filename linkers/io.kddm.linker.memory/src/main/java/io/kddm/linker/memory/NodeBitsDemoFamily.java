package io.kddm.linker.memory;

import org.osgi.service.component.annotations.Component;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.SetFamily;

/**
 * {@code demo-nodebits}: byte objects in memory whose home is the node in bits
 * 24..31 of their id, so that every node can open a well-known set of them
 * without asking anyone (used by {@code kddm:torture}).
 */
@Component(property = "kddm.family=" + NodeBitsDemoFamily.NAME)
public final class NodeBitsDemoFamily implements SetFamily {
    public static final String NAME = "demo-nodebits";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String ioLinker() {
        return MemoryIoLinker.ID;
    }

    @Override
    public HomePolicy home() {
        return HomePolicy.NODE_BITS;
    }
}
