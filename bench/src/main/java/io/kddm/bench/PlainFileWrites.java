package io.kddm.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The plain Java durable writes the file IO linker's {@code sync} is compared
 * with: the cheapest (one fsync, not crash-atomic), and the linker's own
 * replacement protocol written by hand (two fsyncs), without its header and
 * without kDDM.
 */
final class PlainFileWrites {
    private PlainFileWrites() {
    }

    /** Overwrites {@code file} in place and forces it: one fsync; a crash may leave it half old, half new. */
    static void writeAndForce(Path file, byte[] value) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            write(ch, value);
            ch.force(true);
        }
    }

    /**
     * Replaces {@code file} as ObjectFile.write does: a temporary file forced,
     * renamed over it, the folder forced (so that the rename survives a crash).
     */
    static void replaceDurably(Path file, byte[] value) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            write(ch, value);
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel folder = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            folder.force(true);
        }
    }

    private static void write(FileChannel ch, byte[] value) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(value);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
