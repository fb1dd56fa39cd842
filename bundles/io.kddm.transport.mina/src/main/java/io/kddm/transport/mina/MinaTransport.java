package io.kddm.transport.mina;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.service.SimpleIoProcessorPool;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.codec.ProtocolCodecFilter;
import org.apache.mina.filter.codec.ProtocolDecoderException;
import org.apache.mina.transport.socket.nio.NioProcessor;
import org.apache.mina.transport.socket.nio.NioSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.stats.TransportStats;
import io.kddm.api.transport.ConnectionListener;
import io.kddm.api.transport.MessageHandler;
import io.kddm.api.transport.MessageTypes;
import io.kddm.api.transport.NodeUnreachableException;
import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.Transport;

/**
 * The cluster transport over MINA TCP.
 * <p>
 * Every node dials every peer address it knows (configured, or advertised by a
 * peer that dialed it). To keep exactly one connection per pair of nodes, and
 * so FIFO order between them, the connection kept is always the one the node
 * with the lower id initiated: when a higher id dials a lower one, both
 * authenticate, then the lower one answers REFUSE(dial-back) and dials the
 * advertised address itself.
 */
@Component(service = {Transport.class, TransportStats.class}, configurationPid = NodeConfig.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = NodeConfig.class)
public final class MinaTransport implements Transport, TransportStats {
    private static final Logger LOG = LoggerFactory.getLogger(MinaTransport.class);
    private static final AttributeKey CONNECTION = new AttributeKey(MinaTransport.class, "connection");
    private static final AttributeKey DIAL = new AttributeKey(MinaTransport.class, "dial");
    static final String DIAL_BACK = "dial-back";
    private static final long SWEEP_MILLIS = 100;
    private static final long TIMEOUT_SWEEP_MILLIS = 10;

    /** The settings in force: some keys change live ({@link #modified}). */
    private volatile TransportSettings settings;
    /** The secret file read at start (null outside OSGi). */
    private String secretFile;
    private final long incarnation;
    private final FrameCodec codec;
    private final Handshake handshake;
    private final SimpleIoProcessorPool<NioSession> processors;
    private final NioSocketAcceptor acceptor;
    private final NioSocketConnector connector;
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService events;
    private final Map<Integer, Connection> open = new ConcurrentHashMap<>();
    private final Map<InetSocketAddress, Dial> dials = new ConcurrentHashMap<>();
    private final PendingRequests pending = new PendingRequests();
    private final Map<Integer, MessageHandler> handlers = new ConcurrentHashMap<>();
    private final EarlyMessages early = new EarlyMessages();
    private final List<ConnectionListener> listeners = new CopyOnWriteArrayList<>();
    private final Traffic traffic = new Traffic();
    private volatile boolean stopped;
    /** The listen address as bound: the configured one, with the real port if it was 0. */
    private volatile InetSocketAddress listen;

    /** Starts the transport of a node configured through Config Admin. */
    @Activate
    public MinaTransport(NodeConfig config) throws IOException {
        this(TransportSettings.from(config));
        this.secretFile = config.secret_file();
        start();
    }

    /**
     * A change of {@code io.kddm.node} while the node runs: the transport stays
     * up (and the membership and core above it); what may change applies, the
     * rest is refused with a log line ({@link NodeConfigChange}).
     */
    @Modified
    synchronized void modified(NodeConfig config) {
        TransportSettings next = NodeConfigChange.of(settings, secretFile, config);
        settings = next;
        for (InetSocketAddress peer : next.peers()) {
            dials.computeIfAbsent(peer, Dial::new); // the sweep dials it
        }
    }

    /** The settings in force. */
    TransportSettings settings() {
        return settings;
    }

    /** A transport outside OSGi (tests, benchmarks); call {@link #start()}. */
    public MinaTransport(TransportSettings settings) {
        this.settings = settings;
        this.listen = settings.listen();
        this.incarnation = (System.currentTimeMillis() << 12) | (System.nanoTime() & 0xfff);
        this.codec = new FrameCodec(settings.maxFrame());
        this.handshake = new Handshake(settings.secret());
        this.processors = new SimpleIoProcessorPool<>(NioProcessor.class, 2);
        this.acceptor = new NioSocketAcceptor(processors);
        this.connector = new NioSocketConnector(processors);
        this.timer = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "kddm-transport-timer-" + settings.node()));
        this.timer.setRemoveOnCancelPolicy(true);
        this.events = Executors.newSingleThreadExecutor(r -> daemon(r, "kddm-transport-events-" + settings.node()));
        for (InetSocketAddress peer : settings.peers()) {
            dials.putIfAbsent(peer, new Dial(peer));
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Binds the listen address (only that address) and starts dialing peers.
     *
     * @throws IOException with a message naming the address if it cannot be bound
     */
    public void start() throws IOException {
        Handler handler = new Handler();
        for (var service : List.of(acceptor, connector)) {
            service.getFilterChain().addLast("frames", new ProtocolCodecFilter(new MinaFrameCodec(codec)));
            service.setHandler(handler);
        }
        for (var config : List.of(acceptor.getSessionConfig(), connector.getSessionConfig())) {
            config.setTcpNoDelay(true);
            config.setKeepAlive(true);
            // Whole kDDM pages (4 KiB and up) in one read most of the time (a frame split across
            // TCP segments is still accumulated by the decoder); measured in docs/BENCHMARKS.md.
            config.setMinReadBufferSize(16 * 1024);
            config.setReadBufferSize(64 * 1024);
        }
        acceptor.setReuseAddress(true);
        acceptor.setCloseOnDeactivation(true);
        connector.setConnectTimeoutMillis(settings.connectTimeout().toMillis());
        try {
            acceptor.bind(settings.listen());
        } catch (IOException e) {
            dispose();
            throw new IOException("cannot listen on " + hostPort(settings.listen()) + ": " + e.getMessage(), e);
        }
        InetSocketAddress bound = acceptor.getLocalAddress();
        listen = new InetSocketAddress(settings.listen().getHostString(), bound.getPort());
        LOG.info("node {} listening on {} (incarnation {}), peers {}", settings.node(), hostPort(listen),
                incarnation, settings.peers());
        timer.scheduleWithFixedDelay(this::sweep, 0, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        // a timeout fires at most TIMEOUT_SWEEP_MILLIS late
        timer.scheduleWithFixedDelay(pending::expire, TIMEOUT_SWEEP_MILLIS, TIMEOUT_SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Leaves: flushes and closes every connection, then releases threads and the port. */
    @Deactivate
    public void stop() {
        stopped = true;
        for (Connection c : open.values()) {
            c.session.closeOnFlush();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            sleepQuietly(10);
        }
        dispose();
        pending.stopped();
        LOG.info("node {} transport stopped", settings.node());
    }

    private void dispose() {
        stopped = true;
        timer.shutdownNow();
        acceptor.unbind();
        acceptor.dispose(true);
        connector.dispose(true);
        processors.dispose();
        events.shutdown();
        try {
            events.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The number this transport chose at start; peers see a new one after a restart. */
    public long incarnation() {
        return incarnation;
    }

    /** The address this node listens on and advertises. */
    public InetSocketAddress listenAddress() {
        return listen;
    }

    // ---- Transport ----------------------------------------------------------

    @Override
    public int localNode() {
        return settings.node();
    }

    @Override
    public void send(int node, int type, byte[] payload) {
        checkType(type);
        checkSize(payload);
        write(connectionTo(node), new Frame(FrameKind.MESSAGE, type, 0, payload));
    }

    @Override
    public CompletableFuture<byte[]> request(int node, int type, byte[] payload, Duration timeout) {
        checkType(type);
        checkSize(payload);
        Connection c = open.get(node);
        if (c == null) {
            return CompletableFuture.failedFuture(new NodeUnreachableException(node, "not connected"));
        }
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        long id = pending.add(node, type, timeout, future);
        write(c, new Frame(FrameKind.REQUEST, type, id, payload));
        if (c.phase == Connection.Phase.CLOSED) {
            // The connection closed while the request was being registered, so
            // the sweep of its pending requests may have run before ours was in.
            pending.fail(id, new NodeUnreachableException(node, "connection lost"));
        }
        return future;
    }

    @Override
    public AutoCloseable addHandler(int type, MessageHandler handler) {
        checkType(type);
        synchronized (early.lock()) {
            if (handlers.containsKey(type)) {
                throw new IllegalStateException("message type 0x" + Integer.toHexString(type)
                        + " already has a handler");
            }
            // What came before the first handler goes first; meanwhile the IO threads wait on the lock.
            for (EarlyMessages.Early e : early.handlerAdded(type)) {
                handle(handler, new InboundFrame(e.connection(), e.frame(), codec.maxFrame()));
            }
            handlers.put(type, handler);
        }
        return () -> handlers.remove(type, handler);
    }

    @Override
    public Set<Integer> connectedNodes() {
        return new TreeSet<>(open.keySet());
    }

    @Override
    public Optional<InetSocketAddress> addressOf(int node) {
        if (node == settings.node()) {
            return Optional.of(listen);
        }
        Connection c = open.get(node);
        return c == null ? Optional.empty() : Optional.of(c.theirs.listenAddress());
    }

    /** Read-only: MINA's own counters of each session, summed per node (a session is counted once, open or closed). */
    @Override
    public List<PeerTraffic> traffic() {
        return traffic.snapshot(open::containsKey);
    }

    @Override
    public List<PeerStatus> peers() {
        List<PeerStatus> out = new ArrayList<>();
        for (Dial d : dials.values()) {
            PeerStatus.State state = d.node != 0 && open.containsKey(d.node) ? PeerStatus.State.CONNECTED : d.state;
            out.add(new PeerStatus(d.address, d.node, state, state == PeerStatus.State.CONNECTED ? "" : d.detail));
        }
        out.sort((a, b) -> hostPort(a.address()).compareTo(hostPort(b.address())));
        return out;
    }

    @Override
    public void disconnect(int node, String reason) {
        Connection c = open.get(node);
        if (c != null) {
            LOG.warn("closing connection to {}: {}", c.describe(), reason);
            c.session.closeNow();
        }
    }

    @Override
    public AutoCloseable addConnectionListener(ConnectionListener listener) {
        events.execute(() -> {
            listeners.add(listener);
            for (Connection c : open.values()) {
                listener.connected(c.node(), c.theirs.incarnation(), c.theirs.listenAddress());
            }
        });
        // Removed on the same thread, so that a removal never runs before its own addition.
        return () -> {
            try {
                events.execute(() -> listeners.remove(listener));
            } catch (RejectedExecutionException stopped) {
                listeners.remove(listener);
            }
        };
    }

    private void checkType(int type) {
        if (type < 1 || type > MessageTypes.MAX) {
            throw new IllegalArgumentException("message type " + type + " is outside 1..0xFFFF");
        }
    }

    private void checkSize(byte[] payload) {
        if (FrameCodec.HEADER + payload.length > codec.maxFrame()) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds the frame limit of "
                    + codec.maxFrame() + " bytes");
        }
    }

    private Connection connectionTo(int node) {
        Connection c = open.get(node);
        if (c == null) {
            throw new NodeUnreachableException(node, "not connected");
        }
        return c;
    }

    private static void write(Connection c, Frame frame) {
        c.session.write(frame);
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    // ---- dialing ------------------------------------------------------------

    private void sweep() {
        long now = System.nanoTime();
        for (Dial d : dials.values()) {
            if (stopped) {
                return;
            }
            boolean connected = d.node != 0 && open.containsKey(d.node);
            if (!connected && d.state != PeerStatus.State.SELF && d.due(now)) {
                dial(d);
            }
        }
    }

    private void dial(Dial d) {
        d.inFlight = true;
        // From the address this node listens on (unless it listens on all): a peer then sees the
        // connection come from this node's address, and a packet filter can tell the nodes apart.
        InetSocketAddress from = listen.getAddress() == null || listen.getAddress().isAnyLocalAddress() ? null
                : new InetSocketAddress(listen.getAddress(), 0);
        connector.connect(d.address, from, (session, future) -> session.setAttribute(DIAL, d)).addListener(f -> {
            var cf = (org.apache.mina.core.future.ConnectFuture) f;
            if (!cf.isConnected()) {
                d.inFlight = false;
                Throwable cause = cf.getException();
                String why = cause == null ? "connect failed" : cause.getMessage();
                if (d.state != PeerStatus.State.UNREACHABLE) {
                    LOG.info("peer {} unreachable: {}", hostPort(d.address), why);
                }
                d.failed(PeerStatus.State.UNREACHABLE, why, System.nanoTime(), settings.maxRedial().toNanos());
            }
        });
    }

    /** A peer that dialed us advertised its listen address: dial it too. */
    private Dial learn(InetSocketAddress advertised) {
        InetSocketAddress address = new InetSocketAddress(advertised.getHostString(), advertised.getPort());
        return dials.computeIfAbsent(address, Dial::new);
    }

    // ---- connection handling ------------------------------------------------

    private final class Handler extends IoHandlerAdapter {

        @Override
        public void sessionCreated(IoSession session) {
            Connection c = new Connection(session, (Dial) session.getAttribute(DIAL));
            session.setAttribute(CONNECTION, c);
            try {
                timer.schedule(() -> {
                    if (c.phase != Connection.Phase.OPEN && c.phase != Connection.Phase.CLOSED) {
                        LOG.warn("closing connection {}: not authenticated within {} ms", c.describe(),
                                settings.handshakeTimeout().toMillis());
                        session.closeNow();
                    }
                }, settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                session.closeNow(); // a connection that comes while this transport stops
            }
        }

        @Override
        public void sessionOpened(IoSession session) {
            Connection c = connection(session);
            if (c.initiator()) {
                c.mine = hello(new byte[0]);
                write(c, Frame.handshake(FrameKind.HELLO, c.mine.encode()));
            }
        }

        @Override
        public void messageReceived(IoSession session, Object message) throws Exception {
            Connection c = connection(session);
            Frame f = (Frame) message;
            c.framesReceived.incrementAndGet(); // MINA counts the messages it writes, not those decoded
            if (c.phase == Connection.Phase.OPEN) {
                if (f.kind().handshake) {
                    throw new FrameException(f.kind() + " frame on an open connection");
                }
                deliver(c, f);
                return;
            }
            if (!f.kind().handshake) {
                throw new FrameException(f.kind() + " frame before authentication");
            }
            if (f.kind() == FrameKind.REFUSE) {
                refused(c, new String(f.payload(), java.nio.charset.StandardCharsets.UTF_8));
                return;
            }
            switch (c.phase) {
                case AWAIT_HELLO -> expect(f, FrameKind.HELLO, () -> {
                    if (c.initiator()) {
                        acceptorHello(c, Hello.decode(f.payload()));
                    } else {
                        initiatorHello(c, Hello.decode(f.payload()));
                    }
                });
                case AWAIT_AUTH -> expect(f, FrameKind.AUTH, () -> initiatorProof(c, f.payload()));
                case AWAIT_OK -> expect(f, FrameKind.AUTH_OK, () -> admit(c));
                default -> throw new FrameException(f.kind() + " frame on a closing connection");
            }
        }

        @Override
        public void sessionClosed(IoSession session) {
            Connection c = connection(session);
            Connection.Phase was = c.phase;
            c.phase = Connection.Phase.CLOSED;
            traffic.closed(c);
            if (c.dial != null) {
                c.dial.inFlight = false;
                if (was != Connection.Phase.OPEN && c.dial.state == PeerStatus.State.CONNECTING) {
                    c.dial.failed(PeerStatus.State.UNREACHABLE, "closed during authentication", System.nanoTime(),
                            settings.maxRedial().toNanos());
                }
            }
            if (was == Connection.Phase.OPEN && open.remove(c.node(), c)) {
                lost(c, "connection closed");
            }
        }

        @Override
        public void exceptionCaught(IoSession session, Throwable cause) {
            Connection c = connection(session);
            if (cause instanceof ProtocolDecoderException || cause instanceof FrameException) {
                LOG.warn("closing connection {}: malformed frame: {}", c == null ? session : c.describe(),
                        cause.getMessage());
            } else if (cause instanceof IOException) {
                LOG.debug("connection {}: {}", c == null ? session : c.describe(), cause.toString());
            } else {
                LOG.warn("closing connection {} after an error", c == null ? session : c.describe(), cause);
            }
            session.closeNow();
        }
    }

    private interface FrameAction {
        void run() throws FrameException;
    }

    private static void expect(Frame f, FrameKind kind, FrameAction action) throws FrameException {
        if (f.kind() != kind) {
            throw new FrameException("expected " + kind + " but got " + f.kind());
        }
        action.run();
    }

    private static Connection connection(IoSession session) {
        return (Connection) session.getAttribute(CONNECTION);
    }

    private Hello hello(byte[] proof) {
        InetSocketAddress l = listen;
        return new Hello(settings.node(), incarnation, l.getHostString(), l.getPort(), handshake.nonce(), proof);
    }

    /** Acceptor side: the initiator introduced itself; answer with our proof. */
    private void initiatorHello(Connection c, Hello theirs) {
        c.theirs = theirs;
        if (theirs.node() == settings.node() && theirs.incarnation() != incarnation) {
            refuse(c, "node id " + theirs.node() + " is already used by " + hostPort(listen));
            return;
        }
        // If we dialed ourselves, answering lets the initiator side recognise it and close.
        Hello unsigned = hello(new byte[0]);
        c.mine = new Hello(unsigned.node(), unsigned.incarnation(), unsigned.host(), unsigned.port(),
                unsigned.nonce(), handshake.acceptorProof(theirs, unsigned));
        c.phase = Connection.Phase.AWAIT_AUTH;
        write(c, Frame.handshake(FrameKind.HELLO, c.mine.encode()));
    }

    /** Initiator side: the acceptor answered; check its proof, then prove ourselves. */
    private void acceptorHello(Connection c, Hello theirs) {
        c.theirs = theirs;
        if (theirs.node() == settings.node()) {
            if (theirs.incarnation() == incarnation) {
                c.dial.state = PeerStatus.State.SELF;
                c.dial.node = settings.node();
                c.session.closeNow();
            } else {
                refuse(c, "node id " + theirs.node() + " is already used by " + hostPort(listen));
            }
            return;
        }
        if (!Handshake.matches(handshake.acceptorProof(c.mine, theirs), theirs.proof())) {
            LOG.warn("refusing node {} at {}: it failed to prove the cluster secret (wrong secret?)",
                    theirs.node(), c.session.getRemoteAddress());
            refuse(c, "authentication failed: wrong cluster secret");
            return;
        }
        c.phase = Connection.Phase.AWAIT_OK;
        write(c, Frame.handshake(FrameKind.AUTH, handshake.initiatorProof(c.mine, theirs)));
    }

    /** Acceptor side: check the initiator's proof, then keep or hand back the connection. */
    private void initiatorProof(Connection c, byte[] proof) {
        if (!Handshake.matches(handshake.initiatorProof(c.theirs, c.mine), proof)) {
            LOG.warn("refusing node {} at {}: it failed to prove the cluster secret (wrong secret?)",
                    c.theirs.node(), c.session.getRemoteAddress());
            refuse(c, "authentication failed: wrong cluster secret");
            return;
        }
        Dial back = learn(c.theirs.listenAddress());
        back.node = c.theirs.node();
        if (c.theirs.node() > settings.node()) {
            // Only the lower id keeps an initiated connection: tell the peer and call it.
            c.phase = Connection.Phase.CLOSED;
            write(c, Frame.handshake(FrameKind.REFUSE, DIAL_BACK.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            c.session.closeOnFlush();
            back.postpone(System.nanoTime(), 0);
            timer.execute(this::sweep);
            return;
        }
        write(c, Frame.handshake(FrameKind.AUTH_OK, new byte[0]));
        admit(c);
    }

    private void refuse(Connection c, String reason) {
        if (c.dial != null) {
            c.dial.failed(PeerStatus.State.REFUSED, reason, System.nanoTime(), settings.maxRedial().toNanos());
        }
        c.phase = Connection.Phase.CLOSED;
        write(c, Frame.handshake(FrameKind.REFUSE, reason.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        c.session.closeOnFlush();
    }

    private void refused(Connection c, String reason) {
        c.phase = Connection.Phase.CLOSED;
        if (DIAL_BACK.equals(reason) && c.dial != null && c.theirs != null) {
            // The lower id calls us back; probe again later in case it cannot.
            c.dial.node = c.theirs.node();
            c.dial.postpone(System.nanoTime(), settings.maxRedial().toNanos());
            LOG.debug("node {} will dial back", c.theirs.node());
        } else {
            LOG.warn("{} refused this node: {}", c.describe(), reason);
            if (c.dial != null) {
                c.dial.failed(PeerStatus.State.REFUSED, reason, System.nanoTime(), settings.maxRedial().toNanos());
            }
        }
        c.session.closeNow();
    }

    /** The connection is authenticated and canonical: make it the one to that node. */
    private void admit(Connection c) {
        int node = c.node();
        Connection previous = open.get(node);
        if (previous != null && previous.theirs.incarnation() == c.theirs.incarnation()) {
            LOG.debug("dropping a second connection to node {}", node);
            c.phase = Connection.Phase.CLOSED;
            c.session.closeNow();
            return;
        }
        c.phase = Connection.Phase.OPEN;
        traffic.opened(c);
        if (c.dial != null) {
            c.dial.succeeded(node);
            c.dial.inFlight = false;
        }
        learn(c.theirs.listenAddress()).succeeded(node);
        if (previous != null) {
            // The peer restarted: its old connection is dead even if TCP has not said so.
            open.remove(node, previous);
            previous.phase = Connection.Phase.CLOSED;
            previous.session.closeNow();
            lost(previous, "node restarted");
        }
        open.put(node, c);
        LOG.info("connected to node {} at {} (incarnation {})", node, hostPort(c.theirs.listenAddress()),
                c.theirs.incarnation());
        InetSocketAddress address = c.theirs.listenAddress();
        long inc = c.theirs.incarnation();
        events.execute(() -> listeners.forEach(l -> l.connected(node, inc, address)));
    }

    private void lost(Connection c, String reason) {
        int node = c.node();
        LOG.info("lost connection to node {}: {}", node, reason);
        pending.lost(node);
        if (!stopped) {
            events.execute(() -> listeners.forEach(l -> l.disconnected(node, reason)));
        }
    }

    // ---- messages -----------------------------------------------------------

    private void deliver(Connection c, Frame f) {
        switch (f.kind()) {
            case MESSAGE, REQUEST -> dispatch(c, f);
            case REPLY -> pending.reply(f.correlation(), f.payload());
            case FAILURE -> pending.failure(f.correlation(), c.node(),
                    new String(f.payload(), java.nio.charset.StandardCharsets.UTF_8));
            default -> throw new IllegalStateException("handshake frame reached delivery: " + f.kind());
        }
    }

    private void dispatch(Connection c, Frame f) {
        InboundFrame in = new InboundFrame(c, f, codec.maxFrame());
        MessageHandler h = handlers.get(f.type());
        if (h == null && !in.isRequest()) {
            // Looked at again under the lock a handler is added under: one added since the look above
            // has had its earlier messages delivered, and this one goes after them.
            synchronized (early.lock()) {
                h = handlers.get(f.type());
                if (h == null && !early.everHandled(f.type()) && early.keep(c, f)) {
                    return;
                }
            }
        }
        if (h == null) {
            // Handlers come and go with bundles: a type nobody handles right now
            // is answered, not a reason to drop the connection.
            if (in.isRequest()) {
                in.fail("no handler for message type 0x" + Integer.toHexString(f.type()) + " on node "
                        + settings.node());
            } else {
                LOG.debug("dropping message of type 0x{} from node {}: no handler", Integer.toHexString(f.type()),
                        c.node());
            }
            return;
        }
        handle(h, in);
    }

    private static void handle(MessageHandler h, InboundFrame in) {
        try {
            h.onMessage(in);
        } catch (RuntimeException e) {
            LOG.warn("handler of message type 0x{} failed on a message from node {}", Integer.toHexString(in.type()),
                    in.sender(), e);
            if (in.isRequest()) {
                in.fail(e.toString());
            }
        }
    }
}
