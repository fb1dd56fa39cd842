package io.kddm.kdfs.impl;

import java.util.Arrays;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;

/**
 * Stores a file's data pages in its {@code .content}, page {@code i} at
 * {@code i * PAGE}. A page object holds the page's bytes up to its last
 * non-zero one (the rest reads as zeros), so holes cost no memory. A page is
 * written zero-padded to the page size and not forced: the inode's write-back
 * cuts {@code .content} to the file's size and forces it.
 */
final class FileLinker implements IoLinker {
    static final String ID = "kdfs.file";
    static final int PAGE = 64 * 1024;
    private final Mount mount;

    FileLinker(Mount mount) {
        this.mount = mount;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public byte[] firstTouch(SetContext set, long objectId) {
        int ino = Ino.ofSet(set.setId());
        Partition p = mount.requirePartition("file " + Ino.format(ino));
        return trim(p.readContent(Ino.local(ino), Ino.pageIndex(objectId) * PAGE, PAGE));
    }

    static byte[] trim(byte[] page) {
        int end = page.length;
        while (end > 0 && page[end - 1] == 0) {
            end--;
        }
        return end == page.length ? page : Arrays.copyOf(page, end);
    }

    @Override
    public void sync(SetContext set, long objectId, byte[] value) {
        int ino = Ino.ofSet(set.setId());
        Partition p = mount.requirePartition("file " + Ino.format(ino));
        p.writeContent(Ino.local(ino), Ino.pageIndex(objectId) * PAGE, value, PAGE);
    }
}
