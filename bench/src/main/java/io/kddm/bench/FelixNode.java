package io.kddm.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleRevision;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.Kddm;

/**
 * One kDDM node in an Apache Felix framework embedded in this JVM, made of
 * the runtime's own bundles (bench/target/bundles, copied there by the build)
 * and configured as the launcher does it, by a .cfg in File Install's folder.
 * <p>
 * The system bundle exports the kDDM API and SLF4J exactly as the io.kddm.api
 * and slf4j-api jars on this class path export them, so the bundles and this
 * code share one {@link Kddm} interface (the io.kddm.api bundle is not
 * installed) and the bundles log through this JVM's logback.
 */
final class FelixNode implements AutoCloseable {
    private final Framework framework;
    private final BundleContext context;
    private final Kddm kddm;

    FelixNode(Path bundles, Path work, int nodeId) throws Exception {
        Path deploy = Files.createDirectories(work.resolve("deploy"));
        Path secret = work.resolve("secret");
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        Files.write(secret, random);
        Files.writeString(deploy.resolve("io.kddm.node.cfg"), "id=" + nodeId + "\nlisten=127.0.0.1:" + freePort()
                + "\nsecret.file=" + secret + "\n");
        Map<String, String> p = new HashMap<>();
        p.put(Constants.FRAMEWORK_STORAGE, work.resolve("felix-cache").toString());
        p.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        p.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, exports(Kddm.class) + "," + exports(LoggerFactory.class));
        p.put("felix.fileinstall.dir", deploy.toString());
        p.put("felix.fileinstall.poll", "200");
        p.put("felix.fileinstall.noInitialDelay", "true");
        p.put("felix.fileinstall.enableConfigSave", "false");
        p.put("kddm.data.dir", work.resolve("data").toString()); // the file linker's objects/ folder
        p.put("ds.loglevel", "warn");
        framework = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow().newFramework(p);
        framework.start();
        context = framework.getBundleContext();
        try {
            List<Bundle> installed = new ArrayList<>();
            try (Stream<Path> jars = Files.list(bundles)) {
                for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).sorted().toList()) {
                    installed.add(context.installBundle(jar.toUri().toString()));
                }
            }
            for (Bundle b : installed) {
                if ((b.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) == 0) {
                    b.start();
                }
            }
            try {
                Figures.await("the kDDM core service", Duration.ofSeconds(30), () -> hasService(Kddm.class.getName(),
                        null));
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + diagnosis(), e);
            }
            kddm = (Kddm) context.getService(services(Kddm.class.getName(), null)[0]);
            io.kddm.api.membership.Membership membership = (io.kddm.api.membership.Membership) context.getService(
                    services(io.kddm.api.membership.Membership.class.getName(), null)[0]);
            Figures.await("the node joining its one-node cluster", Duration.ofSeconds(30), membership::hasLease);
        } catch (Exception | Error e) {
            close(); // its threads would keep this JVM alive
            throw e;
        }
    }

    /** Each bundle's state and services, for a failure message. */
    private String diagnosis() {
        StringBuilder b = new StringBuilder();
        for (Bundle bundle : context.getBundles()) {
            b.append("\n  ").append(bundle.getSymbolicName()).append(' ').append(bundle.getVersion()).append(" state ")
                    .append(bundle.getState());
            ServiceReference<?>[] refs = bundle.getRegisteredServices();
            for (ServiceReference<?> r : refs == null ? new ServiceReference<?>[0] : refs) {
                b.append("\n    ").append(Arrays.toString((String[]) r.getProperty(Constants.OBJECTCLASS)));
            }
        }
        return b.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /** The Export-Package header of the jar (or bnd-built classes folder) that holds {@code type}. */
    private static String exports(Class<?> type) throws Exception {
        Path from = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        Manifest m;
        if (Files.isDirectory(from)) {
            try (InputStream in = Files.newInputStream(from.resolve(JarFile.MANIFEST_NAME))) {
                m = new Manifest(in);
            }
        } else {
            try (JarFile jar = new JarFile(from.toFile())) {
                m = jar.getManifest();
            }
        }
        String exports = m.getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
        if (exports == null) {
            throw new IllegalStateException(from + " exports no package");
        }
        return exports;
    }

    String frameworkVersion() {
        return framework.getVersion().toString();
    }

    Kddm kddm() {
        return kddm;
    }

    Bundle bundle(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName()))
                .findFirst().orElseThrow(() -> new IllegalStateException(symbolicName + " is not installed"));
    }

    /** Whether a service {@code type} with {@code filter} (an LDAP filter, or null) is registered. */
    boolean hasService(String type, String filter) {
        return services(type, filter) != null;
    }

    /**
     * Every service {@code type} with {@code filter}, or null. Not through the
     * look-up that checks assignability: asked from the system bundle, Felix
     * 7.0.5 filters out the kDDM services, though their bundles are wired to the
     * system bundle's export of the API (so their classes are this code's).
     */
    private ServiceReference<?>[] services(String type, String filter) {
        try {
            return context.getAllServiceReferences(type, filter);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The bundle's jar with another version, as a second build of it would be. */
    static byte[] rebuilt(Bundle bundle, String version) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(new URL(bundle.getLocation()).openStream())) {
            Manifest manifest = in.getManifest();
            manifest.getMainAttributes().putValue(Constants.BUNDLE_VERSION, version);
            try (JarOutputStream jar = new JarOutputStream(out, manifest)) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null;) {
                    jar.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(jar);
                    jar.closeEntry();
                }
            }
        }
        return out.toByteArray();
    }

    /**
     * Runs a Gogo command (such as {@code kddm:stats}) and returns what it
     * printed. Gogo's API is the gogo bundle's, not on this class path: called
     * reflectively through its own interfaces.
     */
    String command(String line) throws Exception {
        ServiceReference<?> ref = context.getServiceReference("org.apache.felix.service.command.CommandProcessor");
        if (ref == null) {
            throw new IllegalStateException("no Gogo command processor");
        }
        Object processor = context.getService(ref);
        try {
            Class<?> processorType = ref.getBundle().loadClass("org.apache.felix.service.command.CommandProcessor");
            Class<?> sessionType = ref.getBundle().loadClass("org.apache.felix.service.command.CommandSession");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
            Object session = processorType.getMethod("createSession", InputStream.class, OutputStream.class,
                    OutputStream.class).invoke(processor, InputStream.nullInputStream(), print, print);
            try {
                Object result = sessionType.getMethod("execute", CharSequence.class).invoke(session, line);
                if (result != null) {
                    print.print(result);
                }
            } finally {
                sessionType.getMethod("close").invoke(session);
            }
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            context.ungetService(ref);
        }
    }

    @Override
    public void close() throws Exception {
        framework.stop();
        if (framework.waitForStop(30_000).getType() == FrameworkEvent.WAIT_TIMEDOUT) {
            throw new IllegalStateException("the embedded framework did not stop within 30 s");
        }
    }
}
