package io.kddm.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * kDFS across three JVMs over real TCP on 127.0.0.1: nodes 1 and 2 have
 * partitions (the root directory on node 1), node 3 is diskless. Every node
 * makes a tree, and every node reads all of them; the three create one name at
 * once (one winner), append to one file at once (no byte lost), and move a
 * directory into one stored on another node. The whole cluster stops, starts
 * again, and the tree and its bytes read back identical on every node; the
 * partitions show the documented layout. Nodes meet at barriers of a map (the
 * map linker over the well-known set 0:9 of the {@code file} family).
 */
class KdfsClusterIT {
    private static final Duration LIMIT = Duration.ofSeconds(240);
    private static final String MAP = "--base " + (1 << 24) + " 0:9";
    private static final int APPENDS = 200;

    private LocalCluster cluster;

    @AfterEach
    void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String barrier(String name, int id) {
        return LocalCluster.barrier(MAP, name, id, 3);
    }

    private void configure(int id, String partition) throws Exception {
        Path deploy = Files.createDirectories(cluster.data(id).resolve("deploy"));
        Files.writeString(deploy.resolve("io.kddm.kdfs.cfg"), partition);
    }

    private Path partition(int id) throws Exception {
        return cluster.data(id).resolve("kdfs");
    }

    private String[] runAll(String... scripts) throws Exception {
        NodeProcess[] nodes = new NodeProcess[4];
        for (int id = 1; id <= 3; id++) {
            nodes[id] = cluster.start(id, "--exec", scripts[id - 1], "--wait", "30");
        }
        // The diskless node leaves first, node 2 (a partition, the home of the barriers' buckets too) last.
        int[] status = LocalCluster.release(nodes, LIMIT, 3, 1, 2);
        String[] out = new String[4];
        for (int id = 1; id <= 3; id++) {
            assertEquals(0, status[id], "node " + id + ":\n" + nodes[id].output() + nodes[id].logText());
            out[id] = nodes[id].output();
        }
        return out;
    }

    /**
     * The text between two marker lines the scripts print with {@code echo}, without
     * the warnings the node printed meanwhile on standard error (merged into the same
     * file: a Raft warning during a restart on a loaded machine landed inside a listing).
     */
    private static String between(String out, String from, String to) {
        Matcher m = Pattern.compile("(?s)" + from + "\\R(.*?)" + to).matcher(out);
        assertTrue(m.find(), "no " + from + " ... " + to + " in:\n" + out);
        return NodeProcess.withoutConsoleLog(m.group(1)).strip();
    }

    @Test
    void aTreeMadeOnThreeNodesReadsTheSameEverywhereAndSurvivesAFullRestart() throws Exception {
        cluster = new LocalCluster("kdfs-it", 3);
        cluster.wellKnown("0:9", "file");
        // node 2 formatted by the launcher, node 1 by its own command; node 3 diskless
        NodeProcess.Result mkfs = NodeProcess.run(List.of(NodeProcess.ROOT.resolve("kddm").toString(), "mkfs.kdfs",
                partition(2).toString(), "1", "--node", "2"), Duration.ofSeconds(60));
        assertEquals(0, mkfs.status(), mkfs.output());
        configure(2, "partition=" + partition(2) + "\n");
        configure(3, "partition=NONE\nroot=1:1\n");
        // a local file of five data pages and a bit, imported by node 2, exported by node 3
        byte[] local = new byte[5 * 65536 + 123];
        new java.util.Random(3).nextBytes(local);
        Path in = Files.write(cluster.base.resolve("import.bin"), local);
        Path out3 = cluster.base.resolve("export.bin");
        String[] scripts = new String[3];
        for (int id = 1; id <= 3; id++) {
            int other = id % 3 + 1;
            StringBuilder s = new StringBuilder("kddm:nodes --await 3\n");
            if (id == 1) {
                s.append("kdfs:mkfs ").append(partition(1)).append(" 1\nkdfs:mount ").append(partition(1)).append('\n');
            }
            s.append(barrier("mounted", id));
            s.append("kdfs:mkdir /n").append(id).append('\n');
            s.append("kdfs:write /n").append(id).append("/hello 'hello from node ").append(id).append("'\n");
            s.append("kdfs:mkdir -p /n").append(id).append("/sub/deeper\n");
            s.append("kdfs:write /n").append(id).append("/sub/deeper/file 'deep ").append(id).append("'\n");
            s.append("kdfs:ln -s /n").append(id).append("/hello /n").append(id).append("/link\n");
            s.append(barrier("race", id)).append("kdfs:touch /race\n"); // the three at once
            if (id == 1) {
                s.append("kdfs:write /scratch x\nkdfs:stat /scratch\nkdfs:rm /scratch\n");
            }
            if (id == 2) {
                s.append("kdfs:import ").append(in).append(" /imported\n");
            }
            s.append("kdfs:append --times ").append(APPENDS).append(" /log ").append(id).append("-record.\n");
            s.append(barrier("built", id));
            s.append("echo TREE-1\nkdfs:tree /\necho END-1\n");
            s.append(barrier("read", id)); // a tree walk is not a snapshot: nobody moves while others read
            if (id == 3) {
                s.append("kdfs:export /imported ").append(out3).append('\n');
            }
            s.append("kdfs:mv /n").append(id).append("/sub /n").append(other).append("/from-").append(id).append('\n');
            s.append(barrier("moved", id));
            s.append("echo TREE-2\nkdfs:tree /\necho END-2\necho LOG\nkdfs:cat /log\necho\necho END-LOG\nkdfs:where /n").append(id)
                    .append("/hello\nkdfs:sync\n");
            s.append(LocalCluster.lastBarrier(MAP, "synced", id, 3));
            scripts[id - 1] = s.toString();
        }
        long start = System.nanoTime();
        String[] out = runAll(scripts);
        long first = System.nanoTime() - start;

        assertTrue(out[1].contains("type:   REGULAR") && out[1].contains("removed /scratch"), out[1]);
        assertTrue(out[2].contains("imported " + local.length + " bytes"), out[2]);
        assertTrue(java.util.Arrays.equals(local, Files.readAllBytes(out3)), "node 3 exported what node 2 imported");
        // one winner of the race, the others told EEXIST
        int created = 0;
        for (int id = 1; id <= 3; id++) {
            created += out[id].contains("created /race") ? 1 : 0;
            assertTrue(out[id].contains("created /race") || out[id].contains("exists (EEXIST) /race"), out[id]);
        }
        assertEquals(1, created, "exactly one node created /race");
        // every node read the same trees, with everybody's files, and the moves
        String tree1 = between(out[1], "TREE-1", "END-1");
        String tree2 = between(out[1], "TREE-2", "END-2");
        for (int id = 1; id <= 3; id++) {
            assertEquals(tree1, between(out[id], "TREE-1", "END-1"), "node " + id + " before the moves");
            assertEquals(tree2, between(out[id], "TREE-2", "END-2"), "node " + id + " after the moves");
            assertTrue(tree1.contains("/n" + id + "/hello REGULAR 644 links=1 size=17"), tree1);
            assertTrue(tree1.contains("/n" + id + "/link SYMLINK 777 links=1 -> /n" + id + "/hello"), tree1);
            assertTrue(tree2.contains("/n" + (id % 3 + 1) + "/from-" + id + "/deeper/file REGULAR"), tree2);
            assertTrue(!tree2.contains("/n" + id + "/sub"), tree2);
            // appends: none lost, from every node
            assertTrue(tree2.contains("/log REGULAR 644 links=1 size=" + 3 * APPENDS * "1-record.".length()), tree2);
            String log = between(out[id], "LOG", "END-LOG");
            for (int writer = 1; writer <= 3; writer++) {
                assertEquals(APPENDS, log.split(writer + "-record\\.", -1).length - 1,
                        "node " + id + " reads every record of node " + writer);
            }
        }
        assertTrue(out[2].contains("is stored on node 2 in " + partition(2)), out[2]);
        for (int id = 1; id <= 3; id++) {
            // every node read every file (the tree's CRCs): all three cache its inode and its data page
            Matcher cached = Pattern.compile("inode cached on nodes \\[(\\d), (\\d), (\\d)\\] \\(owner first\\)\\n"
                    + "data pages cached, of 1: node 1 1  node 2 1  node 3 1\\n").matcher(out[id]);
            assertTrue(cached.find(), out[id]);
            assertEquals(java.util.Set.of("1", "2", "3"), java.util.Set.of(cached.group(1), cached.group(2),
                    cached.group(3)), "three different nodes: " + cached.group());
        }
        assertTrue(out[3].contains("is stored on node 1"), "the diskless node's entries go to its parent's node");

        // the documented layout, readable with ls
        for (int id : new int[] {1, 2}) {
            assertTrue(Files.isRegularFile(partition(id).resolve("...")));
            try (Stream<Path> entries = Files.list(partition(id).resolve("0-99"))) {
                for (Path e : entries.toList()) {
                    assertTrue(e.getFileName().toString().matches("\\d+"), e.toString());
                    assertTrue(Files.isRegularFile(e.resolve(".meta")) && Files.isRegularFile(e.resolve(".content")),
                            "entry " + e + " holds .meta and .content");
                }
            }
        }
        assertTrue(Files.isRegularFile(partition(1).resolve("0-99/1/.meta")), "the root is 0-99/1 on node 1");
        assertTrue(!Files.exists(partition(2).resolve("0-99/1")), "no root on node 2");
        assertTrue(Files.readString(partition(2).resolve("...")).contains("node=2"));

        // stop everything (done), start again: the partitions are mounted from the configuration
        configure(1, "partition=" + partition(1) + "\n");
        String[] again = new String[3];
        for (int id = 1; id <= 3; id++) {
            again[id - 1] = "kddm:nodes --await 3\n" + barrier("up", id) + "echo TREE-3\nkdfs:tree /\necho END-3\n"
                    + "kdfs:cat /n" + id + "/hello\necho\nkdfs:df\n" + LocalCluster.lastBarrier(MAP, "checked", id, 3);
        }
        start = System.nanoTime();
        String[] after = runAll(again);
        long second = System.nanoTime() - start;
        for (int id = 1; id <= 3; id++) {
            assertEquals(tree2, between(after[id], "TREE-3", "END-3"), "node " + id + " after the restart");
            assertTrue(after[id].contains("hello from node " + id), after[id]);
            Matcher df = Pattern.compile("\\n1 +(\\d+) +(\\d+) +(\\d+)\\n2 +(\\d+) +(\\d+) +(\\d+)\\n"
                    + "total +(\\d+) +(\\d+) +(\\d+)\\n").matcher(after[id]);
            assertTrue(df.find(), "df lists the partitions of nodes 1 and 2, then the total:\n" + after[id]);
            for (int column = 1; column <= 3; column++) {
                assertEquals(Long.parseLong(df.group(column)) + Long.parseLong(df.group(column + 3)),
                        Long.parseLong(df.group(column + 6)), "df's total is the sum, column " + column);
            }
        }
        System.out.println("kDFS cluster: built, raced, appended " + 3 * APPENDS + " records and moved on 3 JVMs in "
                + first / 1_000_000 + " ms; after a full restart every node read the same tree ("
                + tree2.lines().count() + " entries) in " + second / 1_000_000 + " ms");
    }
}
