package io.kddm.impl.core;

import io.kddm.api.linker.BackupMode;
import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.linker.WellKnownSets;

/**
 * What the coherence protocol needs of a set family, as plain values: a node
 * keeps them from the family's registration on, so that the messages of other
 * nodes are still served while the family's bundle is being updated (and no
 * class of the old bundle is kept). A family's traits are a property of its sets and must not change
 * between versions.
 */
record FamilyTraits(String ioLinker, HomePolicy home, boolean firstTouchAtHome, int maxObjectSize,
        boolean localExclusion, WellKnownSets wellKnownSets, int backups, BackupMode backupMode) {

    static FamilyTraits of(SetFamily f) {
        return new FamilyTraits(f.ioLinker(), f.home(), f.firstTouchAtHome(), f.maxObjectSize(), f.localExclusion(),
                f.wellKnownSets(), Math.max(0, Math.min(Replication.MAX_BACKUPS, f.backups())),
                f.backupMode() == null ? BackupMode.SYNC : f.backupMode());
    }
}
