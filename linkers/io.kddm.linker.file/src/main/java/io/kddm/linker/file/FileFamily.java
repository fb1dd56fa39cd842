package io.kddm.linker.file;

import org.osgi.service.component.annotations.Component;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.SetFamily;

/**
 * {@code file}: byte objects (up to 1 MiB) stored by the file IO linker at
 * their home, the node in bits 24..31 of the object id (round robin over the
 * set's nodes when those bits are 0). The first touch happens at the home,
 * where the object's file is. A put is backed up on one other node until it is
 * written back.
 */
@Component(property = "kddm.family=" + FileFamily.NAME)
public final class FileFamily implements SetFamily {
    public static final String NAME = "file";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String ioLinker() {
        return FileIoLinker.ID;
    }

    @Override
    public int maxObjectSize() {
        return 1024 * 1024;
    }

    @Override
    public HomePolicy home() {
        return HomePolicy.NODE_BITS;
    }

    @Override
    public boolean firstTouchAtHome() {
        return true;
    }

    /** One backup, awaited by each put (issue 14's default): a put not written back outlives its node. */
    @Override
    public int backups() {
        return 1;
    }
}
