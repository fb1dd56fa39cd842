package io.kddm.bench;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Options every benchmark takes ({@code --doc FILE}, {@code --rounds N},
 * {@code --quick}) and the writing of its section of docs/BENCHMARKS.md.
 */
record BenchArgs(Path doc, Integer roundsOption, boolean quick) {

    static BenchArgs parse(String[] args) {
        Path doc = null;
        Integer rounds = null;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--doc" -> doc = Path.of(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --doc FILE, --rounds N, --quick)");
            }
        }
        return new BenchArgs(doc, rounds, quick);
    }

    /** bench/target: where the build put this code and what a benchmark loads at run time; its scratch space. */
    static Path buildDir() {
        try {
            return Path.of(BenchArgs.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    int rounds(int normal) {
        return roundsOption != null ? roundsOption : quick ? 1 : normal;
    }

    /**
     * Replaces (or appends) the section {@code id} of the benchmarks document:
     * everything between its begin and end markers.
     */
    void writeSection(String id, String title, String command, String table) throws IOException {
        if (doc == null) {
            return;
        }
        if (quick) {
            System.err.println("--quick: not writing " + doc);
            return;
        }
        String begin = "<!-- bench:" + id + " begin -->";
        String end = "<!-- bench:" + id + " end -->";
        String when = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        String machine = Runtime.getRuntime().availableProcessors() + " cores, Java "
                + System.getProperty("java.version");
        String section = begin + "\n## " + title + "\n\nCommand: `" + command + "` (" + when + ", " + machine
                + ")\n\n" + table + "\n" + end;
        String text = Files.exists(doc) ? Files.readString(doc) : "# Benchmarks\n";
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        if (b >= 0 && e > b) {
            text = text.substring(0, b) + section + text.substring(e + end.length());
        } else {
            text = text.stripTrailing() + "\n\n" + section + "\n";
        }
        Files.createDirectories(doc.toAbsolutePath().getParent());
        Files.writeString(doc, text);
        System.err.println("wrote section '" + id + "' of " + doc);
    }
}
