package io.kddm.kdfs.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Writes to the native file system that leave either the old or the new file, never half of one. */
final class NativeFiles {
    private NativeFiles() {
    }

    /**
     * Replaces {@code file} by {@code bytes}, durably: a temporary file of its own
     * (a name no earlier run left behind), forced, renamed over it, the folder forced.
     */
    static void replace(Path file, byte[] bytes) {
        replace(file, bytes, true);
    }

    /**
     * Replaces {@code file} by {@code bytes} through a temporary file renamed over
     * it, so that a reader (or a restart after a crash) finds the old bytes or the
     * new, never part of them; forced only if {@code durable}.
     */
    static void replace(Path file, byte[] bytes, boolean durable) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                if (durable) {
                    ch.force(true);
                }
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            if (durable) {
                force(file.getParent());
            }
        } catch (IOException e) {
            try {
                if (tmp != null) {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException ignored) {
                // the write's failure is what matters
            }
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Up to {@code length} bytes at {@code offset}; fewer at the end of the file, none if it is missing. */
    static byte[] read(Path file, long offset, int length) {
        if (!Files.exists(file)) {
            return new byte[0]; // a new inode's first touch: a stat, not the exception of an open
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long available = Math.max(0, Math.min(length, ch.size() - offset));
            ByteBuffer b = ByteBuffer.allocate((int) available);
            while (b.hasRemaining()) {
                if (ch.read(b, offset + b.position()) < 0) {
                    break;
                }
            }
            return b.position() == b.capacity() ? b.array() : java.util.Arrays.copyOf(b.array(), b.position());
        } catch (NoSuchFileException e) {
            return new byte[0];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code bytes} at {@code offset}, then zeros up to {@code span} bytes; not forced. */
    static void writeAt(Path file, long offset, byte[] bytes, int span) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(Math.max(span, bytes.length));
            b.put(bytes).position(0);
            while (b.hasRemaining()) {
                ch.write(b, offset + b.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes the file exactly {@code size} bytes long (cut, or extended with zeros;
     * {@code -1}: as it is), and, if {@code durable}, forces it to disk.
     */
    static void truncate(Path file, long size, boolean durable) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            if (size >= 0 && ch.size() > size) {
                ch.truncate(size);
            } else if (size > 0 && ch.size() < size) {
                ch.write(ByteBuffer.allocate(1), size - 1); // a hole up to the end: zeros, as the file reads
            }
            if (durable) {
                ch.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static void force(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open a folder: the rename is then as durable as they make it.
        }
    }
}
