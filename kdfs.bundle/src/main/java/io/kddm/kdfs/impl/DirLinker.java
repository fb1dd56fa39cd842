package io.kddm.kdfs.impl;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;

/** Stores a directory's entry pages in its {@code .content}, page {@code i} at {@code i * DirPage.SIZE}. */
final class DirLinker implements IoLinker {
    static final String ID = "kdfs.dir";
    private final Mount mount;

    DirLinker(Mount mount) {
        this.mount = mount;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public byte[] firstTouch(SetContext set, long objectId) {
        int ino = Ino.ofSet(set.setId());
        Partition p = mount.requirePartition("directory " + Ino.format(ino));
        long page = Ino.pageIndex(objectId);
        byte[] stored = p.readContent(Ino.local(ino), page * DirPage.SIZE, DirPage.SIZE);
        return DirPage.decode(stored, p.content(Ino.local(ino)) + " page " + page).encode();
    }

    @Override
    public void sync(SetContext set, long objectId, byte[] value) {
        int ino = Ino.ofSet(set.setId());
        Partition p = mount.requirePartition("directory " + Ino.format(ino));
        p.writeContent(Ino.local(ino), Ino.pageIndex(objectId) * DirPage.SIZE, value, DirPage.SIZE);
    }
}
