package io.kddm.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.OutputStreamWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.impl.LocalKdfs;
import io.kddm.transport.mina.TransportSettings;

/**
 * kDFS on one node, or on three:
 * <ul>
 * <li>one node: node 1 in this JVM, its partition holding the root;</li>
 * <li>three nodes: node 1 in this JVM with a partition of its own, node 2 in a
 * JVM of its own (started here, {@link KdfsNode#main}) whose partition holds the
 * root, node 3 in this JVM and diskless (what it makes is stored on the parent
 * directory's node). All three talk over MINA on 127.0.0.1 TCP.</li>
 * </ul>
 * The benchmark drives nodes 1 and 3 through {@link Kdfs}; node 2 only serves
 * (it is the home of what is stored on it).
 */
final class KdfsNodes {
    private static final String CHILD_HEAP = "-Xmx1536m";

    private final KdfsNode one;
    private final KdfsNode three;
    private final Child two;
    private boolean halted;

    private KdfsNodes(KdfsNode one, KdfsNode three, Child two) {
        this.one = one;
        this.three = three;
        this.two = two;
    }

    /** Formats the partitions of {@link #one} (p1) or {@link #three} (p1, p2): what is on them is lost. */
    static void format(Path p1, Path p2) {
        if (p2 == null) {
            LocalKdfs.mkfs(p1, 1, 1, true);
        } else {
            LocalKdfs.mkfs(p1, 1, 2, true);
            LocalKdfs.mkfs(p2, 2, 2, true);
        }
    }

    /** Node 1 alone over partition {@code p1}. */
    static KdfsNodes one(Path p1, byte[] secret, long budget) throws Exception {
        KdfsNode n1 = new KdfsNode(1, 1, List.of(), secret, budget);
        try {
            n1.kdfs.mount(p1, null);
            n1.awaitUp(1);
            return new KdfsNodes(n1, null, null);
        } catch (Exception | Error e) {
            n1.halt();
            throw e;
        }
    }

    /** Node 1 over p1 and node 3 diskless in this JVM, node 2 over p2 (the root) in a JVM of its own. */
    static KdfsNodes three(Path p1, Path p2, byte[] secret, long budget) throws Exception {
        KdfsNode n1 = new KdfsNode(1, 3, List.of(), secret, budget);
        KdfsNode n3 = null;
        Child n2 = null;
        try {
            n2 = new Child(p2, secret, budget, n1.address());
            n3 = new KdfsNode(3, 3, List.of(n1.address(), n2.address), secret, budget);
            n1.kdfs.mount(p1, null);
            n3.kdfs.mount(null, LocalKdfs.rootIno(2));
            n1.awaitUp(3);
            n3.awaitUp(3);
            n2.expect("mounted", 60);
            return new KdfsNodes(n1, n3, n2);
        } catch (Exception | Error e) {
            n1.halt();
            if (n3 != null) {
                n3.halt();
            }
            if (n2 != null) {
                n2.halt();
            }
            throw e;
        }
    }

    /** Node 2 in a JVM of its own, driven through its standard input and output. */
    private static final class Child {
        private final Process process;
        private final BlockingQueue<String> out = new LinkedBlockingQueue<>();
        private final PrintWriter in;
        final InetSocketAddress address;

        Child(Path partition, byte[] secret, long budget, InetSocketAddress seed) throws Exception {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = List.of(java, CHILD_HEAP, "-XX:+UseParallelGC", "-cp",
                    System.getProperty("java.class.path"), KdfsNode.class.getName(), "2",
                    HexFormat.of().formatHex(secret), Long.toString(budget), partition.toString(),
                    Integer.toUnsignedString(LocalKdfs.rootIno(2)), "3", seed.getHostString() + ":" + seed.getPort());
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            in = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null;) {
                        out.add(line);
                    }
                } catch (IOException e) {
                    // gone: expect() says so
                }
                out.add("<exited>");
            }, "kdfs-node-2-output");
            reader.setDaemon(true);
            reader.start();
            try {
                String listening = expect("listening ", 60);
                address = TransportSettings.address(listening.substring("listening ".length()), "node 2");
            } catch (Exception | Error e) {
                halt();
                throw e;
            }
        }

        String expect(String prefix, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (true) {
                String line = out.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new IllegalStateException("node 2 (a JVM of its own) did not say '" + prefix
                            + "' within " + seconds + " s");
                }
                if (line.equals("<exited>")) {
                    throw new IllegalStateException("node 2 (a JVM of its own) exited before saying '" + prefix
                            + "'");
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
        }

        /** Asks it to stop at once; ends it (this process only) if it has not within 30 s. */
        void halt() throws InterruptedException {
            in.println("halt");
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }

    /** Node 1 or, of three, node 3. */
    Kdfs fs(int id) {
        return node(id).fs();
    }

    private KdfsNode node(int id) {
        return switch (id) {
            case 1 -> one;
            case 3 -> three;
            default -> throw new IllegalArgumentException("node " + id + " is not in this JVM");
        };
    }

    /** Writes back what node {@code id} (1 or 3, in this JVM) changed. */
    void sync(int id) {
        node(id).kdfs.sync();
    }

    /** Stops every node at once (everything must have been written back). */
    void halt() throws InterruptedException {
        if (halted) {
            return;
        }
        halted = true;
        one.halt();
        if (three != null) {
            three.halt();
        }
        if (two != null) {
            two.halt();
        }
    }
}
