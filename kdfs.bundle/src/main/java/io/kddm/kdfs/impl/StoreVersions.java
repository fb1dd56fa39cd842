package io.kddm.kdfs.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The versions kDDM gives the replicated stores of a partition's entries
 * (16 bytes each, opaque here), kept on disk beside them so that the replicas
 * of an entry can be ordered after any crash: an inode's in
 * {@code DIR/.versions} at 16 times its local id (kept when its entry is
 * deleted: a removal has a version too), a page's in its entry's
 * {@code .pagev} at 16 times its index (deleted with the entry, forced with its
 * {@code .content} by the inode's durable write-back). All zeros, or past the
 * end: none recorded.
 */
final class StoreVersions {
    static final String INODES = ".versions";
    static final String PAGES = ".pagev";
    static final int BYTES = 16;

    /** Folders where a versions file was made by a write that forced nothing: the next durable one forces them. */
    private static final java.util.Set<Path> unforced = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private StoreVersions() {
    }

    static byte[] ofInode(Partition p, int local) {
        return read(p.dir().resolve(INODES), local);
    }

    static void inode(Partition p, int local, byte[] version, boolean durable) {
        write(p.dir().resolve(INODES), local, version, durable);
    }

    static byte[] ofPage(Partition p, int local, long index) {
        return read(p.entry(local).resolve(PAGES), index);
    }

    /**
     * Not forced (as the page): the inode's durable write-back forces it. None for a page of no entry (removed);
     * under the entry's lock, so that it never makes a file in an entry being deleted.
     */
    static void page(Partition p, int local, long index, byte[] version) {
        p.underEntryLock(local, () -> {
            if (Files.isDirectory(p.entry(local))) {
                write(p.entry(local).resolve(PAGES), index, version, false);
            }
        });
    }

    private static byte[] read(Path file, long slot) {
        byte[] v = NativeFiles.read(file, slot * BYTES, BYTES);
        if (v.length < BYTES) {
            return null;
        }
        for (byte b : v) {
            if (b != 0) {
                return v;
            }
        }
        return null;
    }

    private static void write(Path file, long slot, byte[] version, boolean durable) {
        if (version.length != BYTES) {
            throw new IllegalArgumentException("a store version is " + BYTES + " bytes, not " + version.length);
        }
        boolean made = !Files.exists(file); // (its folder forced then, whatever the write: a later force is the file's)
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(version);
            while (b.hasRemaining()) {
                ch.write(b, slot * BYTES + b.position());
            }
            if (durable) {
                ch.force(false);
            }
            if (made && durable) {
                NativeFiles.force(file.getParent());
            } else if (made) {
                unforced.add(file.getParent());
            } else if (durable && unforced.remove(file.getParent())) {
                NativeFiles.force(file.getParent());
            }
        } catch (NoSuchFileException gone) {
            // the entry was deleted meanwhile (a page of a removed inode): nothing to order any more
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record a store version in " + file + ": " + e.getMessage(), e);
        }
    }
}
