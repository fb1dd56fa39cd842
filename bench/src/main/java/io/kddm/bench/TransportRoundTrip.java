package io.kddm.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

import org.HdrHistogram.Histogram;

import io.kddm.transport.mina.MinaTransport;
import io.kddm.transport.mina.TransportSettings;

/**
 * Round trip of the MINA transport (request/reply between two nodes over
 * loopback TCP) next to a plain blocking NIO socket echo, in the same run.
 * <ul>
 * <li>idle: one caller, one request at a time;</li>
 * <li>busy: four callers at once (the transport multiplexes them on its one
 * connection per node pair; the plain socket gets one connection per caller,
 * its best case).</li>
 * </ul>
 * Each cell is the median over rounds of that round's percentile.
 */
public final class TransportRoundTrip {
    private static final int BUSY_CALLERS = 4;

    private interface Caller extends AutoCloseable {
        void call(byte[] payload) throws Exception;

        @Override
        void close() throws IOException;
    }

    private interface Peer extends AutoCloseable {
        Caller caller() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** @param ratio median over rounds of this round's p50 over the plain socket's p50 */
    record Row(String system, int payload, String regime, double p50, double p99, double rate, double ratio) {
    }

    private interface Measure {
        double[] run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.parse(args);
        int rounds = a.rounds(5);
        int iterations = a.quick() ? 2_000 : 20_000;
        List<Row> rows = new ArrayList<>();
        try (MinaPeer mina = new MinaPeer(); NioPeer nio = new NioPeer()) {
            for (int payload : new int[] {16, 4096}) {
                for (String regime : new String[] {"idle", "busy"}) {
                    int callers = regime.equals("idle") ? 1 : BUSY_CALLERS;
                    // Chained requests are one caller by nature: measured in the idle regime only.
                    List<Measure> systems = new ArrayList<>(List.of(() -> measure(mina, payload, callers, iterations),
                            () -> measure(nio, payload, callers, iterations)));
                    if (callers == 1) {
                        systems.add(() -> mina.chained(payload, iterations));
                    }
                    List<List<double[]>> figures = new ArrayList<>();
                    systems.forEach(x -> figures.add(new ArrayList<>()));
                    for (int r = 0; r < rounds; r++) {
                        // Rotate which goes first, so that none always gets a warmer machine.
                        for (int k = 0; k < systems.size(); k++) {
                            int i = (k + r) % systems.size();
                            figures.get(i).add(systems.get(i).run());
                        }
                    }
                    Row m = row("kDDM transport (MINA)", payload, regime, figures.get(0), figures.get(1));
                    Row n = row("plain NIO socket", payload, regime, figures.get(1), figures.get(1));
                    rows.add(m);
                    rows.add(n);
                    if (callers == 1) {
                        rows.add(row("kDDM transport, chained on its I/O thread", payload, regime, figures.get(2),
                                figures.get(1)));
                    }
                    System.err.printf(Locale.ROOT, "%5d B %s: MINA p50 %.1f us, NIO p50 %.1f us (%.2f x)%n", payload,
                            regime, m.p50, n.p50, m.ratio);
                }
            }
        }
        String table = table(rows, rounds, iterations);
        System.out.println(table);
        a.writeSection("transport", "Transport round trip (issue 2)", "bench/run transport", table);
    }

    private static Row row(String system, int payload, String regime, List<double[]> rounds, List<double[]> plain) {
        List<Double> ratios = new ArrayList<>();
        for (int r = 0; r < rounds.size(); r++) {
            ratios.add(rounds.get(r)[0] / plain.get(r)[0]);
        }
        return new Row(system, payload, regime, median(rounds, 0), median(rounds, 1), median(rounds, 2),
                Figures.median(ratios));
    }

    private static double median(List<double[]> rounds, int column) {
        return Figures.median(rounds.stream().map(r -> r[column]).toList());
    }

    /** One round: {p50 us, p99 us, calls per second}. */
    private static double[] measure(Peer peer, int payloadSize, int callers, int iterations) throws Exception {
        byte[] payload = new byte[payloadSize];
        Histogram all = Figures.histogram();
        List<Thread> threads = new ArrayList<>();
        List<Histogram> histograms = new ArrayList<>();
        CountDownLatch warmed = new CountDownLatch(callers);
        CountDownLatch start = new CountDownLatch(1);
        List<Exception> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int c = 0; c < callers; c++) {
            Histogram h = Figures.histogram();
            histograms.add(h);
            Caller caller = peer.caller();
            Thread t = new Thread(() -> {
                try (caller) {
                    try {
                        for (int i = 0; i < iterations / 4; i++) {
                            caller.call(payload); // warm-up
                        }
                    } finally {
                        warmed.countDown();
                    }
                    start.await();
                    for (int i = 0; i < iterations; i++) {
                        long t0 = System.nanoTime();
                        caller.call(payload);
                        h.recordValue(System.nanoTime() - t0);
                    }
                } catch (Exception e) {
                    failures.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        warmed.await(); // the measured time holds measured calls only, all callers at once
        long began = System.nanoTime();
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        long elapsed = System.nanoTime() - began;
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
        histograms.forEach(all::add);
        return new double[] {all.getValueAtPercentile(50) / 1000.0, all.getValueAtPercentile(99) / 1000.0,
            (double) callers * iterations / (elapsed / 1e9)};
    }

    private static String table(List<Row> rows, int rounds, int iterations) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Two endpoints in one JVM over 127.0.0.1 TCP; %d rounds of %d calls per "
                + "caller (after %d warm-up calls); busy = %d concurrent callers. Median over rounds; the ratio is the median "
                + "of each round's ratio.%n%n", rounds,
                iterations, iterations / 4, BUSY_CALLERS));
        b.append("| payload | regime | system | p50 (us) | p99 (us) | calls/s | p50 ratio to plain |\n");
        b.append("|---:|---|---|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "| %d B | %s | %s | %.1f | %.1f | %,.0f | %.2f x |%n", r.payload,
                    r.regime, r.system, r.p50, r.p99, r.rate, r.ratio));
        }
        return b.toString();
    }

    /** Two transports, nodes 1 and 2; node 2 echoes. */
    private static final class MinaPeer implements Peer {
        private final MinaTransport server;
        private final MinaTransport client;

        MinaPeer() throws Exception {
            byte[] secret = "bench secret".getBytes(StandardCharsets.UTF_8);
            server = new MinaTransport(TransportSettings.of(2, new InetSocketAddress("127.0.0.1", 0), List.of(),
                    secret));
            Echo.serve(server);
            server.start();
            client = new MinaTransport(TransportSettings.of(1, new InetSocketAddress("127.0.0.1", 0),
                    List.of(server.listenAddress()), secret));
            client.start();
            Figures.await("transports connected", Duration.ofSeconds(10), () -> client.connectedNodes().contains(2));
        }

        @Override
        public Caller caller() {
            return new Caller() {
                @Override
                public void call(byte[] payload) throws Exception {
                    Echo.call(client, 2, payload);
                }

                @Override
                public void close() {
                }
            };
        }

        /**
         * Each request is sent from the completion of the previous one, on the
         * transport's I/O thread: the round trip without the two hand-offs to and
         * from a blocked caller thread.
         */
        double[] chained(int payloadSize, int iterations) throws Exception {
            byte[] payload = new byte[payloadSize];
            Histogram h = Figures.histogram();
            CountDownLatch done = new CountDownLatch(1);
            Throwable[] failed = {null};
            int total = iterations + iterations / 4;
            int[] sent = {0};
            long[] t0 = {0};
            long[] began = {0};
            Runnable[] next = new Runnable[1];
            next[0] = () -> {
                t0[0] = System.nanoTime();
                Echo.request(client, 2, payload).whenComplete((reply, failure) -> {
                    int n = ++sent[0];
                    if (n > iterations / 4) {
                        h.recordValue(System.nanoTime() - t0[0]);
                    } else if (n == iterations / 4) {
                        began[0] = System.nanoTime();
                    }
                    if (failure != null || n == total) {
                        failed[0] = failure;
                        done.countDown();
                    } else {
                        next[0].run();
                    }
                });
            };
            next[0].run();
            done.await();
            if (failed[0] != null) {
                throw new IllegalStateException("chained round trip failed", failed[0]);
            }
            double seconds = (System.nanoTime() - began[0]) / 1e9;
            return new double[] {h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                iterations / seconds};
        }

        @Override
        public void close() {
            client.stop();
            server.stop();
        }
    }

    /** A blocking echo server, one thread and one connection per caller; frames are length-prefixed. */
    private static final class NioPeer implements Peer {
        private final ServerSocketChannel server;
        private final Thread acceptor;

        NioPeer() throws IOException {
            server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            acceptor = new Thread(() -> {
                while (server.isOpen()) {
                    try {
                        SocketChannel c = server.accept();
                        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        Thread echo = new Thread(() -> echo(c));
                        echo.setDaemon(true);
                        echo.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private static void echo(SocketChannel c) {
            ByteBuffer header = ByteBuffer.allocate(4);
            ByteBuffer body = ByteBuffer.allocate(1 << 20);
            try (c) {
                while (true) {
                    header.clear();
                    if (!readFully(c, header)) {
                        return;
                    }
                    int length = header.flip().getInt(0);
                    body.clear().limit(length);
                    readFully(c, body);
                    header.rewind();
                    body.flip();
                    c.write(new ByteBuffer[] {header, body});
                }
            } catch (IOException e) {
                // caller closed
            }
        }

        static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                if (c.read(b) < 0) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public Caller caller() throws IOException {
            SocketChannel c = SocketChannel.open(server.getLocalAddress());
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer header = ByteBuffer.allocate(4);
            ByteBuffer reply = ByteBuffer.allocate(1 << 20);
            return new Caller() {
                @Override
                public void call(byte[] payload) throws IOException {
                    header.clear().putInt(payload.length).flip();
                    ByteBuffer body = ByteBuffer.wrap(payload);
                    while (header.hasRemaining() || body.hasRemaining()) {
                        c.write(new ByteBuffer[] {header, body});
                    }
                    header.clear();
                    readFully(c, header);
                    reply.clear().limit(header.getInt(0));
                    readFully(c, reply);
                }

                @Override
                public void close() throws IOException {
                    c.close();
                }
            };
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
