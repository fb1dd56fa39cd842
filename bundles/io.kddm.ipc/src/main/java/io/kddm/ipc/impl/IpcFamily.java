package io.kddm.ipc.impl;

import io.kddm.api.linker.BackupMode;
import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.linker.WellKnownSets;
import io.kddm.ipc.Ipc;

/**
 * The {@code ipc} family: the key, data and map sets of queues and semaphore
 * sets ({@link IpcSets}), well-known so that every node opens them by itself.
 * One synchronous backup: a put returns once another node keeps the value, so a
 * node killed after a send, a receive or a semop loses none of them.
 */
final class IpcFamily implements SetFamily {
    static final String NAME = "ipc";
    static final IpcFamily INSTANCE = new IpcFamily();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String ioLinker() {
        return IpcLinker.ID;
    }

    /** A full queue at the largest byte limit (a message charges at least 16 bytes, its header 12), with its waiters. */
    @Override
    public int maxObjectSize() {
        return 2 * Ipc.MSGMNB_MAX + (256 << 10);
    }

    @Override
    public HomePolicy home() {
        return HomePolicy.NODE_BITS;
    }

    @Override
    public int backups() {
        return 1;
    }

    @Override
    public BackupMode backupMode() {
        return BackupMode.SYNC;
    }

    @Override
    public WellKnownSets wellKnownSets() {
        return new WellKnownSets(IpcSets.FIRST, IpcSets.LAST);
    }
}
