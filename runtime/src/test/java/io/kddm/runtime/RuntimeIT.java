package io.kddm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackage;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRevision;

import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import io.kddm.api.membership.Membership;
import io.kddm.api.membership.NodeState;
import io.kddm.api.transport.Transport;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.KdfsException;

/**
 * Boots the runtime's real bundles in Felix (without the console bundle) and
 * configures a node the way the launcher does: a .cfg in the File Install folder.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RuntimeIT {

    @Inject
    private BundleContext context;

    @Inject
    private CommandProcessor processor;

    @Inject
    private ServiceComponentRuntime scr;

    @Inject
    private ConfigurationAdmin configAdmin;

    /** What SCR and Config Admin hold, for failure messages. */
    private String diagnosis() throws Exception {
        StringBuilder b = new StringBuilder("\n");
        b.append("deploy folder ").append(Arrays.toString(deploy().toFile().list())).append('\n');
        for (Bundle bundle : context.getBundles()) {
            b.append(bundle.getSymbolicName()).append(':').append(bundle.getState()).append(' ');
        }
        b.append('\n');
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            b.append(d.name).append(" enabled=").append(scr.isComponentEnabled(d));
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                b.append(" state=").append(c.state).append(c.failure == null ? "" : " failure=" + c.failure);
                Arrays.stream(c.unsatisfiedReferences).forEach(r -> b.append(" unsatisfied=").append(r.name));
            }
            b.append('\n');
        }
        org.osgi.service.cm.Configuration[] configs = configAdmin.listConfigurations(null);
        for (var c : configs == null ? new org.osgi.service.cm.Configuration[0] : configs) {
            b.append("config ").append(c.getPid()).append(' ').append(c.getProperties()).append('\n');
        }
        return b.toString();
    }

    @Configuration
    public Option[] config() {
        List<Option> options = new ArrayList<>();
        File[] jars = new File(System.getProperty("kddm.bundles")).listFiles((d, n) -> n.endsWith(".jar"));
        Arrays.sort(jars);
        Map<Pattern, Integer> levels = startLevels();
        for (File jar : jars) {
            options.add(bundle(jar.toURI().toString()).startLevel(startLevel(levels, jar)));
        }
        options.add(frameworkStartLevel(20));
        options.add(junitBundles());
        options.add(systemPackage("sun.misc"));
        options.add(systemProperty("logback.configurationFile").value(System.getProperty("logback.configurationFile")));
        // The node's own framework properties (cnf/base.bndrun), so that the container behaves as a node:
        // File Install there never writes a configuration back to its file (felix.fileinstall.enableConfigSave
        // false). With the default, it rewrote an edited .cfg with the values of the edit before (on Config
        // Admin's event thread, late under load), and deleted the next test's io.kddm.node.cfg.
        runProperties().forEach((key, value) -> options.add(frameworkProperty(key).value(value)));
        // Read back inside the framework: this class is loaded again there, so no static can carry it.
        options.add(frameworkProperty("felix.fileinstall.dir").value(tempDir("kddm-it-deploy").toString()));
        options.add(frameworkProperty("felix.fileinstall.poll").value("200"));
        return options.toArray(new Option[0]);
    }

    /**
     * The start levels of the runtime, read from the {@code -runbundles+} decorator of
     * cnf/base.bndrun (symbolic-name globs, first match wins), so that the test
     * framework starts and stops bundles in the same order as a node.
     */
    private static Map<Pattern, Integer> startLevels() {
        Matcher decorator = Pattern.compile("(?m)^-runbundles\\+:(.*)$").matcher(baseBndrun());
        if (!decorator.find()) {
            throw new IllegalStateException("no -runbundles+ in cnf/base.bndrun");
        }
        Map<Pattern, Integer> levels = new LinkedHashMap<>();
        for (String clause : decorator.group(1).split(",")) {
            String[] parts = clause.trim().split(";startlevel=");
            levels.put(Pattern.compile(parts[0].trim().replace(".", "\\.").replace("*", ".*")),
                    Integer.parseInt(parts[1].trim()));
        }
        return levels;
    }

    /** The {@code -runproperties} of cnf/base.bndrun. */
    private static Map<String, String> runProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^-runproperties:(.*)$").matcher(baseBndrun());
        if (!m.find()) {
            throw new IllegalStateException("no -runproperties in cnf/base.bndrun");
        }
        for (String clause : m.group(1).split(",")) {
            String[] kv = clause.trim().split("=", 2);
            props.put(kv[0].trim(), kv[1].trim());
        }
        return props;
    }

    /** cnf/base.bndrun with its continued lines joined. */
    private static String baseBndrun() {
        try {
            return Files.readString(Path.of(System.getProperty("kddm.root"), "cnf", "base.bndrun")).replace("\\\n", "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int startLevel(Map<Pattern, Integer> levels, File jar) {
        String name;
        try (JarFile j = new JarFile(jar)) {
            name = j.getManifest().getMainAttributes().getValue("Bundle-SymbolicName").split(";")[0].trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return levels.entrySet().stream().filter(l -> l.getKey().matcher(name).matches()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no start level for " + name)).getValue();
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path deploy() {
        return Path.of(context.getProperty("felix.fileinstall.dir"));
    }

    /**
     * An invalid node configuration refused, corrected in place (the transport and
     * the membership, which failed with it, start), then completed with voters: the
     * node joins and serves kddm:nodes.
     */
    private void configureThroughTheDropInFolder(Path cfg, Path secret, int port) throws Exception {
        // An invalid configuration is refused: still no transport.
        Files.writeString(cfg, "id=300\nlisten=127.0.0.1:" + port + "\nsecret.file=" + secret + "\n");
        long refused = System.currentTimeMillis() + 10_000;
        while (!diagnosis().contains("id must be from 1 to 255") && System.currentTimeMillis() < refused) {
            Thread.sleep(20);
        }
        assertTrue(diagnosis(), diagnosis().contains("id must be from 1 to 255"));
        assertNull("no usable transport", await(Transport.class, 100)); // its activation failed

        // Corrected in place, File Install updates the configuration live: the transport comes, but with peers
        // and no voters the membership refuses to start (each node alone would make a cluster of its own).
        int peer = NodeProcess.freePort();
        Files.writeString(cfg, "id=7\nlisten=127.0.0.1:" + port + "\npeers=127.0.0.1:" + peer
                + "\nsecret.file=" + secret + "\n");
        Transport transport = await(Transport.class, 10_000);
        assertNotNull("transport after a valid configuration" + diagnosis(), transport);
        assertEquals(7, transport.localNode());
        long noVoters = System.currentTimeMillis() + 10_000;
        while (!diagnosis().contains("voters is required") && System.currentTimeMillis() < noVoters) {
            Thread.sleep(20);
        }
        assertTrue(diagnosis(), diagnosis().contains("voters is required"));
        Files.writeString(cfg, "id=7\nlisten=127.0.0.1:" + port + "\npeers=127.0.0.1:" + peer + "\nvoters=7\n"
                + "secret.file=" + secret + "\n");
        // The service is looked up again each time: a configuration File Install delivers once more
        // (the transport's, the membership's) replaces the component, and an old instance stays stopped.
        Membership membership = null;
        long joined = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < joined) {
            membership = await(Membership.class, 100);
            if (membership != null && membership.hasLease()) {
                break;
            }
            Thread.sleep(20);
        }
        assertNotNull("membership once voters are given" + diagnosis(), membership);
        assertEquals(NodeState.ALIVE, membership.node(7).orElseThrow().state());
        assertTrue("node 7, its own only voter, holds a lease", membership.hasLease());

        awaitCommand("nodes");
        String nodes = run("kddm:nodes");
        assertTrue(nodes, nodes.contains("this node"));
        assertTrue(nodes, nodes.contains("127.0.0.1:" + port));
        assertTrue(nodes, nodes.contains("UNREACHABLE") || nodes.contains("CONNECTING"));

        try {
            run("kddm:nodes unexpected-argument");
            fail("a wrong argument is an error");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("nodes"));
        }
        try {
            run("kddm:nodes --await 2 --timeout 0");
            fail("a second node never comes: the wait ends with an error");
        } catch (IllegalStateException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().startsWith("1 of 2 nodes alive after 0 s"));
        }

    }

    /**
     * Configures this framework as node {@code id} through the drop-in folder, and
     * waits until it has joined: it is its own only voter, and a node does nothing
     * (NoQuorumException) before it holds a lease. Returns the file to delete.
     */
    private Path configureNode(int id, String secretText) throws Exception {
        Path secret = Files.writeString(tempDir("kddm-it-secret").resolve("secret"), secretText);
        Path cfg = Files.writeString(deploy().resolve("io.kddm.node.cfg"),
                "id=" + id + "\nlisten=127.0.0.1:" + NodeProcess.freePort() + "\nsecret.file=" + secret + "\n");
        long deadline = System.currentTimeMillis() + 20_000;
        while (true) {
            Membership m = await(Membership.class, 100);
            if (m != null && m.localNode() == id && m.hasLease()) {
                return cfg;
            }
            assertTrue("node " + id + " never joined its one-node cluster" + diagnosis(),
                    System.currentTimeMillis() < deadline);
            Thread.sleep(20);
        }
    }

    /**
     * Deletes the node's configuration files and waits until File Install has
     * deleted their configurations and the transport is gone: the next test
     * starts clean.
     */
    private void removeNode(Path... cfgs) throws Exception {
        for (Path cfg : cfgs) {
            Files.deleteIfExists(cfg);
        }
        long deadline = System.currentTimeMillis() + 10_000;
        for (Path cfg : cfgs) {
            String pid = cfg.getFileName().toString().replaceFirst("\\.cfg$", "");
            while (configAdmin.listConfigurations("(service.pid=" + pid + ")") != null
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertNull("configuration " + pid + " still there 10 s after its file went away",
                    configAdmin.listConfigurations("(service.pid=" + pid + ")"));
        }

        while (context.getServiceReference(Transport.class) != null && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertNull("the node is still up 10 s after its configuration went away",
                context.getServiceReference(Transport.class));
    }

    private <T> T await(Class<T> type, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            ServiceReference<T> ref = context.getServiceReference(type);
            if (ref != null) {
                T service = context.getService(ref);
                if (service != null) {
                    return service;
                }
            }
            Thread.sleep(20);
        }
        return null;
    }

    /** Until a Gogo command {@code kddm:function} is registered (DS may register it after the services it uses). */
    private void awaitCommand(String function) throws Exception {
        awaitCommand("kddm", function);
    }

    private void awaitCommand(String scope, String function) throws Exception {
        String filter = "(&(osgi.command.scope=" + scope + ")(osgi.command.function=" + function + "))";
        long deadline = System.currentTimeMillis() + 10_000;
        while (context.getServiceReferences((String) null, filter) == null) {
            assertTrue("command " + scope + ":" + function + " never registered" + diagnosis(),
                    System.currentTimeMillis() < deadline);
            Thread.sleep(20);
        }
    }

    private String run(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession session = processor.createSession(System.in, print, print)) {
            Object result = session.execute(command);
            if (result != null) {
                print.print(result);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    public void everyBundleResolvesAndStarts() {
        for (Bundle b : context.getBundles()) {
            boolean fragment = (b.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            if (!fragment) {
                assertEquals(b.getSymbolicName() + " is active", Bundle.ACTIVE, b.getState());
            }
        }
        for (String name : List.of("io.kddm.api", "io.kddm.impl", "io.kddm.transport.mina", "io.kddm.launch",
                "org.apache.felix.scr", "org.apache.felix.fileinstall", "org.apache.mina.core")) {
            assertTrue(name + " installed", Arrays.stream(context.getBundles())
                    .anyMatch(b -> name.equals(b.getSymbolicName())));
        }
    }

    @Test
    public void familiesAndTheirSetsComeAndGoWithTheirBundle() throws Exception {
        Path cfg = configureNode(9, "family test secret");
        try {
            assertNotNull("kDDM core" + diagnosis(), await(io.kddm.api.set.Kddm.class, 10_000));
            awaitCommand("families");
            awaitCommand("incr");
            awaitOutput("kddm:families", "demo", true);
            assertTrue(run("kddm:families"), run("kddm:families").contains("demo-nodebits"));
            String set = run("kddm:create demo").trim();
            assertEquals("41", run("kddm:incr --times 41 " + set + " 0 1").trim());
            awaitOutput("kddm:sets", Pattern.quote(set) + " +demo ", true);

            Bundle linker = Arrays.stream(context.getBundles())
                    .filter(b -> "io.kddm.linker.memory".equals(b.getSymbolicName())).findFirst().orElseThrow();
            linker.stop();
            String families = run("kddm:families");
            assertTrue(families, !families.contains("demo"));
            try {
                run("kddm:read " + set + " 0");
                fail("a set whose family is gone is refused");
            } catch (io.kddm.api.set.KddmException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("demo"));
            }
            assertTrue("the set is no longer listed as usable", !run("kddm:sets").contains(set));
            awaitOutput("kddm:sets --all", Pattern.quote(set) + " +demo \\(not registered\\)", true); // kept

            linker.start();
            awaitOutput("kddm:families", "demo", true);
            assertEquals("nothing lost while the bundle was away", "41", run("kddm:read " + set + " 0").trim());
        } finally {
            removeNode(cfg);
        }
    }

    /**
     * Uninstalling a family bundle takes its sets out of kddm:sets (they are kept,
     * unusable); installing it again brings them back, and a well-known set
     * configured for the family opens when the family comes.
     */
    @Test
    public void aFamilyBundleUninstalledAndInstalledTakesAndBringsItsSets() throws Exception {
        Path core = Files.writeString(deploy().resolve("io.kddm.core.cfg"), "well.known=0:9=file\n");
        Path cfg = configureNode(9, "family bundle secret");
        try {
            assertNotNull("kDDM core" + diagnosis(), await(io.kddm.api.set.Kddm.class, 10_000));
            awaitCommand("sets");
            awaitOutput("kddm:sets", "0:9 +file ", true);
            Bundle family = Arrays.stream(context.getBundles())
                    .filter(b -> "io.kddm.linker.file".equals(b.getSymbolicName())).findFirst().orElseThrow();
            String location = family.getLocation();
            family.uninstall();
            awaitOutput("kddm:sets", "0:9 ", false);
            assertTrue(run("kddm:sets"), run("kddm:sets").contains("1 set of families not registered here"));
            awaitOutput("kddm:sets --all", "0:9 +file \\(not registered\\)", true);

            Bundle again = context.installBundle(location);
            again.adapt(org.osgi.framework.startlevel.BundleStartLevel.class).setStartLevel(9);
            again.start();
            awaitOutput("kddm:sets", "0:9 +file ", true);
        } finally {
            removeNode(cfg, core);
        }
    }

    /** Writes a file of the drop-in folder whole, in one move, so that File Install never reads half of it. */
    private static void writeDropIn(Path file, String text) throws IOException {
        Path staged = Files.writeString(tempDir("kddm-it-stage").resolve(file.getFileName()), text);
        Files.move(staged, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The id SCR gave the kDDM core's active configuration: a new one after any deactivation. */
    private long coreComponentId() {
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (d.name.equals("io.kddm.impl.core.KddmService")) {
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state == ComponentConfigurationDTO.ACTIVE) {
                        return c.id;
                    }
                }
            }
        }
        throw new AssertionError("the kDDM core is not active");
    }

    /**
     * io.kddm.core edited under a running workload: the new values are in force
     * (kddm:stats), the component was never deactivated (same component and
     * service ids; a deactivation would have dropped every set of this single
     * node), no object moved or changed (kddm:objects: all still WRITE_OWNER
     * here, each with the value the workload last wrote), and no operation
     * failed. An invalid value is refused while the valid ones beside it apply.
     */
    @Test
    public void theCoreConfigurationChangesLiveUnderLoad() throws Exception {
        Path cfg = configureNode(4, "live configuration secret");
        Path core = deploy().resolve("io.kddm.core.cfg");
        try {
            io.kddm.api.set.Kddm kddm = await(io.kddm.api.set.Kddm.class, 10_000);
            assertNotNull("kDDM core" + diagnosis(), kddm);
            awaitCommand("stats");
            awaitOutput("kddm:families", "demo", true);
            long componentId = coreComponentId();
            Object serviceId = context.getServiceReference(io.kddm.api.set.Kddm.class).getProperty("service.id");
            io.kddm.api.set.KddmSet set = kddm.create("demo");
            int objects = 20;
            long[] expected = new long[objects];
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
            List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread workload = new Thread(() -> {
                java.util.Random random = new java.util.Random(4);
                long until = System.currentTimeMillis() + 60_000; // bounded even if the test fails
                while (!stop.get() && System.currentTimeMillis() < until) {
                    int i = random.nextInt(objects);
                    try (io.kddm.api.set.ObjectHandle h = set.grab(i)) {
                        byte[] v = h.value();
                        long value = v.length == 0 ? 0 : java.nio.ByteBuffer.wrap(v).getLong();
                        if (value != expected[i]) {
                            failures.add("object " + i + " was " + value + ", expected " + expected[i]);
                        }
                        h.value(java.nio.ByteBuffer.allocate(8).putLong(value + 1).array());
                        expected[i] = value + 1;
                        done.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.add(e.toString());
                    }
                }
            });
            workload.start();
            try {
                long deadline = System.currentTimeMillis() + 10_000;
                while (done.get() < 1000) {
                    assertTrue("the workload never got going", System.currentTimeMillis() < deadline);
                    Thread.sleep(5);
                }
                writeDropIn(core, "operation.timeout.ms=12345\nmemory.budget.mb=64\nlinker.grace.ms=1500\n");
                awaitOutput("kddm:stats", "operation timeout +12345 ms", true);
                String stats = run("kddm:stats");
                assertTrue(stats, stats.matches("(?s).*memory budget +67108864\\b.*"));
                assertTrue(stats, stats.matches("(?s).*linker grace +1500 ms.*"));
                long before = done.get();
                writeDropIn(core, "operation.timeout.ms=22222\nmemory.budget.mb=-5\nlinker.grace.ms=1500\n");
                awaitOutput("kddm:stats", "operation timeout +22222 ms", true);
                assertTrue("the invalid budget was refused", run("kddm:stats").matches("(?s).*memory budget +67108864\\b.*"));
                deadline = System.currentTimeMillis() + 10_000;
                while (done.get() < before + 1000) {
                    assertTrue("the workload stopped after the changes", System.currentTimeMillis() < deadline);
                    Thread.sleep(5);
                }
            } finally {
                stop.set(true);
                workload.join(30_000);
            }
            assertTrue("the workload did not stop", !workload.isAlive()); // so expected[] is final
            assertTrue(failures.toString(), failures.isEmpty());
            assertEquals("the core was not deactivated", componentId, coreComponentId());
            assertEquals("the same Kddm service", serviceId,
                    context.getServiceReference(io.kddm.api.set.Kddm.class).getProperty("service.id"));
            String listed = run("kddm:objects " + io.kddm.api.set.SetIds.format(set.id()));
            for (int i = 0; i < objects; i++) {
                assertTrue(listed, Pattern.compile("(?m)^" + i + " +WRITE_OWNER ").matcher(listed).find());
                try (io.kddm.api.set.ObjectHandle h = set.get(i)) {
                    long value = h.value().length == 0 ? 0 : java.nio.ByteBuffer.wrap(h.value()).getLong();
                    assertEquals("object " + i, expected[i], value);
                }
            }
        } finally {
            removeNode(cfg, core);
        }
    }

    /** Until {@code command}'s output matches {@code regex} somewhere (or no longer does); fails after 10 s. */
    private void awaitOutput(String command, String regex, boolean present) throws Exception {
        Pattern p = Pattern.compile(regex);
        long deadline = System.currentTimeMillis() + 10_000;
        String out = run(command);
        while (p.matcher(out).find() != present && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
            out = run(command);
        }
        assertEquals(command + " should " + (present ? "" : "not ") + "show " + regex + ":\n" + out, present,
                p.matcher(out).find());
    }

    /** The "waits for an updated linker" figure of kddm:stats. */
    private long linkerWaits() throws Exception {
        Matcher m = Pattern.compile("waits for an updated linker\\s+(\\d+)").matcher(run("kddm:stats"));
        assertTrue("kddm:stats has no linker waits row", m.find());
        return Long.parseLong(m.group(1));
    }

    /**
     * Bundle.update() of the memory linker while a thread grabs and rewrites
     * objects: operations meanwhile wait for the new linker (or fail with the
     * retryable LinkerMissingException and are retried), no object is lost or
     * changed, the new version serves the set, and the old bundle's classes are
     * no longer referenced.
     */
    @Test
    public void aLinkerBundleUpdatedUnderLoadLosesNothing() throws Exception {
        Path cfg = configureNode(8, "update test secret");
        try {
            io.kddm.api.set.Kddm kddm = await(io.kddm.api.set.Kddm.class, 10_000);
            assertNotNull("kDDM core" + diagnosis(), kddm);
            awaitCommand("linkers");
            awaitOutput("kddm:families", "demo", true);
            io.kddm.api.set.KddmSet set = kddm.create("demo");
            int objects = 100;
            long[] expected = new long[objects];
            for (int i = 0; i < objects; i++) {
                try (io.kddm.api.set.ObjectHandle h = set.grab(i)) {
                    h.value(java.nio.ByteBuffer.allocate(8).putLong(expected[i] = i * 1000L).array());
                }
            }
            ServiceReference<?>[] old = context.getServiceReferences(io.kddm.api.linker.IoLinker.class.getName(),
                    "(kddm.linker.io=memory)");
            Object oldLinker = context.getService(old[0]);
            java.lang.ref.WeakReference<ClassLoader> oldLoader = new java.lang.ref.WeakReference<>(
                    oldLinker.getClass().getClassLoader());
            context.ungetService(old[0]);
            oldLinker = null;
            old = null;

            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            // completed, retried, failed otherwise: written by the workload, read here
            java.util.concurrent.atomic.AtomicLongArray counts = new java.util.concurrent.atomic.AtomicLongArray(3);
            List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread workload = new Thread(() -> {
                java.util.Random random = new java.util.Random(3);
                long until = System.currentTimeMillis() + 30_000; // bounded even if the test fails
                while (!stop.get() && System.currentTimeMillis() < until) {
                    int i = random.nextInt(objects);
                    try (io.kddm.api.set.ObjectHandle h = set.grab(i)) {
                        long v = java.nio.ByteBuffer.wrap(h.value()).getLong();
                        if (v != expected[i]) {
                            failures.add("object " + i + " was " + v + ", expected " + expected[i]);
                        }
                        h.value(java.nio.ByteBuffer.allocate(8).putLong(v + 1).array());
                        expected[i] = v + 1;
                        counts.incrementAndGet(0);
                    } catch (io.kddm.api.set.LinkerMissingException retryable) {
                        counts.incrementAndGet(1);
                    } catch (RuntimeException other) {
                        counts.incrementAndGet(2);
                        failures.add(other.toString());
                    }
                }
            });
            workload.start();
            long deadline = System.currentTimeMillis() + 10_000;
            while (counts.get(0) < 1000) {
                assertTrue("the workload never got going", System.currentTimeMillis() < deadline);
                Thread.sleep(5);
            }
            Bundle linker = Arrays.stream(context.getBundles())
                    .filter(b -> "io.kddm.linker.memory".equals(b.getSymbolicName())).findFirst().orElseThrow();
            assertTrue(linker.getVersion().toString(), !linker.getVersion().toString().equals("0.1.0.v2"));
            long waitsBefore = linkerWaits();
            byte[] v2 = Jars.withVersion(new java.net.URL(linker.getLocation()).openStream(), "0.1.0.v2");
            linker.update(new java.io.ByteArrayInputStream(v2));
            long afterSwap = counts.get(0);
            deadline = System.currentTimeMillis() + 10_000;
            while (counts.get(0) < afterSwap + 1000 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            stop.set(true);
            workload.join(30_000);
            assertTrue("the workload did not stop", !workload.isAlive()); // so expected[] is final
            long waited = linkerWaits() - waitsBefore;
            System.out.println("hot update of the memory linker under load: " + counts.get(0)
                    + " operations completed, " + waited + " waited for the new linker, " + counts.get(1)
                    + " retried (linker missing), " + counts.get(2) + " failed otherwise");
            assertTrue(failures.toString(), failures.isEmpty());
            assertTrue("the workload went on after the update", counts.get(0) >= afterSwap + 1000);
            assertTrue("no operation met the update (none waited, none was retried)", waited + counts.get(1) > 0);
            assertEquals("0.1.0.v2", linker.getVersion().toString());
            String linkers = run("kddm:linkers");
            assertTrue(linkers, linkers.contains("io.kddm.linker.memory 0.1.0.v2"));
            for (int i = 0; i < objects; i++) {
                try (io.kddm.api.set.ObjectHandle h = set.get(i)) {
                    assertEquals("object " + i, expected[i], java.nio.ByteBuffer.wrap(h.value()).getLong());
                }
            }
            for (int i = 0; i < 20 && oldLoader.get() != null; i++) {
                System.gc();
                Thread.sleep(50);
            }
            assertNull("the old linker bundle's classes are still referenced", oldLoader.get());
        } finally {
            removeNode(cfg);
        }
    }

    /** The kDFS bundle in the container: format, mount, files through its commands, unmount, and bad input refused. */
    @Test
    public void kdfsFormatsMountsAndServesFilesThroughItsCommands() throws Exception {
        Path cfg = configureNode(5, "kdfs secret");
        Path kdfsCfg = deploy().resolve("io.kddm.kdfs.cfg");
        Path partition = tempDir("kddm-it-kdfs").resolve("p");
        try {
            awaitCommand("kdfs", "mount");
            assertTrue(run("kdfs:mkfs " + partition + " 5").contains("(made here)"));
            assertTrue(Files.isRegularFile(partition.resolve("0-99/1/.meta")));
            try {
                run("kdfs:mount " + partition.resolveSibling("nothing"));
                fail("mounting a folder without a superblock is an error");
            } catch (KdfsException expected) {
                assertTrue(expected.getMessage(), expected.getMessage()
                        .contains(partition.resolveSibling("nothing").resolve("...").toString()));
            }
            run("kdfs:mount " + partition);
            // io.kddm.kdfs changes live: the mount made by the command stays (a deactivation would unmount it)
            awaitCommand("kdfs", "status");
            assertTrue(run("kdfs:status"), run("kdfs:status").contains("write-back every: 5 s"));
            writeDropIn(kdfsCfg, "sync.interval.s=1\n");
            awaitOutput("kdfs:status", "write-back every: 1 s", true);
            assertTrue(run("kdfs:status"), run("kdfs:status").contains("mount: " + partition));
            run("kdfs:mkdir /docs");
            run("kdfs:write /docs/a 'in the container'");
            assertEquals("in the container", run("kdfs:cat /docs/a"));
            assertTrue(run("kdfs:ls -l /docs").contains("-rw-r--r--"));
            run("kdfs:mv /docs/a /b");
            try {
                run("kdfs:cat /docs/a");
                fail("the file moved");
            } catch (KdfsException expected) {
                assertEquals(Errno.ENOENT, expected.errno());
            }
            // nothing closes a directory: the periodic write-back (every second now) puts it on disk
            String made = run("kdfs:mkdir /later");
            Matcher local = Pattern.compile("inode \\d+:(\\d+)").matcher(made);
            assertTrue(made, local.find());
            Path meta = partition.resolve("0-99").resolve(local.group(1)).resolve(".meta");
            long deadline = System.currentTimeMillis() + 15_000;
            while (!Files.exists(meta) && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertTrue("written back within 15 s without a sync: " + meta, Files.exists(meta));
            assertTrue(run("kdfs:umount").contains("unmounted"));
            assertTrue(Files.readString(partition.resolve("...")).contains("node=5"));
        } finally {
            removeNode(cfg, kdfsCfg);
        }
    }

    @Test
    public void nodeIsConfiguredThroughTheDropInFolderAndServesKddmNodes() throws Exception {
        Path secret = Files.writeString(tempDir("kddm-it-secret").resolve("secret"), "in-container secret");
        Path cfg = deploy().resolve("io.kddm.node.cfg");
        int port = NodeProcess.freePort();

        // No configuration yet: the transport and everything that needs it stay away.
        assertNull(await(Transport.class, 500));

        try {
            configureThroughTheDropInFolder(cfg, secret, port);
        } catch (AssertionError | Exception e) {
            Files.deleteIfExists(cfg); // the next test starts with no node, whatever failed here
            throw e;
        }

        // Removing the configuration takes the node down cleanly.
        removeNode(cfg);
        // DS unregisters the service before it deactivates the component, which unbinds.
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            try (ServerSocket again = new ServerSocket(port, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
                break; // bound: the node released it
            } catch (java.net.BindException stillBound) {
                assertTrue("the port is still bound 10 s after the node's configuration went away",
                        System.currentTimeMillis() < deadline);
                Thread.sleep(20);
            }
        }
    }
}
