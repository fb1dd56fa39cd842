package io.kddm.kdfs.impl;

import io.kddm.api.linker.BackupMode;
import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.linker.WellKnownSets;

/**
 * kDFS's three set families: {@code kdfs.inode} (one cluster-wide set, an
 * object per inode), {@code kdfs.dir} (a set per directory, objects are entry
 * pages) and {@code kdfs.file} (a set per file, objects are data pages). All are
 * disk-backed: an object's home is the node in bits 24..31 of its id, the node
 * whose partition stores it, and its first touch happens there; each keeps one
 * backup of what is not written back yet. Every node
 * opens the sets by itself when it first needs one (they are well-known sets the
 * families claim), so nothing is configured and no set is ever created.
 */
record KdfsFamily(String name, String ioLinker, int maxObjectSize, WellKnownSets wellKnownSets)
        implements SetFamily {
    static final KdfsFamily INODE = new KdfsFamily(InodeLinker.ID, InodeLinker.ID, Meta.LENGTH,
            new WellKnownSets(Ino.INODE_SET, Ino.INODE_SET));
    static final KdfsFamily DIR = new KdfsFamily(PageLinker.DIR, PageLinker.DIR, DirPage.SIZE,
            new WellKnownSets(Ino.dirSet(0), Ino.dirSet(-1)));
    static final KdfsFamily FILE = new KdfsFamily(PageLinker.FILE, PageLinker.FILE, PageLinker.FILE_PAGE,
            new WellKnownSets(Ino.fileSet(0), Ino.fileSet(-1)));

    @Override
    public HomePolicy home() {
        return HomePolicy.NODE_BITS;
    }

    @Override
    public boolean firstTouchAtHome() {
        return true;
    }

    /**
     * One backup each (issue 14's defaults): a change not written back yet
     * outlives the node that made it. {@code backups.kdfs.file=0} in
     * {@code io.kddm.core} turns it off.
     */
    @Override
    public int backups() {
        return 1;
    }

    /**
     * Inodes and folders: a put waits for its backup (a name made is kept once
     * {@code mkdir} or {@code create} returns). File pages: a write returns at
     * once and no other node reads the page before its backup is kept;
     * {@code close} and {@code fsync} wait for the write-back, which is stronger.
     */
    @Override
    public BackupMode backupMode() {
        return name().equals(PageLinker.FILE) ? BackupMode.VISIBLE : BackupMode.SYNC;
    }
}
