package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The interactive console of one node (a single-node cluster, its own voter,
 * with a kDFS partition), driven as a user would through a pseudo-terminal:
 * {@code ./kddm node} typed into a shell in a tmux pane. jline attaches to the
 * terminal (no dumb-terminal warning); Up recalls the last command; Tab
 * completes a command name and kDFS paths; Ctrl-C interrupts a blocking
 * {@code msg:recv} and, at the prompt, only clears the line, the node staying
 * up; after {@code exit} and a new start, the history of the first console is
 * there (Up) and in the node's {@code console.history}.
 * <p>
 * Its own tmux server (its socket in a temporary folder), killed at the end with
 * the node if it still runs (found by its unique data folder).
 */
class ConsoleIT {
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration STEP = Duration.ofSeconds(30);
    private static final String PROMPT = "kddm> ";

    private static Path socketDir;
    private static String socket;
    private static Path base;
    private static Path data;
    private static String nodeCommand;

    @BeforeAll
    static void setUp() throws Exception {
        assertEquals(0, NodeProcess.run(List.of("tmux", "-V"), STEP).status(),
                "tmux is needed to drive the console through a pseudo-terminal (apt-get install tmux)");
        base = Files.createDirectories(
                Path.of("target", "ConsoleIT", String.valueOf(System.nanoTime())).toAbsolutePath());
        data = base.resolve("node-1");
        Path secret = Files.writeString(base.resolve("secret"), "ConsoleIT " + System.nanoTime());
        Path partition = data.resolve("kdfs");
        NodeProcess.Result mkfs = NodeProcess.run(List.of(NodeProcess.ROOT.resolve("kddm").toString(), "mkfs.kdfs",
                partition.toString(), "1"), START);
        assertEquals(0, mkfs.status(), mkfs.output());
        Files.createDirectories(data.resolve("deploy"));
        Files.writeString(data.resolve("deploy/io.kddm.kdfs.cfg"), "partition=" + partition + "\n");
        String listen = "127.0.0.1:" + NodeProcess.freePort();
        // What a user types; the status it ends with is printed for the test to see.
        // The node's warnings stay in its log: printed on the terminal, they would land amid the edited line.
        nodeCommand = "KDDM_NO_BUILD=1 KDDM_JAVA_OPTS=-Dkddm.console.level=OFF " + quote(NodeProcess.ROOT.resolve("kddm").toString()) + " node --id 1 --listen "
                + listen + " --voters 1 --secret-file " + quote(secret.toString()) + " --data " + quote(data.toString())
                + "; echo node-exit-$?";
        socketDir = Files.createTempDirectory("kddm-console-it"); // short: a socket's path has a length limit
        socket = socketDir.resolve("tmux").toString();
        // A plain shell, no user configuration; the pane is as large as a usual terminal.
        tmux("-f", "/dev/null", "new-session", "-d", "-s", "console", "-x", "200", "-y", "50",
                "env -i PATH=\"$PATH\" HOME=\"$HOME\" TERM=screen JAVA_HOME=\"${JAVA_HOME:-}\" bash --norc --noprofile");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (socket != null) {
            NodeProcess.run(List.of("tmux", "-S", socket, "kill-server"), STEP);
            Files.deleteIfExists(Path.of(socket));
            Files.deleteIfExists(socketDir);
        }
        // The node, if the test failed while it ran: the only JVM with this run's data folder.
        if (data != null) {
            String marker = "-Dkddm.data.dir=" + data;
            ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
                    .forEach(p -> {
                        p.destroyForcibly();
                        p.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
                    });
        }
    }

    @Test
    void historyCompletionAndCtrlCInARealTerminal() throws Exception {
        startConsole();
        String banner = screen();
        assertFalse(banner.contains("dumb terminal"), banner);
        assertFalse(banner.contains("Unable to create a system terminal"), banner);
        // The console may come before the node has joined its cluster of one, and before the
        // drop-in bundles (kDFS, ipc) whose commands are used below.
        awaitLog("node 1 installed view \\d+ \\[1\\]");
        awaitLog("kDFS mounted at start");
        awaitLog("IO linker ipc registered");

        // A command, then Up and Enter run it again: the Up arrow is not typed as ^[[A. The first
        // waits for the lease too: the kdfs:mkdir below failed with EIO ("no lease") when the
        // node had installed its view but its lease came 250 ms later.
        type("kddm:nodes --await 1");
        enter();
        awaitCount(" ALIVE ", 1);
        key("Up");
        awaitLine(PROMPT + "kddm:nodes --await 1");
        enter();
        awaitCount(" ALIVE ", 2);
        assertFalse(screen().contains("^[[A"), screen());

        // Tab completes a command name.
        type("kddm:no");
        key("Tab");
        awaitLine(PROMPT + "kddm:nodes");
        enter();
        awaitCount(" ALIVE ", 3);

        // Tab completes kDFS paths, directory by directory.
        type("kdfs:mkdir /console-dir");
        enter();
        awaitLine(PROMPT);
        type("kdfs:write /console-dir/hello-file console-says-hi");
        enter();
        await("the write", s -> s.contains("wrote 15 bytes to /console-dir/hello-file"));
        type("kdfs:cat /cons");
        key("Tab");
        awaitLine(PROMPT + "kdfs:cat /console-dir/");
        type("hel");
        key("Tab");
        awaitLine(PROMPT + "kdfs:cat /console-dir/hello-file");
        enter();
        awaitCount("console-says-hi", 2); // the write's line, then cat's output

        // Ctrl-C interrupts a command blocked on an empty queue; the console and the node go on.
        type("msg:get 4242 --create");
        enter();
        Matcher id = Pattern.compile("(?m)^(\\d+)\\s*$").matcher(await("msg:get", s -> Pattern
                .compile("(?m)^\\d+\\s*$").matcher(s).find()));
        assertTrue(id.find());
        type("msg:recv " + id.group(1));
        enter();
        awaitAccepted(PROMPT + "msg:recv " + id.group(1)); // a Ctrl-C before that would only drop the line
        String interrupted = interrupt("msg:recv " + id.group(1));
        assertTrue(interrupted.contains("Interrupt") || interrupted.contains("interrupted"), interrupted);
        type("kddm:nodes");
        enter();
        awaitCount(" ALIVE ", 4);

        // Ctrl-C at the prompt drops the line and stops nothing.
        type("kddm:this-is-dropped");
        awaitLine(PROMPT + "kddm:this-is-dropped");
        key("C-c");
        await("a new prompt after Ctrl-C", s -> s.endsWith(PROMPT + "kddm:this-is-dropped\n" + PROMPT.trim()));
        type("echo still-here");
        enter();
        awaitCount("still-here", 2);
        assertFalse(screen().contains("this-is-dropped: command not found"), screen());

        // exit leaves as before (status 0); the history file is in the node's folder.
        type("exit");
        enter();
        await("the node's exit", s -> s.contains("node-exit-0"));
        String history = Files.readString(data.resolve("console.history"));
        for (String line : List.of("kddm:nodes", "kdfs:cat /console-dir/hello-file", "echo still-here", "exit")) {
            assertTrue(history.contains(":" + line + "\n"), line + " not in the history file:\n" + history);
        }
        assertFalse(history.contains("this-is-dropped"), history);

        // A new console of the same node recalls the previous one's commands.
        startConsole();
        int seen = occurrences(screen(), "still-here");
        key("Up"); // exit
        key("Up"); // echo still-here
        awaitLine(PROMPT + "echo still-here");
        enter();
        awaitCount("still-here", seen + 2); // the recalled line, then its output
        type("exit");
        enter();
        awaitCount("node-exit-0", 2);
    }

    /** Types the node's command into the pane's shell and waits for the console's prompt. */
    private static void startConsole() throws Exception {
        type(nodeCommand);
        enter();
        long deadline = System.nanoTime() + START.toNanos();
        while (!lastLine(screen()).equals(PROMPT.trim()) || !screen().contains("kDDM node console.")) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no console prompt within " + START + ":\n" + screen() + "\n"
                        + log());
            }
            Thread.sleep(100);
        }
    }

    /**
     * Ctrl-C until the prompt is back after {@code command}'s line, at most 10
     * times: a Ctrl-C between jline's taking the line and Gogo's starting its job
     * has nothing to interrupt yet.
     */
    private static String interrupt(String command) throws Exception {
        for (int attempt = 0; attempt < 10; attempt++) {
            key("C-c");
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < deadline) {
                String s = screen();
                String after = s.substring(s.lastIndexOf(PROMPT + command) + (PROMPT + command).length());
                if (lastLine(s).equals(PROMPT.trim()) && after.contains(PROMPT.trim())) {
                    return after;
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("Ctrl-C did not interrupt " + command + ":\n" + screen());
    }

    /** Until jline has taken {@code line} (the cursor has left its row for the next one). */
    private static void awaitAccepted(String line) throws Exception {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (true) {
            String[] rows = tmux("capture-pane", "-p", "-t", "console").split("\n", -1); // the visible rows
            int cursor = Integer.parseInt(tmux("display-message", "-p", "-t", "console", "#{cursor_y}").trim());
            int row = -1;
            for (int i = 0; i < rows.length; i++) {
                if (rows[i].stripTrailing().equals(line)) {
                    row = i;
                }
            }
            if (row >= 0 && cursor > row) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("'" + line + "' never accepted within " + STEP + " (cursor on row " + cursor
                        + "):\n" + String.join("\n", rows));
            }
            Thread.sleep(50);
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static void type(String text) throws Exception {
        tmux("send-keys", "-t", "console", "-l", text);
    }

    private static void key(String name) throws Exception {
        tmux("send-keys", "-t", "console", name);
    }

    private static void enter() throws Exception {
        key("Enter");
    }

    private static String tmux(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-S", socket));
        cmd.addAll(List.of(args));
        NodeProcess.Result r = NodeProcess.run(cmd, STEP);
        if (r.status() != 0) {
            throw new AssertionError(cmd + " failed (" + r.status() + "): " + r.output());
        }
        return r.output();
    }

    /** The pane with its scrollback, wrapped lines joined, trailing blanks dropped (of each line too). */
    private static String screen() throws Exception {
        return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "console").lines().map(String::stripTrailing)
                .collect(java.util.stream.Collectors.joining("\n")).stripTrailing();
    }

    private static String lastLine(String screen) {
        String[] lines = screen.split("\n");
        return lines[lines.length - 1].stripTrailing();
    }

    private static String log() throws IOException {
        Path log = data.resolve("log/node.log");
        return Files.exists(log) ? Files.readString(log) : "(no log)";
    }

    private static void awaitLog(String regex) throws Exception {
        long deadline = System.nanoTime() + START.toNanos();
        Pattern pattern = Pattern.compile(regex);
        while (!pattern.matcher(log()).find()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the node never logged /" + regex + "/ within " + START + ":\n" + log());
            }
            Thread.sleep(50);
        }
    }

    private static String await(String what, Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (true) {
            String s = screen();
            if (done.test(s)) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " never showed within " + STEP + ":\n" + s);
            }
            Thread.sleep(50);
        }
    }

    /** Until the line being edited (the last one) reads {@code line}. */
    private static void awaitLine(String line) throws Exception {
        await("the line '" + line + "'", s -> lastLine(s).equals(line.stripTrailing()));
    }

    /** Until {@code text} shows exactly {@code count} times (more fails at once: a command ran twice). */
    private static void awaitCount(String text, int count) throws Exception {
        String s = await(count + " times '" + text + "'", t -> occurrences(t, text) >= count);
        assertEquals(count, occurrences(s, text), s);
    }

    private static int occurrences(String s, String text) {
        int n = 0;
        for (int i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + 1)) {
            n++;
        }
        return n;
    }
}
