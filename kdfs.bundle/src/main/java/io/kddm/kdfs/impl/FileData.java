package io.kddm.kdfs.impl;

import static io.kddm.kdfs.impl.Permissions.checkOpen;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;
import io.kddm.kdfs.impl.InodeLocks.Held;

/**
 * File data: a file's bytes as the {@link PageLinker#FILE_PAGE}-byte pages of
 * its file set, read and written through open files, cut by a truncate, and a
 * symbolic link's target. The pages are touched only with the file's inode
 * held, got to read and grabbed to write, so a write completed on one node is
 * seen by every read started afterwards on any node.
 */
final class FileData {
    /** The largest file: a page's index must fit the 24 low bits of its object id ({@link Ino#page}). */
    static final long MAX_FILE = (long) PageLinker.FILE_PAGE << 24;

    private final Kddm kddm;
    private final Mount mount;
    private final WriteBack writeBack;
    private final InodeLocks locks;
    private final OperationCounts operations;

    FileData(Kddm kddm, Mount mount, WriteBack writeBack, InodeLocks locks, OperationCounts operations) {
        this.kddm = kddm;
        this.mount = mount;
        this.writeBack = writeBack;
        this.locks = locks;
        this.operations = operations;
    }

    private KddmSet filePages(int ino) {
        return kddm.wellKnown(Ino.fileSet(ino), PageLinker.FILE);
    }

    /** Opens a regular file; an open with {@code TRUNCATE} truncates under a grab of the inode. */
    OpenFile open(Caller caller, int ino, int flags) {
        boolean writes = (flags & (OpenFile.WRITE | OpenFile.APPEND | OpenFile.TRUNCATE)) != 0;
        if ((flags & OpenFile.TRUNCATE) != 0) {
            try (Held h = locks.grab(ino)) {
                checkOpen(caller, h.meta, flags, writes);
                if (h.meta.size != 0) {
                    truncate(h, 0, Instant.now());
                    h.meta.ctime = h.meta.mtime;
                    h.save();
                }
            }
        } else {
            try (Held h = locks.read(ino)) {
                checkOpen(caller, h.meta, flags, writes);
            }
        }
        return new Opened(ino, flags);
    }

    /** An open regular file: reads under a get of the inode, writes under a grab of it. */
    private final class Opened implements OpenFile {
        private final int ino;
        private final int flags;
        private volatile boolean written;
        private volatile boolean closed;

        Opened(int ino, int flags) {
            this.ino = ino;
            this.flags = flags;
        }

        @Override
        public int ino() {
            return ino;
        }

        private void check(int need) {
            if (closed) {
                throw new KdfsException(Errno.EBADF, "file " + Ino.format(ino) + " is closed");
            }
            if ((flags & need) == 0) {
                throw new KdfsException(Errno.EBADF, "file " + Ino.format(ino) + " is not open for "
                        + (need == READ ? "reading" : "writing"));
            }
        }

        @Override
        public byte[] read(long offset, int length) {
            operations.count("read");
            check(READ);
            if (offset < 0 || length < 0) {
                throw new KdfsException(Errno.EINVAL, "negative offset or length");
            }
            return mount.op(() -> {
                try (Held h = locks.read(ino)) {
                    long end = Math.min(h.meta.size, offset + length);
                    if (offset >= end) {
                        return new byte[0];
                    }
                    byte[] out = new byte[(int) (end - offset)];
                    KddmSet pages = filePages(ino);
                    long first = offset / PageLinker.FILE_PAGE;
                    long last = (end - 1) / PageLinker.FILE_PAGE;
                    // the pages not here are asked for at once, not one round trip after another
                    for (long p = first + 1; p <= last; p++) {
                        pages.prefetch(Ino.page(ino, p));
                    }
                    for (long p = first; p <= last; p++) {
                        long start = p * PageLinker.FILE_PAGE;
                        try (ObjectHandle page = pages.get(Ino.page(ino, p))) {
                            // only the part asked for is copied; past the page's bytes, out keeps its zeros
                            long from = Math.max(offset, start);
                            long to = Math.min(end, start + PageLinker.FILE_PAGE);
                            page.read((int) (from - start), out, (int) (from - offset), (int) (to - from));
                        }
                    }
                    return out;
                }
            });
        }

        @Override
        public long write(long offset, byte[] data) {
            operations.count("write");
            check(WRITE | APPEND);
            if (offset < 0) {
                throw new KdfsException(Errno.EINVAL, "negative offset");
            }
            return mount.op(() -> {
                try (Held h = locks.grab(ino)) {
                    long at = (flags & APPEND) != 0 ? h.meta.size : offset;
                    if (data.length == 0) {
                        return at; // POSIX: writing nothing changes nothing, not even the size
                    }
                    if (at > MAX_FILE - data.length) {
                        throw new KdfsException(Errno.EFBIG, "over the largest file, " + MAX_FILE + " bytes");
                    }
                    long end = at + data.length;
                    KddmSet pages = filePages(ino);
                    for (long p = at / PageLinker.FILE_PAGE; p <= (end - 1) / PageLinker.FILE_PAGE; p++) {
                        long start = p * PageLinker.FILE_PAGE;
                        long object = Ino.page(ino, p);
                        try (ObjectHandle page = pages.grab(object)) {
                            byte[] bytes = page.value();
                            long from = Math.max(at, start);
                            long to = Math.min(end, start + PageLinker.FILE_PAGE);
                            // value() gave a copy of our own: grow it only if the write goes past it
                            byte[] next = bytes.length >= to - start ? bytes : Arrays.copyOf(bytes, (int) (to - start));
                            System.arraycopy(data, (int) (from - at), next, (int) (from - start), (int) (to - from));
                            page.value(next);
                        }
                        writeBack.filePage(ino, object);
                    }
                    Instant now = Instant.now();
                    h.meta.size = Math.max(h.meta.size, end);
                    h.meta.mtime = now;
                    h.meta.ctime = now;
                    h.save();
                    written = true;
                    return at;
                }
            });
        }

        @Override
        public void fsync() {
            if (closed) {
                throw new KdfsException(Errno.EBADF, "file " + Ino.format(ino) + " is closed");
            }
            FileData.this.fsync(ino);
        }

        @Override
        public void flush() {
            if (closed) {
                throw new KdfsException(Errno.EBADF, "file " + Ino.format(ino) + " is closed");
            }
            writtenBack();
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            writtenBack();
        }

        private void writtenBack() {
            if (written) {
                written = false; // a write after this one marks it again
                mount.run(() -> writeBack.closed(ino));
            }
        }
    }

    /** Writes an inode and what this node changed of its pages back to its partition, durably. */
    void fsync(int ino) {
        mount.run(() -> writeBack.sync(ino, true));
    }

    /** Sets a file's size (its inode held): pages past it become zeros, so a later extension reads zeros. */
    void truncate(Held file, long size, Instant now) {
        long old = file.meta.size;
        if (size < old) {
            KddmSet pages = filePages(file.ino);
            for (long p = size / PageLinker.FILE_PAGE; p <= (old - 1) / PageLinker.FILE_PAGE; p++) {
                long start = p * PageLinker.FILE_PAGE;
                long object = Ino.page(file.ino, p);
                try (ObjectHandle h = pages.grab(object)) {
                    byte[] bytes = h.value();
                    int keep = (int) Math.max(0, size - start);
                    if (bytes.length > keep) {
                        h.value(PageLinker.trim(Arrays.copyOf(bytes, keep)));
                    }
                }
                writeBack.filePage(file.ino, object);
            }
        }
        file.meta.size = size;
        file.meta.mtime = now;
    }

    /** Stores a new symbolic link's target as its file data: page 0, its length the size in {@code m}. */
    void writeTarget(int ino, Meta m, String target) {
        byte[] bytes = target.getBytes(StandardCharsets.UTF_8);
        m.size = bytes.length;
        long page = Ino.page(ino, 0);
        try (ObjectHandle h = filePages(ino).grab(page)) {
            h.value(bytes);
        }
        writeBack.filePage(ino, page);
    }

    /** A symbolic link's target: its file data, as {@link #writeTarget} stored it. */
    String readlink(int ino) {
        try (Held h = locks.read(ino)) {
            if (h.meta.type != FileType.SYMLINK) {
                throw new KdfsException(Errno.EINVAL, "inode " + Ino.format(ino) + " is not a symbolic link");
            }
            try (ObjectHandle p = filePages(ino).get(Ino.page(ino, 0))) {
                return new String(Arrays.copyOf(p.value(), (int) h.meta.size), StandardCharsets.UTF_8);
            }
        }
    }
}
