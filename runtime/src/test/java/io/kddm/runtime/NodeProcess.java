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

    /** The voters of every test cluster. */
    static final String VOTERS = "1,2,3";

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

    /** Ports this JVM handed out: a port is given once (the kernel's port 0 may give one twice). */
    private static final java.util.Set<Integer> HANDED_OUT = new java.util.HashSet<>();

    /**
     * A free port for a node to listen on, never the same twice in this JVM, and
     * below the kernel's ephemeral range, so that no outgoing connection (a node
     * dialing another) takes it between now and the node's bind. A LinkerDropIn
     * run failed once with two nodes given the same port.
     */
    static synchronized int freePort() throws IOException {
        int[] range = portsOutsideEphemeral();
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = range[0] + random.nextInt(range[1] - range[0]);
            if (HANDED_OUT.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                HANDED_OUT.add(port);
                return port;
            } catch (IOException taken) {
                // in use: another
            }
        }
        throw new IOException("no free port in [" + range[0] + ", " + range[1] + ") after 1000 attempts");
    }

    /**
     * A port range [from, to) clear of the kernel's ephemeral range when there is room for one; otherwise
     * (or when the range makes no sense) 10000-60000, where only the bookkeeping of
     * handed-out ports keeps two nodes apart.
     */
    static int[] portsOutsideEphemeral() {
        int low = 32768;
        int high = 60999;
        try {
            // not Files.readString: on this size-0 /proc file, JDK 17 returned "3" (a CI run failed on it)
            String[] range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim()
                    .split("\\s+");
            int l = Integer.parseInt(range[0]);
            int h = Integer.parseInt(range[1]);
            if (l >= 1_024 && h > l && h <= 65_535) {
                low = l;
                high = h;
            } else {
                return new int[] {10_000, 60_000}; // a range we cannot make sense of: avoid nothing
            }
        } catch (IOException | RuntimeException unknown) {
            // the Linux default
        }
        if (low - 10_000 >= 2_000) {
            return new int[] {10_000, low};
        }
        if (65_000 - high >= 2_000) {
            return new int[] {high + 1, 65_000};
        }
        return new int[] {10_000, 60_000};
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
        if (!peers.isEmpty() && !List.of(extra).contains("--voters")) {
            cmd.addAll(List.of("--voters", VOTERS)); // the tests' clusters: nodes 1, 2 and 3 vote
        }
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
    /** Lines of the node's console log (runtime/logback.xml: warnings and errors on standard error). */
    private static final Pattern CONSOLE_LOG = Pattern.compile(
            "(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (WARN |ERROR) node \\S+ .*\\R?");

    /** {@code output} without the node's console log lines, which stderr interleaves with command output. */
    static String withoutConsoleLog(String output) {
        return CONSOLE_LOG.matcher(output).replaceAll("");
    }

    /** Runs {@code script} with {@code bash -euo pipefail}. */
    static Result bash(String script, Duration limit) throws IOException, InterruptedException {
        return run(List.of("bash", "-euo", "pipefail", "-c", script), limit);
    }

    /** Runs {@code script} with bash; it must succeed; returns its output. */
    static String bashOk(String script, Duration limit) throws IOException, InterruptedException {
        Result r = bash(script, limit);
        if (r.status() != 0) {
            throw new AssertionError("bash -c '" + script + "' failed (" + r.status() + "):\n" + r.output());
        }
        return r.output();
    }

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
        // Test nodes live seconds: the client compiler alone starts them sooner and leaves the other core to the
        // rest of the run (CI has two). KDDM_JAVA_OPTS set by the caller wins.
        b.environment().putIfAbsent("KDDM_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
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

    /**
     * The JVM's threads, with the locks they hold and wait for ({@code jcmd PID
     * Thread.print -l}), into {@code to}: what a test that finds the node stuck
     * leaves for whoever reads its logs. Best effort: a node that died, or a jcmd
     * that fails, leaves a line saying so.
     */
    void dumpThreads(Path to) throws IOException, InterruptedException {
        if (!process.isAlive()) {
            Files.writeString(to, "node " + id + " (pid " + process.pid() + ") is not running\n");
            return;
        }
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(process.pid()), "Thread.print", "-l")
                .redirectErrorStream(true).redirectOutput(to.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            Files.writeString(to, "\njcmd did not finish within 30 s\n", java.nio.file.StandardOpenOption.APPEND);
        }
    }

    /** SIGSTOP: the JVM stops where it is, as in a long pause, with its connections open. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause}. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** The last view this node installed, from its log: {@code "7 [1 2 3]"}, or empty if none yet. */
    String lastView() throws IOException {
        java.util.regex.Matcher m = Pattern.compile("node " + id + " installed view (\\d+ \\[[\\d ]*\\])")
                .matcher(logText());
        String last = "";
        while (m.find()) {
            last = m.group(1);
        }
        return last;
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
