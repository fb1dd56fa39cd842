package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * kDFS mounted through FUSE on three JVMs over real TCP on 127.0.0.1, used by
 * unmodified programs: nodes 1 and 2 have partitions (the root on node 1),
 * node 3 is diskless, each mounts its view at {@code mnt-N}. What one node's
 * programs write, the others' programs read: {@code tar} and {@code diff -r},
 * {@code make} (timestamps across nodes), {@code git}, appends from three nodes
 * at once, {@code mv} across partitions, links and FIFOs, {@code df}. A node
 * killed with its mount left stale clears it at its next start; SIGTERM
 * unmounts, and what the node wrote stays. Needs root, {@code /dev/fuse} and libfuse2 ({@code .ci/run}
 * installs Debian's {@code fuse}); without them it fails, saying so.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FuseClusterIT {
    private static final Duration LIMIT = Duration.ofSeconds(180);
    private static LocalCluster cluster;
    private static final NodeProcess[] NODES = new NodeProcess[4];
    private static final Path[] MNT = new Path[4];

    @BeforeAll
    static void start() throws Exception {
        assertTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: FUSE tests need the fuse kernel module");
        assertEquals(0, sh("command -v fusermount").status(), "no fusermount: apt-get install fuse");
        assertEquals("0", sh("id -u").output().strip(), "FUSE tests mount as root (allow_other)");
        cluster = new LocalCluster("fuse-it", 3);
        for (int id : new int[] {1, 2}) {
            NodeProcess.Result mkfs = NodeProcess.run(List.of(NodeProcess.ROOT.resolve("kddm").toString(), "mkfs.kdfs",
                    cluster.data(id).resolve("kdfs").toString(), "1", "--node", String.valueOf(id)), LIMIT);
            assertEquals(0, mkfs.status(), mkfs.output());
        }
        configure(1, "partition=" + cluster.data(1).resolve("kdfs") + "\n");
        configure(2, "partition=" + cluster.data(2).resolve("kdfs") + "\n");
        configure(3, "partition=NONE\nroot=1:1\n");
        for (int id = 1; id <= 3; id++) {
            MNT[id] = Files.createDirectories(cluster.base.resolve("mnt-" + id));
            NODES[id] = cluster.start(id, "--headless", "--mount", MNT[id].toString());
        }
        for (int id = 1; id <= 3; id++) {
            NODES[id].awaitLog("kDFS mounted through FUSE at", LIMIT);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster == null) {
            return;
        }
        try {
            for (int id : new int[] {3, 1, 2}) {
                if (NODES[id] != null && NODES[id].process.isAlive()) {
                    NODES[id].terminate(LIMIT);
                }
            }
        } finally {
            for (int id = 1; id <= 3; id++) {
                if (MNT[id] != null && mounted(MNT[id])) {
                    sh("fusermount -u -z " + MNT[id]); // never leave a mount behind a failed test
                }
            }
            cluster.close();
        }
    }

    private static void configure(int id, String kdfs) throws Exception {
        Path deploy = Files.createDirectories(cluster.data(id).resolve("deploy"));
        Files.writeString(deploy.resolve("io.kddm.kdfs.cfg"), kdfs);
    }

    private static NodeProcess.Result sh(String script) throws Exception {
        return NodeProcess.bash(script, LIMIT);
    }

    /** Runs {@code script} with bash, which must succeed; returns its output. */
    private static String ok(String script) throws Exception {
        return NodeProcess.bashOk(script, LIMIT);
    }

    private static boolean mounted(Path mp) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(l -> l.split(" ")[4].equals(mp.toString()));
    }

    private static String m(int id) {
        return MNT[id].toString();
    }

    @Test
    @Order(1)
    void aKilledNodesStaleMountIsClearedAtItsNextStart() throws Exception {
        // Before node 3 has written anything: a node killed takes what it owned with it (until issue 14).
        NODES[3].kill();
        assertTrue(mounted(MNT[3]), "a killed node leaves its mount behind");
        String dead = sh("ls " + m(3)).output();
        assertTrue(dead.contains("Transport endpoint is not connected"), dead);
        NODES[3] = cluster.start(3, "--headless", "--mount", MNT[3].toString());
        NODES[3].awaitLog("(?s)(kDFS mounted through FUSE at.*){2}", LIMIT);
        assertTrue(NODES[3].logText().contains("a stale FUSE mount is at " + MNT[3]), NODES[3].logText());
        ok("ls " + m(3));
    }

    @Test
    @Order(2)
    void aSourceTreeUntarredOnOneNodeReadsIdenticalFromTheOthers() throws Exception {
        Path tgz = cluster.base.resolve("include.tgz");
        ok("tar czf " + tgz + " -C /usr include");
        long start = System.nanoTime();
        ok("tar xzf " + tgz + " -C " + m(1));
        long untar = System.nanoTime() - start;
        ok("diff -r /usr/include " + m(2) + "/include");
        String files = ok("find /usr/include -type f | wc -l").strip();
        assertEquals(files, ok("find " + m(3) + "/include -type f | wc -l").strip(), "node 3 lists every file");
        System.out.printf("untar of /usr/include (%s files) through node 1's mount: %d ms; diff -r from node 2: same%n",
                files, TimeUnit.NANOSECONDS.toMillis(untar));
    }

    @Test
    @Order(3)
    void makeBuildsOnOneNodeWhatAnotherWroteAndRebuildsOnlyWhatAThirdChanged() throws Exception {
        Path proj = Files.createDirectory(MNT[1].resolve("proj")); // written through node 1's mount
        Files.writeString(proj.resolve("main.c"),
                "#include <stdio.h>\nint add(int, int);\nint main(void) { printf(\"%d\\n\", add(2, 3)); return 0; }\n");
        Files.writeString(proj.resolve("add.c"), "int add(int a, int b) { return a + b; }\n");
        Files.writeString(proj.resolve("Makefile"), "prog: main.o add.o\n\tcc -o prog main.o add.o\n%.o: %.c\n\tcc -c $<\n");
        String first = ok("make -j2 -C " + m(2) + "/proj && " + m(2) + "/proj/prog");
        assertTrue(first.contains("cc -c main.c") && first.contains("cc -c add.c") && first.strip().endsWith("5"), first);
        ok("sed -i 's/a + b/a * b/' " + m(3) + "/proj/add.c");
        String second = ok("make -j2 -C " + m(2) + "/proj && " + m(2) + "/proj/prog");
        assertTrue(second.contains("cc -c add.c"), "add.c changed on node 3 is rebuilt on node 2:\n" + second);
        assertFalse(second.contains("cc -c main.c"), "main.c did not change:\n" + second);
        assertTrue(second.strip().endsWith("6"), second);
        String third = ok("make -C " + m(1) + "/proj");
        assertTrue(third.contains("is up to date"), "node 1 sees node 2's build as current:\n" + third);
    }

    @Test
    @Order(4)
    void aGitRepositoryCommittedOnOneNodeIsWholeOnAnother() throws Exception {
        ok("mkdir " + m(1) + "/repo && cd " + m(1) + "/repo && git init -q . && cp -r " + m(1) + "/proj src"
                + " && git add . && git -c user.email=it@kddm -c user.name=it commit -qm 'first commit'"
                + " && echo change >> src/add.c && git -c user.email=it@kddm -c user.name=it commit -qam second");
        String log = ok("cd " + m(3) + "/repo && git log --oneline && git fsck --full && git status --porcelain");
        assertTrue(log.contains("first commit") && log.contains("second"), log);
        assertEquals(2, log.lines().filter(l -> l.matches("[0-9a-f]{7,} .*")).count(), log);
    }

    @Test
    @Order(5)
    void appendsFromThreeNodesAtOnceLoseAndTearNoLine() throws Exception {
        int lines = 200;
        List<Process> writers = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            writers.add(NodeProcess.builder(List.of("bash", "-c", "for i in $(seq 1 " + lines + "); do "
                    + "echo \"node-" + id + " line $i of the appends from three nodes\" >> " + m(id) + "/shared.log; done"))
                    .redirectErrorStream(true).start());
        }
        for (Process p : writers) {
            assertTrue(p.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS), "an appender hung");
            assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
        }
        List<String> read = ok("cat " + m(2) + "/shared.log").lines().toList();
        assertEquals(3 * lines, read.size(), "every line is there");
        Map<Integer, Integer> last = new TreeMap<>();
        for (String l : read) {
            assertTrue(l.matches("node-[123] line \\d+ of the appends from three nodes"), "a torn line: " + l);
            int node = l.charAt(5) - '0';
            int i = Integer.parseInt(l.split(" ")[2]);
            assertEquals(last.getOrDefault(node, 0) + 1, i, "node " + node + "'s lines in order");
            last.put(node, i);
        }
    }

    @Test
    @Order(6)
    void thePosixDriverPassesThroughTheMountsAsRootAndAsAnotherUser() throws Exception {
        Path source = Path.of("target", "test-classes", "posix", "posix.c").toAbsolutePath();
        Path driver = cluster.base.resolve("posix");
        ok("cc -O1 -Wall -o " + driver + " " + source);
        ok("mkdir -p " + m(1) + "/posix/root " + m(1) + "/posix/fixtures " + m(1) + "/posix/user && chmod 777 "
                + m(1) + "/posix/user");
        String root = ok(driver + " " + m(1) + "/posix/root root");
        ok(driver + " " + m(1) + "/posix/fixtures fixtures");
        // As nobody, on node 3, against root's files made on node 1.
        String user = ok("setpriv --reuid=65534 --regid=65534 --clear-groups " + driver + " " + m(3) + "/posix/user user "
                + m(3) + "/posix/fixtures");
        String exdev = ok(driver + " " + m(2) + "/posix exdev " + cluster.base);
        for (String tap : List.of(root, user, exdev)) {
            assertFalse(tap.contains("not ok"), tap);
        }
        System.out.printf("POSIX driver: %s checks as root (node 1), %s as nobody (node 3), %s EXDEV (node 2), all ok%n",
                plan(root), plan(user), plan(exdev));
    }

    private static String plan(String tap) {
        return tap.lines().filter(l -> l.startsWith("1..")).findFirst().orElse("1..?").substring(3);
    }

    @Test
    @Order(7)
    void directoriesMoveAcrossPartitionsAndLinksAndFifosLookTheSameEverywhere() throws Exception {
        ok("mkdir -p " + m(1) + "/from-1/sub && echo one > " + m(1) + "/from-1/sub/file");
        ok("mkdir -p " + m(2) + "/from-2 && echo two > " + m(2) + "/from-2/file");
        ok("mv " + m(3) + "/from-1 " + m(3) + "/from-2/moved");
        assertEquals("one", ok("cat " + m(1) + "/from-2/moved/sub/file").strip());
        assertEquals(1, sh("test -e " + m(2) + "/from-1").status(), "the old name is gone on node 2");
        ok("ln " + m(1) + "/from-2/file " + m(1) + "/hard && ln -s from-2/file " + m(1) + "/soft && mkfifo "
                + m(1) + "/fifo");
        assertEquals("2 two", ok("echo $(stat -c %h " + m(3) + "/hard) $(cat " + m(3) + "/hard)").strip());
        assertEquals("from-2/file two", ok("echo $(readlink " + m(2) + "/soft) $(cat " + m(2) + "/soft)").strip());
        assertEquals("fifo", ok("stat -c %F " + m(3) + "/fifo").strip());
        String df = ok("df -P " + m(3) + " | tail -1");
        assertTrue(df.startsWith("kdfs ") && Long.parseLong(df.split("\\s+")[1]) > 0, df);
        assertEquals(1, sh("rmdir " + m(2) + "/from-2").status(), "a directory with entries is not removed");
        String err = sh("mkdir " + m(2) + "/from-2").output();
        assertTrue(err.contains("File exists"), err);
    }

    @Test
    @Order(8)
    void anUpdateOfTheFuseBundleUnmountsAndTheNewOneMountsAgain() throws Exception {
        Path deploy = cluster.data(2).resolve("deploy");
        Path jar = deploy.resolve("io.kddm.kdfs.fuse.jar");
        Path next = cluster.data(2).resolve("io.kddm.kdfs.fuse.jar.v2");
        try (var in = Files.newInputStream(jar)) {
            Files.write(next, Jars.withVersion(in, "0.1.0.v2"));
        }
        Files.move(next, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE); // File Install updates the bundle
        NODES[2].awaitLog("kDFS FUSE mount at " + MNT[2] + " unmounted: the FUSE bundle", LIMIT);
        NODES[2].awaitLog("(?s)(kDFS mounted through FUSE at " + MNT[2] + ".*){2}", LIMIT);
        assertEquals("two", ok("cat " + m(2) + "/from-2/file").strip(), "node 2's mount serves again");
    }

    @Test
    @Order(9)
    void aNewMountFolderInTheConfigurationAppliesLive() throws Exception {
        Path other = Files.createDirectories(cluster.base.resolve("mnt-1b"));
        configure(1, "partition=" + cluster.data(1).resolve("kdfs") + "\nmount=" + other + "\n");
        NODES[1].awaitLog("kDFS mounted through FUSE at " + other, LIMIT);
        assertFalse(mounted(MNT[1]), "the old folder is unmounted");
        assertTrue(NODES[1].logText().contains("kDFS FUSE mount at " + MNT[1] + " unmounted: io.kddm.kdfs mount="),
                NODES[1].logText());
        assertEquals("one", ok("cat " + other + "/from-2/moved/sub/file").strip());
        MNT[1] = other;
    }

    @Test
    @Order(10)
    void sigtermUnmountsAndWhatTheNodeWroteStays() throws Exception {
        // A program holds a file open through the mount: the node's stop must not wait for it.
        Process holder = NodeProcess.builder(List.of("bash", "-c", "exec sleep 600 < " + m(3) + "/shared.log"))
                .start();
        try {
            long deadline = System.nanoTime() + LIMIT.toNanos();
            while (!ok("ls -l /proc/" + holder.pid() + "/fd 2>/dev/null || true").contains(m(3) + "/shared.log")) {
                assertTrue(holder.isAlive() && System.nanoTime() < deadline, "the holder never opened the file");
                Thread.sleep(20);
            }
            assertEquals(0, NODES[3].terminate(LIMIT));
        } finally {
            holder.destroyForcibly();
        }
        assertFalse(mounted(MNT[3]), "SIGTERM unmounts");
        String log = NODES[3].logText();
        assertTrue(log.contains("kDFS FUSE mount at " + MNT[3] + " unmounted"), log);
        assertTrue(log.contains("files were still open through the mount") || log.contains("files are still open "
                + "through the detached mount"), "the open file was seen at the unmount:\n" + log);
        // node 3 left in order: what it wrote through its mount (its appends, the move) is all on node 1's
        assertEquals(600, ok("cat " + m(1) + "/shared.log").lines().count());
        assertEquals("one", ok("cat " + m(1) + "/from-2/moved/sub/file").strip());
    }
}
