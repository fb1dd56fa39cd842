package io.kddm.launch;

import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import org.apache.felix.gogo.runtime.Parser;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.NodeInfo;
import io.kddm.api.membership.NodeState;
import io.kddm.api.transport.PeerStatus;
import io.kddm.api.transport.Transport;

/**
 * How this process runs, from framework properties the {@code kddm} script sets:
 * <ul>
 * <li>{@code kddm.exec}: Gogo commands to run once the node has reached its
 * peers (every configured address connected or failed, within
 * {@code kddm.exec.wait} seconds); their output is printed and the process
 * exits 0 if they succeeded, 1 if one failed, 3 if the node could not start;</li>
 * <li>{@code kddm.headless}: no console; SIGTERM or SIGINT makes the node leave
 * the cluster and exit 0.</li>
 * </ul>
 */
@Component(immediate = true)
public final class NodeLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(NodeLauncher.class);
    static final int FAILED = 1;
    static final int NOT_STARTED = 3;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Transport transport;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Membership membership;

    private final CommandProcessor processor;
    private final BundleContext context;
    private final ServiceComponentRuntime scr;

    @Activate
    public NodeLauncher(@Reference CommandProcessor processor, @Reference ServiceComponentRuntime scr,
            BundleContext context) {
        this.processor = processor;
        this.scr = scr;
        this.context = context;
        String exec = context.getProperty("kddm.exec");
        if (exec != null || Boolean.parseBoolean(context.getProperty("kddm.headless"))) {
            Signals.exitCleanlyOn(context, "TERM", "INT");
        }
        if (exec != null && !exec.isBlank()) {
            Duration wait = Duration.ofSeconds(Long.parseLong(
                    Objects.requireNonNullElse(context.getProperty("kddm.exec.wait"), "10")));
            Thread t = new Thread(() -> exit(execute(exec, wait)), "kddm-exec");
            t.setDaemon(true);
            t.start();
        }
    }

    private void exit(int status) {
        System.out.flush();
        System.err.flush();
        ProcessExit.exit(context, status);
    }

    private int execute(String commands, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (transport == null || membership == null) {
            if (System.nanoTime() > deadline) {
                String missing = transport == null && membership == null ? "transport and membership"
                        : transport == null ? "transport" : "membership";
                System.err.println("kddm: the node did not start: its " + missing + " never came up"
                        + " (a bad io.kddm.node or io.kddm.membership configuration?); see "
                        + context.getProperty("kddm.log.dir") + "/node.log and the errors above");
                return NOT_STARTED;
            }
            pause();
        }
        awaitComponents(deadline);
        awaitPeers(deadline);
        // The process's own descriptors: Gogo replaces System.out with a per-thread stream,
        // and a session writing into that stream would write into itself.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
        try (CommandSession session = processor.createSession(new FileInputStream(FileDescriptor.in), out, err)) {
            for (String statement : statements(commands)) {
                Object result = session.execute(statement);
                if (result != null) {
                    out.println(session.format(result, Converter.INSPECT));
                }
                out.flush();
            }
            return 0;
        } catch (Exception e) {
            Throwable cause = e;
            while (cause instanceof java.lang.reflect.InvocationTargetException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            err.println("kddm: " + message);
            LOG.info("--exec failed", cause);
            return FAILED;
        }
    }

    /**
     * The top-level statements of a Gogo script, as Gogo's own parser cuts them
     * (so that each statement's value can be printed as the console would).
     *
     * @throws org.apache.felix.gogo.runtime.SyntaxError before anything runs
     */
    static List<String> statements(String script) {
        return new Parser(script).program().tokens().stream().map(Object::toString).map(String::trim)
                .filter(st -> !st.isEmpty() && !st.equals(";")).toList(); // separators are tokens too
    }

    /**
     * Until every bundle has started, every jar of the drop-in folder is such a
     * bundle, and SCR has every enabled component satisfied or active: their
     * commands and services exist. (File Install deploys from its own thread, and
     * SCR knows nothing of the components of a bundle that has not started yet.)
     */
    private void awaitComponents(long deadline) {
        while (System.nanoTime() < deadline) {
            if (bundlesStarted() && dropInsDeployed() && componentsUp()) {
                return;
            }
            pause();
        }
        LOG.info("--exec: not every component became active in time; running the commands anyway");
    }

    private boolean bundlesStarted() {
        return Arrays.stream(context.getBundles()).allMatch(b -> b.getState() == Bundle.ACTIVE
                || (b.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0);
    }

    private boolean dropInsDeployed() {
        String dir = context.getProperty("felix.fileinstall.dir");
        File[] jars = dir == null ? null : new File(dir).listFiles((d, name) -> name.endsWith(".jar"));
        if (jars == null) {
            return true;
        }
        // File Install installs a jar at the URI of its canonical file (a symbolic link in the path resolved).
        return Arrays.stream(jars).allMatch(j -> context.getBundle(location(j)) != null);
    }

    private static String location(File jar) {
        try {
            return jar.getCanonicalFile().toURI().normalize().toString();
        } catch (java.io.IOException e) {
            return jar.toURI().normalize().toString();
        }
    }

    private boolean componentsUp() {
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!scr.isComponentEnabled(d)) {
                continue;
            }
            var configurations = scr.getComponentConfigurationDTOs(d);
            if (configurations.isEmpty() && "require".equals(d.configurationPolicy)) {
                continue; // waits for a configuration nobody gave (Felix Health Checks' servlet, monitor...): not coming
            }
            if (configurations.isEmpty() || configurations.stream().anyMatch(
                    c -> c.state != ComponentConfigurationDTO.ACTIVE && c.state != ComponentConfigurationDTO.SATISFIED)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Until every peer address has answered or failed, every live node has a
     * measured round trip, and this node has joined the view and holds a lease.
     */
    private void awaitPeers(long deadline) {
        while (System.nanoTime() < deadline) {
            Transport t = transport;
            Membership m = membership;
            if (t != null && m != null && t.peers().stream().allMatch(PeerStatus::settled)
                    && measured(m.nodes(), t) && m.hasLease()) {
                return;
            }
            pause();
        }
        LOG.info("--exec: peers not all settled in time; running the commands anyway");
    }

    private static boolean measured(List<NodeInfo> nodes, Transport t) {
        return nodes.stream().allMatch(n -> n.local() || n.state() != NodeState.ALIVE || n.rtt().isPresent())
                && nodes.stream().filter(n -> n.state() == NodeState.ALIVE && !n.local()).count()
                        >= t.connectedNodes().size();
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
