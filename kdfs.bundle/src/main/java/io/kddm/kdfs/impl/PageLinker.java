package io.kddm.kdfs.impl;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.kddm.api.linker.SetContext;
import io.kddm.kdfs.FileType;

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

    /**
     * The pages of every entry of this linker's kind (directories for
     * {@link #DIR}, the others for {@link #FILE}) as far as its {@code .content}
     * goes (a file's, up to its size: the rest is no page). An entry whose
     * {@code .meta} is missing or damaged lists none here: the home lists its
     * pages, from its own {@code .meta}, and the inode's heal rewrites it.
     */
    @Override
    Map<Long, Set<Long>> stored(int home, Partition p) {
        Map<Long, Set<Long>> out = new TreeMap<>();
        for (int local : p.locals()) {
            byte[] bytes = p.readMeta(local);
            Meta m;
            try {
                m = bytes.length == 0 ? null : Meta.decode(bytes, p.meta(local));
            } catch (RuntimeException damaged) {
                m = null;
            }
            if (m == null || (m.type == FileType.DIRECTORY) != id.equals(DIR)) {
                continue;
            }
            long length = p.contentLength(local);
            if (m.type == FileType.REGULAR) {
                length = Math.min(length, m.size);
            }
            int ino = Ino.of(home, local);
            Set<Long> pages = new TreeSet<>();
            for (long i = 0; i * size < length; i++) {
                pages.add(Ino.page(ino, i));
            }
            if (!pages.isEmpty()) {
                out.put(id.equals(DIR) ? Ino.dirSet(ino) : Ino.fileSet(ino), pages);
            }
        }
        return out;
    }

    @Override
    public byte[] storedVersion(SetContext set, long objectId) {
        int ino = Ino.ofSet(set.setId());
        return StoreVersions.ofPage(mount.store(Ino.node(ino), "inode " + Ino.format(ino) + "'s pages"),
                Ino.local(ino), Ino.pageIndex(objectId));
    }

    /** Not forced, as the page: the inode's durable write-back forces both. */
    @Override
    public void storedAs(SetContext set, long objectId, byte[] version, boolean durable) {
        int ino = Ino.ofSet(set.setId());
        StoreVersions.page(mount.store(Ino.node(ino), "inode " + Ino.format(ino) + "'s pages"), Ino.local(ino),
                Ino.pageIndex(objectId), version);
    }

    @Override
    public void sync(SetContext set, long objectId, byte[] value) {
        int ino = Ino.ofSet(set.setId());
        Partition p = mount.store(Ino.node(ino), "inode " + Ino.format(ino) + "'s pages");
        p.writeContent(Ino.local(ino), Ino.pageIndex(objectId) * size, value, size);
    }
}
