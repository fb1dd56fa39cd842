package io.kddm.kdfs.impl;

import java.util.Arrays;

import io.kddm.api.linker.SetContext;

/**
 * Stores the pages of a directory ({@link #DIR}, {@link DirPage}s) or of a file
 * ({@link #FILE}, data) in the entry's {@code .content}, page {@code i} at
 * {@code i * size}. A page object holds its bytes up to the last non-zero one
 * (the rest reads as zeros: holes cost no memory; an encoded directory page
 * ends with a name's byte, never zero). A page is written zero-padded to the
 * page size and not forced: the inode's write-back cuts {@code .content} to the
 * file's size and forces it.
 */
final class PageLinker extends StoreLinker {
    static final String DIR = "kdfs.dir";
    static final String FILE = "kdfs.file";
    static final int FILE_PAGE = 64 * 1024;

    private final String id;
    private final int size;

    PageLinker(Mount mount, String id, int size) {
        super(mount, id.equals(DIR) ? Ino::isDirSet : Ino::isFileSet);
        this.id = id;
        this.size = size;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public byte[] firstTouch(SetContext set, long objectId) {
        int ino = Ino.ofSet(set.setId());
        Partition p = mount.store(Ino.node(ino), "inode " + Ino.format(ino) + "'s pages");
        return trim(p.readContent(Ino.local(ino), Ino.pageIndex(objectId) * size, size));
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
        Partition p = mount.store(Ino.node(ino), "inode " + Ino.format(ino) + "'s pages");
        p.writeContent(Ino.local(ino), Ino.pageIndex(objectId) * size, value, size);
    }
}
