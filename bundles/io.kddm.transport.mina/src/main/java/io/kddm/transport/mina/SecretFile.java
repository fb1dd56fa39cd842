package io.kddm.transport.mina;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/** Reads the cluster secret: the bytes of a file, without trailing white space. */
final class SecretFile {
    private SecretFile() {
    }

    static byte[] read(String path) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("no cluster secret file is configured (secret.file)");
        }
        Path file = Path.of(path);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cluster secret file " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read cluster secret file " + file + ": " + e.getMessage());
        }
        int end = bytes.length;
        while (end > 0 && Character.isWhitespace(bytes[end - 1])) {
            end--;
        }
        if (end == 0) {
            throw new IllegalArgumentException("cluster secret file " + file + " is empty");
        }
        return Arrays.copyOf(bytes, end);
    }
}
