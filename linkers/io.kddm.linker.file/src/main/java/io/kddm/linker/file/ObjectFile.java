package io.kddm.linker.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32;

import io.kddm.api.set.KddmException;

/**
 * One object on disk: a 28-byte header (magic {@code KDDMOBJ1}, the object id,
 * the value's length, its CRC-32) and the value. The header makes a file
 * recognisable and a damaged one detectable: a file that is short, long, of
 * another object or whose bytes do not match their checksum is refused with its
 * path, never read as zeros.
 */
final class ObjectFile {
    static final byte[] MAGIC = {'K', 'D', 'D', 'M', 'O', 'B', 'J', '1'};
    static final int HEADER = MAGIC.length + 8 + 4 + 4;
    static final String VERSION_SUFFIX = ".v";
    static final int VERSION_BYTES = 16;

    private ObjectFile() {
    }

    /** The file's value, or null if there is no file. */
    static byte[] read(Path file, long objectId) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException absent) {
            return null;
        } catch (IOException ex) {
            throw new KddmException("cannot read object " + objectId + " from " + file + ": " + ex, ex);
        }
        return decode(bytes, file, objectId);
    }

    static byte[] decode(byte[] bytes, Path file, long objectId) {
        if (bytes.length < HEADER) {
            throw corrupt(file, objectId, "truncated: " + bytes.length + " bytes, shorter than the header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw corrupt(file, objectId, "not an object file (bad magic)");
        }
        long id = b.getLong();
        if (id != objectId) {
            throw corrupt(file, objectId, "holds object " + id);
        }
        int length = b.getInt();
        int crc = b.getInt();
        if (length != bytes.length - HEADER) {
            throw corrupt(file, objectId, (length > bytes.length - HEADER ? "truncated" : "trailing bytes")
                    + ": the header says " + length + " bytes of value, the file has " + (bytes.length - HEADER));
        }
        byte[] value = new byte[length];
        b.get(value);
        if (crc(value) != crc) {
            throw corrupt(file, objectId, "checksum mismatch");
        }
        return value;
    }

    static byte[] encode(long objectId, byte[] value) {
        return ByteBuffer.allocate(HEADER + value.length).put(MAGIC).putLong(objectId).putInt(value.length)
                .putInt(crc(value)).put(value).array();
    }

    /**
     * Replaces the file durably: the bytes go to a temporary file that is forced to
     * disk, renamed over the old one, and the folder is forced, so a crash leaves
     * either the old object or the new one, whole.
     */
    static void write(Path file, long objectId, byte[] value) {
        Path dir = file.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            // A name of its own: two syncs of one object (two readers, at the home) may run at once.
            tmp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(encode(objectId, value));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException ex) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            forceFolder(dir);
        } catch (IOException ex) {
            try {
                if (tmp != null) {
                    Files.deleteIfExists(tmp); // the old object, if any, is still whole
                }
            } catch (IOException cleanup) {
                ex.addSuppressed(cleanup);
            }
            throw new KddmException("cannot write object " + objectId + " to " + file + ": " + ex, ex);
        }
    }

    /** The 16-byte version kDDM recorded beside the object (null: none); a file of another length is refused. */
    static byte[] readVersion(Path file, long objectId) {
        try {
            byte[] v = Files.readAllBytes(file);
            if (v.length != VERSION_BYTES) {
                throw corrupt(file, objectId, "a version file of " + v.length + " bytes, not " + VERSION_BYTES);
            }
            return v;
        } catch (NoSuchFileException absent) {
            return null;
        } catch (IOException ex) {
            throw new KddmException("cannot read the version of object " + objectId + " from " + file + ": " + ex, ex);
        }
    }

    /** Replaces the version file as {@link #write} replaces an object (forced only if {@code durable}). */
    static void writeVersion(Path file, long objectId, byte[] version, boolean durable) {
        if (version.length != VERSION_BYTES) {
            throw new IllegalArgumentException("a version is " + VERSION_BYTES + " bytes, not " + version.length);
        }
        Path dir = file.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(version));
                if (durable) {
                    ch.force(true);
                }
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException ex) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            if (durable) {
                forceFolder(dir);
            }
        } catch (IOException ex) {
            try {
                if (tmp != null) {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException cleanup) {
                ex.addSuppressed(cleanup);
            }
            throw new KddmException("cannot write the version of object " + objectId + " to " + file + ": " + ex, ex);
        }
    }

    static void delete(Path file, long objectId) {
        try {
            if (Files.deleteIfExists(file)) {
                forceFolder(file.getParent());
            }
        } catch (IOException ex) {
            throw new KddmException("cannot delete object " + objectId + " at " + file + ": " + ex, ex);
        }
    }

    /** So that a rename or a deletion survives a crash too (Linux allows forcing a folder opened for reading). */
    private static void forceFolder(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ex) {
            if (!System.getProperty("os.name", "").startsWith("Windows")) {
                throw ex;
            }
        }
    }

    private static int crc(byte[] value) {
        CRC32 c = new CRC32();
        c.update(value);
        return (int) c.getValue();
    }

    private static KddmException corrupt(Path file, long objectId, String why) {
        return new KddmException("object " + objectId + ": file " + file + " is corrupt (" + why + ")");
    }
}
