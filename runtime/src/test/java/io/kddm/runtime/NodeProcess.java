package io.kddm.runtime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The addresses of nodes {@code ids} other than {@code self}, from {@code address[id]}. */
    static List<String> peers(String[] address, int self, int... ids) {
        List<String> peers = new ArrayList<>();
        for (int id : ids) {
            if (id != self) {
                peers.add(address[id]);
            }
        }
        return peers;
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
        return start(id, listen, peers, secret, base, "--headless");
    }

    /** Starts a node with {@code extra} options; its data in {@code base/node-ID}, its output in a file there. */
    static NodeProcess start(int id, String listen, List<String> peers, Path secret, Path base, String... extra)
            throws IOException {
        Path data = base.resolve("node-" + id);
        Files.createDirectories(data);
        Path output = data.resolve("process.out");
        Process p = builder(command(id, listen, peers, secret, data, extra)).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        return new NodeProcess(id, listen, data, p, output);
    }

    /**
     * Runs a command to completion and returns its exit status and output; a command
     * still running after {@code limit} is killed and fails the test.
     */
    static Result run(List<String> command, Duration limit) throws IOException, InterruptedException {
        Path out = Files.createTempFile("kddm-run", ".out");
        try {
            Process p = builder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("did not finish within " + limit + ": " + command + "\n"
                        + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
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
        return await("logged", this::logText, regex, limit);
    }

    /** Waits until the node's standard output matches {@code regex}; returns when it was seen (nanoTime). */
    long awaitOutput(String regex, Duration limit) throws IOException, InterruptedException {
        return await("printed", this::output, regex, limit);
    }

    private interface Text {
        String read() throws IOException;
    }

    private long await(String what, Text text, String regex, Duration limit)
            throws IOException, InterruptedException {
        Pattern pattern = Pattern.compile(regex);
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (pattern.matcher(text.read()).find()) {
                return System.nanoTime();
            }
            if (!process.isAlive()) {
                throw new AssertionError("node " + id + " exited with " + process.exitValue() + " before it "
                        + what + " /" + regex + "/:\n" + Files.readString(output) + "\n" + logText());
            }
            Thread.sleep(25);
        }
        throw new AssertionError("node " + id + " never " + what + " /" + regex + "/ within " + limit + ":\n"
                + text.read());
    }

    String output() throws IOException {
        return Files.readString(output);
    }

    /** Waits (bounded) for the node to exit by itself; returns its status. */
    int awaitExit(Duration limit) throws IOException, InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("node " + id + " did not finish within " + limit + ":\n" + output());
        }
        return process.exitValue();
    }

    /** kill -9: no leave notice, no flush. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("node " + id + " still runs 10 s after kill -9");
        }
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
