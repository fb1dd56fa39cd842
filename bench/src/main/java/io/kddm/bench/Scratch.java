package io.kddm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A benchmark's scratch folder, bench/target/NAME: emptied when made (a run
 * that was killed leaves its files behind), deleted when closed.
 */
final class Scratch implements AutoCloseable {
    final Path dir;

    Scratch(String name) throws IOException {
        dir = BenchArgs.buildDir().resolve(name);
        delete(dir);
        Files.createDirectories(dir);
    }

    @Override
    public void close() throws IOException {
        delete(dir);
    }

    /** Deletes a folder and everything in it, if it is there. */
    static void delete(Path tree) throws IOException {
        if (!Files.exists(tree)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> s = Files.walk(tree)) {
            paths = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : paths) {
            Files.deleteIfExists(p);
        }
    }
}
