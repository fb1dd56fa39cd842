package io.kddm.kdfs.impl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.kdfs.DirEntry;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.impl.InodeLocks.Held;

/**
 * A directory's entries as hashed pages: the objects of its dir set, one
 * {@link DirPage} per hash bucket, so a look-up reads one page and a full page
 * doubles the buckets instead of growing a chain. Every method is called with
 * the directory's inode held (grabbed to change, got to read): that, not the
 * page, is what serializes the changes to a directory, and the bucket count in
 * its metadata is only read or doubled under it.
 */
final class DirectoryPages {
    private final Kddm kddm;
    private final WriteBack writeBack;
    /** Pages read so far: what a listing costs, for tests. */
    private final java.util.concurrent.atomic.LongAdder pagesRead = new java.util.concurrent.atomic.LongAdder();

    DirectoryPages(Kddm kddm, WriteBack writeBack) {
        this.kddm = kddm;
        this.writeBack = writeBack;
    }

    private KddmSet dirPages(int ino) {
        return kddm.wellKnown(Ino.dirSet(ino), PageLinker.DIR);
    }

    long pagesRead() {
        return pagesRead.sum();
    }

    /** A page as errors name it; the text is made only if one is raised (a lookup makes none). */
    private record PageName(int dir, int index) {
        @Override
        public String toString() {
            return "page " + index + " of directory " + Ino.format(dir);
        }
    }

    /** {@code read} of the bytes of page {@code index}, under a get. */
    private <T> T onPage(Held dir, int index, java.util.function.BiFunction<byte[], PageName, T> read) {
        pagesRead.increment();
        try (ObjectHandle h = dirPages(dir.ino).get(Ino.page(dir.ino, index))) {
            return read.apply(h.value(), new PageName(dir.ino, index));
        }
    }

    private DirPage readPage(Held dir, int index) {
        return onPage(dir, index, DirPage::decode);
    }

    /** Grabs a page and applies {@code change}; stores the page if it says it changed it. */
    private boolean updatePage(Held dir, int index, java.util.function.Predicate<DirPage> change) {
        long object = Ino.page(dir.ino, index);
        boolean changed;
        try (ObjectHandle h = dirPages(dir.ino).grab(object)) {
            DirPage p = DirPage.decode(h.value(), new PageName(dir.ino, index));
            changed = change.test(p);
            if (changed) {
                h.value(p.encode());
            }
        }
        if (changed) {
            writeBack.dirPage(dir.ino, object);
        }
        return changed;
    }

    DirPage.Entry find(Held dir, String name) {
        return onPage(dir, DirPage.bucket(name, dir.meta.buckets), (bytes, page) -> DirPage.find(bytes, name, page));
    }

    /** The entry {@code name} of a directory, or ENOENT. */
    DirPage.Entry entry(Held dir, String name) {
        DirPage.Entry e = find(dir, name);
        if (e == null) {
            throw new KdfsException(Errno.ENOENT, "no '" + name + "' in directory " + Ino.format(dir.ino));
        }
        return e;
    }

    /** Adds an entry (the name is known to be free); doubles the buckets while its page is full. */
    void addEntry(Held dir, String name, int ino, FileType type) {
        DirPage.Entry e = new DirPage.Entry(name, ino, type, dir.meta.nextCookie++);
        while (!updatePage(dir, DirPage.bucket(name, dir.meta.buckets), p -> p.fits(e) && p.entries.add(e))) {
            split(dir);
        }
    }

    /** Doubles a directory's hash buckets, moving each entry to its new page. */
    private void split(Held dir) {
        int old = dir.meta.buckets;
        if (old >= 1 << 23) {
            throw new KdfsException(Errno.ENOSPC, "directory " + Ino.format(dir.ino) + " is full");
        }
        int buckets = old * 2;
        List<List<DirPage.Entry>> pages = new ArrayList<>();
        for (int i = 0; i < buckets; i++) {
            pages.add(new ArrayList<>());
        }
        for (int i = 0; i < old; i++) {
            for (DirPage.Entry e : readPage(dir, i).entries) {
                pages.get(DirPage.bucket(e.name(), buckets)).add(e);
            }
        }
        for (int i = 0; i < buckets; i++) {
            List<DirPage.Entry> now = pages.get(i);
            updatePage(dir, i, p -> {
                p.entries.clear();
                p.entries.addAll(now);
                return true;
            });
        }
        dir.meta.buckets = buckets;
        dir.meta.size = (long) buckets * DirPage.SIZE;
        dir.save();
    }

    void removeEntry(Held dir, String name) {
        updatePage(dir, DirPage.bucket(name, dir.meta.buckets), p -> p.remove(name));
    }

    /** Points an existing name at another inode, in one page change so the name is never missing. */
    void replaceEntry(Held dir, String name, int ino, FileType type) {
        // the same name in the same page: it fits where the replaced entry was
        DirPage.Entry e = new DirPage.Entry(name, ino, type, dir.meta.nextCookie++);
        updatePage(dir, DirPage.bucket(name, dir.meta.buckets), p -> p.remove(name) && p.entries.add(e));
    }

    /**
     * A readdir's answer: at most {@code max} entries after cookie {@code offset},
     * {@code .} and {@code ..} first (cookies 1 and 2), the others in
     * {@link DirPage#order} order. Reads the pages from the one holding
     * {@code offset} on, until {@code max} are found, so listing a directory in
     * chunks reads each page about once whatever the chunk size.
     */
    List<DirEntry> list(Held dir, long offset, int max) {
        List<DirEntry> out = new ArrayList<>();
        if (offset < 1 && out.size() < max) {
            out.add(new DirEntry(".", dir.ino, FileType.DIRECTORY, 1));
        }
        if (offset < 2 && out.size() < max) {
            out.add(new DirEntry("..", dir.meta.parent, FileType.DIRECTORY, 2));
        }
        int buckets = dir.meta.buckets;
        if (Integer.bitCount(buckets) != 1) {
            throw new KdfsException(Errno.EIO, "directory " + Ino.format(dir.ino) + " has " + buckets
                    + " buckets, not a power of two: its metadata is damaged");
        }
        int bits = Integer.numberOfTrailingZeros(buckets);
        for (int top = offset < DirPage.FIRST_COOKIE ? 0 : DirPage.topBits(offset, bits);
                top < buckets && out.size() < max; top++) {
            List<DirEntry> page = new ArrayList<>();
            for (DirPage.Entry e : readPage(dir, DirPage.bucketAt(top, bits)).entries) {
                long order = DirPage.order(e.name());
                if (order > offset) {
                    page.add(new DirEntry(e.name(), e.ino(), e.type(), order));
                }
            }
            page.sort(Comparator.comparingLong(DirEntry::cookie));
            out.addAll(page.subList(0, Math.min(page.size(), max - out.size())));
        }
        return out;
    }

    boolean empty(Held dir) {
        for (int i = 0; i < dir.meta.buckets; i++) {
            if (!readPage(dir, i).entries.isEmpty()) {
                return false;
            }
        }
        return true;
    }
}
