package io.kddm.web.internal;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.linker.WellKnownSets;

/**
 * The family of the board, the one well-known set where every node's page
 * publishes its report and the objects it asks about: objects homed in the
 * node bits of their ids (each node homes its own), kept in memory only (a
 * board is rebuilt every second; nothing is worth storing), no backups.
 * Also its IO linker, which only makes empty objects.
 */
final class BoardFamily implements SetFamily, IoLinker {
    static final String NAME = "web.board";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String ioLinker() {
        return NAME;
    }

    @Override
    public String id() {
        return NAME;
    }

    @Override
    public HomePolicy home() {
        return HomePolicy.NODE_BITS;
    }

    @Override
    public int maxObjectSize() {
        return 16 * 1024;
    }

    @Override
    public WellKnownSets wellKnownSets() {
        return new WellKnownSets(Board.SET, Board.SET);
    }

    @Override
    public byte[] firstTouch(SetContext set, long objectId) {
        return new byte[0];
    }
}
