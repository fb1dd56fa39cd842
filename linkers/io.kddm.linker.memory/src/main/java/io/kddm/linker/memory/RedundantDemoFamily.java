package io.kddm.linker.memory;

import org.osgi.service.component.annotations.Component;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.SetFamily;

/**
 * {@code demo-r2}: byte objects in memory with one backup each (two copies): an
 * object whose owner crashes is taken over from its backup. Homes in the node
 * bits of the object id (round robin when they are 0), so that its sets can be
 * well-known ({@code well.known=0:22=demo-r2}).
 */
@Component(property = "kddm.family=" + RedundantDemoFamily.NAME)
public final class RedundantDemoFamily implements SetFamily {
    public static final String NAME = "demo-r2";

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

    @Override
    public int backups() {
        return 1;
    }
}
