package io.kddm.runtime;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A node started through {@code ./kddm node} as its own JVM. Only processes this
 * class started are ever signalled, by their PID.
 */
final class NodeProcess {
    static final Path ROOT = Path.of(System.getProperty("kddm.root", "..")).toAbsolutePath().normalize();

    final int id;
    final String listen;
    final Path data;
    final Process process;
    final Path output;

    private NodeProcess(int id, String listen, Path data, Process process, Path output) {
        this.id = id;
        this.listen = listen;
        this.data = data;
        this.process = process;
        this.output = output;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static List<String> command(int id, String listen, List<String> peers, Path secret, Path data,
            String... extra) {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("kddm").toString(), "node", "--id",
                String.valueOf(id), "--listen", listen, "--peers", String.join(",", peers), "--secret-file",
                secret.toString(), "--data", data.toString()));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    /** Starts a headless node; its standard output and error go to a file. */
    static NodeProcess headless(int id, String listen, List<String> peers, Path secret, Path base)
            throws IOException {
        Path data = base.resolve("node-" + id);
        Files.createDirectories(data);
        Path output = data.resolve("process.out");
        Process p = builder(command(id, listen, peers, secret, data, "--headless")).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        return new NodeProcess(id, listen, data, p, output);
    }

    /** Runs a command to completion (bounded) and returns its exit status and output. */
    static Result run(List<String> command, Duration limit) throws IOException, InterruptedException {
        Process p = builder(command).redirectErrorStream(true).start();
        byte[] out;
        try {
            out = p.getInputStream().readAllBytes();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("did not finish within " + limit + ": " + command);
            }
        } finally {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Tests run the jar their build made: the launcher must not rebuild it under them. */
    static ProcessBuilder builder(List<String> command) {
        ProcessBuilder b = new ProcessBuilder(command);
        b.environment().put("KDDM_NO_BUILD", "1");
        return b;
    }

    record Result(int status, String output) {
    }

    Path log() {
        return data.resolve("log/node.log");
    }

    String logText() throws IOException {
        return Files.exists(log()) ? Files.readString(log()) : "";
    }

    /** Waits until the node's log has a line matching {@code regex}; returns when it was seen (nanoTime). */
    long awaitLog(String regex, Duration limit) throws IOException, InterruptedException {
        Pattern pattern = Pattern.compile(regex);
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (pattern.matcher(logText()).find()) {
                return System.nanoTime();
            }
            if (!process.isAlive()) {
                throw new AssertionError("node " + id + " exited with " + process.exitValue() + " before /"
                        + regex + "/:\n" + Files.readString(output) + "\n" + logText());
            }
            Thread.sleep(25);
        }
        throw new AssertionError("node " + id + " never logged /" + regex + "/ within " + limit + ":\n" + logText());
    }

    /** kill -9: no leave notice, no flush. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, then the exit status (the node must stop by itself within the limit). */
    int terminate(Duration limit) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("node " + id + " did not stop within " + limit + " of SIGTERM");
        }
        return process.exitValue();
    }
}
