package io.kddm.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    private final List<NodeProcess> running = new ArrayList<>();

    LocalCluster(String name, int nodes) throws IOException {
        base = Files.createDirectories(Path.of("target", name, String.valueOf(System.nanoTime())).toAbsolutePath());
        secret = Files.writeString(base.resolve("secret"), name + " " + System.nanoTime());
        address = new String[nodes + 1];
        ids = new int[nodes];
        for (int id = 1; id <= nodes; id++) {
            address[id] = "127.0.0.1:" + NodeProcess.freePort();
            ids[id - 1] = id;
        }
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
