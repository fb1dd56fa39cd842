package io.kddm.runtime;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real network cuts between nodes on their own loopback addresses
 * (127.0.0.N), with iptables: a chain of this test run's own, jumped to from
 * INPUT, dropping the packets between the addresses cut apart. {@link #close}
 * removes the chain and the jump, and nothing else. Needs root and iptables
 * ({@code .ci/run} installs it).
 */
final class PacketFilter implements AutoCloseable {
    private final String chain = "KDDM_IT_" + ProcessHandle.current().pid();

    PacketFilter() throws IOException, InterruptedException {
        run("-N", chain);
        run("-I", "INPUT", "-j", chain);
    }

    /** Nothing goes between {@code a} and {@code b} any more, either way (TCP segments are dropped, not refused). */
    void cut(String a, String b) throws IOException, InterruptedException {
        run("-A", chain, "-s", a, "-d", b, "-j", "DROP");
        run("-A", chain, "-s", b, "-d", a, "-j", "DROP");
    }

    /** Every cut of this filter mends. */
    void heal() throws IOException, InterruptedException {
        run("-F", chain);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        List<String> failures = new ArrayList<>();
        for (String[] cmd : new String[][] {{"-D", "INPUT", "-j", chain}, {"-F", chain}, {"-X", chain}}) {
            try {
                run(cmd);
            } catch (AssertionError e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("could not remove the test's packet filter: " + failures);
        }
    }

    private static void run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("iptables", "-w"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("iptables is needed for the network-cut tests (apt-get install iptables, as "
                    + "root): " + e.getMessage(), e);
        }
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + new String(p.getInputStream().readAllBytes()));
        }
    }
}
