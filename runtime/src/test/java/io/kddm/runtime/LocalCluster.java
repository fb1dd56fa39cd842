package io.kddm.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Nodes 1..N of one test on 127.0.0.1: their folder, secret and free ports.
 * {@link #close} kills every node it started that is still running (by its own
 * process handle, never anything else), all of them even if one fails to die.
 */
final class LocalCluster implements AutoCloseable {
    final Path base;
    final Path secret;
    private final String[] address;
    private final int[] ids;
    private final int[] http;
    private final List<NodeProcess> running = new ArrayList<>();

    LocalCluster(String name, int nodes) throws IOException {
        this(name, nodes, false);
    }

    /**
     * @param ownAddresses node N listens (and dials from) 127.0.0.N instead of
     *                     127.0.0.1, so that a packet filter can cut two nodes apart
     */
    LocalCluster(String name, int nodes, boolean ownAddresses) throws IOException {
        base = Files.createDirectories(Path.of("target", name, String.valueOf(System.nanoTime())).toAbsolutePath());
        secret = Files.writeString(base.resolve("secret"), name + " " + System.nanoTime());
        address = new String[nodes + 1];
        ids = new int[nodes];
        http = new int[nodes + 1];
        for (int id = 1; id <= nodes; id++) {
            address[id] = (ownAddresses ? "127.0.0." + id : "127.0.0.1") + ":" + NodeProcess.freePort();
            ids[id - 1] = id;
        }
    }

    /** Node {@code id}'s host (its address without the port). */
    String host(int id) {
        return address[id].substring(0, address[id].lastIndexOf(':'));
    }

    /** Node {@code id}'s HTTP port (its {@code --http}), chosen once, free when chosen. */
    synchronized int httpPort(int id) throws IOException {
        if (http[id] == 0) {
            http[id] = NodeProcess.freePort();
        }
        return http[id];
    }

    /** {@code http://127.0.0.1:PORT/PATH} of node {@code id}'s HTTP service; {@code path} starts with '/'. */
    java.net.URI url(int id, String path) throws IOException {
        return java.net.URI.create("http://127.0.0.1:" + httpPort(id) + path);
    }

    /** Node {@code id}'s data folder (created), for files it must find when it starts. */
    Path data(int id) throws IOException {
        return Files.createDirectories(base.resolve("node-" + id));
    }

    /** Every node opens the well-known {@code set} of {@code family} when the family comes (so after a restart too). */
    void wellKnown(String set, String family) throws IOException {
        for (int id = 1; id < address.length; id++) {
            Path deploy = Files.createDirectories(data(id).resolve("deploy"));
            Files.writeString(deploy.resolve("io.kddm.core.cfg"), "well.known=" + set + "=" + family + "\n");
        }
    }

    /** Every node keeps {@code n} backups of each object of {@code family} (io.kddm.core.cfg, after {@link #wellKnown}). */
    void backups(String family, int n) throws IOException {
        for (int id = 1; id < address.length; id++) {
            Files.writeString(Files.createDirectories(data(id).resolve("deploy")).resolve("io.kddm.core.cfg"),
                    "backups." + family + "=" + n + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        }
    }

    /**
     * Script lines for node {@code id} of {@code nodes}: a barrier named {@code name}
     * on the map {@code map} (map:* options and set), which every node passes once all have reached it.
     */
    static String barrier(String map, String name, int id, int nodes) {
        StringBuilder s = new StringBuilder("map:put " + map + " " + name + "-" + id + " yes\nmap:await --timeout 120 "
                + map);
        for (int n = 1; n <= nodes; n++) {
            s.append(' ').append(name).append('-').append(n);
        }
        return s.append('\n').toString();
    }

    /**
     * Script lines that end a script: a {@link #barrier} after which the node
     * prints {@code HELD} and stays up (at most 300 s) until {@link #release}
     * stops it. A node that passed the last barrier must not leave by itself: with
     * 3 voters, once two have left, the last one can do nothing (it holds no
     * lease), and a barrier's last reader may still be reading.
     */
    static String lastBarrier(String map, String name, int id, int nodes) {
        return barrier(map, name, id, nodes) + "echo HELD\nsleep 300\n";
    }

    /**
     * Once every node printed {@code HELD} (all passed their last barrier), stops
     * them with SIGTERM one at a time in {@code order} (each leaves in order; put
     * last a node that homes what matters: the last one up holds no lease and can
     * only store what it owns and homes); returns their exit statuses by id.
     */
    static int[] release(NodeProcess[] nodes, Duration limit, int... order) throws IOException, InterruptedException {
        for (int id : order) {
            nodes[id].awaitOutput("(?m)^HELD$", limit);
        }
        int[] status = new int[nodes.length];
        for (int id : order) {
            status[id] = nodes[id].terminate(limit);
        }
        return status;
    }

    /**
     * Once {@code node} prints the line {@code signal}, pauses it (SIGSTOP) 5 s,
     * past the failure bound (dead.after.ms 3000), resumes it and waits until it
     * finds it was taken out of the cluster; true then (else it fails).
     */
    boolean pausedAtItsSignal(NodeProcess node, String signal, Duration limit) throws IOException,
            InterruptedException {
        node.awaitOutput("(?m)^" + signal + "$", limit);
        node.pause();
        Thread.sleep(5000);
        node.resume();
        node.awaitLog("node " + node.id + " was taken out of the cluster", limit);
        return true;
    }

    /**
     * Once {@code node} prints the line {@code signal}, cuts it off from nodes
     * {@code others} (iptables; the cluster must give each node its own address)
     * for 6 s, past the failure bound, heals the cut and waits until it finds it
     * was taken out of the cluster; true then (else it fails).
     */
    boolean cutOffAtItsSignal(NodeProcess node, String signal, Duration limit, int... others) throws IOException,
            InterruptedException {
        node.awaitOutput("(?m)^" + signal + "$", limit);
        try (PacketFilter filter = new PacketFilter()) {
            for (int other : others) {
                filter.cut(host(node.id), host(other));
            }
            Thread.sleep(6000);
            filter.heal();
        }
        node.awaitLog("node " + node.id + " was taken out of the cluster", limit);
        return true;
    }

    /** Starts node {@code id} with every other node as a peer and HTTP on {@link #httpPort}. */
    NodeProcess startWithHttp(int id, String... extra) throws IOException {
        String[] options = java.util.Arrays.copyOf(extra, extra.length + 2);
        options[extra.length] = "--http";
        options[extra.length + 1] = String.valueOf(httpPort(id));
        return start(id, options);
    }

    /** Starts node {@code id} with every other node as a peer. */
    NodeProcess start(int id, String... extra) throws IOException {
        NodeProcess n = NodeProcess.start(id, address[id], NodeProcess.peers(address, id, ids), secret, base, extra);
        running.add(n);
        return n;
    }

    @Override
    public void close() throws InterruptedException {
        AssertionError failure = null;
        for (NodeProcess n : running) {
            try {
                n.kill(); // a node that already exited is simply reaped
            } catch (AssertionError e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        running.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
