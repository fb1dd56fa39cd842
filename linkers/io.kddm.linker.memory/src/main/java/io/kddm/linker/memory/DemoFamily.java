package io.kddm.linker.memory;

import org.osgi.service.component.annotations.Component;

import io.kddm.api.linker.SetFamily;

/** {@code demo}: byte objects in memory, homes round robin, for the shell and the tests. */
@Component(property = "kddm.family=" + DemoFamily.NAME)
public final class DemoFamily implements SetFamily {
    public static final String NAME = "demo";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String ioLinker() {
        return MemoryIoLinker.ID;
    }
}
