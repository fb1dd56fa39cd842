package io.kddm.config.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code config:list}, {@code config:get}, {@code config:set},
 * {@code config:unset}, {@code config:has}: the node's configurations in Config Admin, the same
 * ones its {@code deploy/*.cfg} files hold. A change goes through Config Admin,
 * so the component concerned gets it at once ({@code @Modified}: it applies it
 * live or refuses it, and says so in the log), and to its file in the node's
 * drop-in folder, which stays the configuration the node starts with (File
 * Install's own write-back, {@code felix.fileinstall.enableConfigSave}, is off
 * in our runtime: it would rewrite every file in its own format).
 */
@Component(service = ConfigCommands.class, property = {"osgi.command.scope=config", "osgi.command.function=list",
    "osgi.command.function=get", "osgi.command.function=set", "osgi.command.function=unset",
    "osgi.command.function=has"})
public final class ConfigCommands {
    /** File Install's property naming the file a configuration came from. */
    static final String FILE = "felix.fileinstall.filename";
    /** Properties that are Config Admin's or File Install's, not the component's. */
    private static final Set<String> HIDDEN = Set.of("service.pid", "service.factoryPid", "service.bundleLocation",
            FILE);

    private final ConfigurationAdmin admin;
    /** The node's drop-in folder (File Install's), or null. */
    private final Path deploy;

    @Activate
    public ConfigCommands(@Reference ConfigurationAdmin admin, BundleContext context) {
        this(admin, context.getProperty("felix.fileinstall.dir"));
    }

    ConfigCommands(ConfigurationAdmin admin, String deployDir) {
        this.admin = admin;
        this.deploy = deployDir == null || deployDir.isBlank() ? null : Path.of(deployDir).toAbsolutePath();
    }

    @Descriptor("lists the node's configurations: PID, number of keys, file")
    public String list() throws IOException, InvalidSyntaxException {
        Configuration[] all = admin.listConfigurations(null);
        if (all == null || all.length == 0) {
            return "no configuration";
        }
        TreeMap<String, Configuration> byPid = new TreeMap<>();
        for (Configuration c : all) {
            byPid.put(c.getPid(), c);
        }
        StringBuilder out = new StringBuilder(String.format("%-28s %4s  %s%n", "PID", "KEYS", "FILE"));
        for (Configuration c : byPid.values()) {
            TreeMap<String, Object> p = visible(c.getProperties());
            Object file = c.getProperties() == null ? null : c.getProperties().get(FILE);
            out.append(String.format("%-28s %4d  %s%n", c.getPid(), p.size(), file == null ? "-" : file));
        }
        return out.toString();
    }

    @Descriptor("shows the keys and values of one configuration")
    public String list(@Descriptor("PID, e.g. io.kddm.core") String pid) throws IOException, InvalidSyntaxException {
        return get(pid);
    }

    @Descriptor("shows the keys and values of one configuration")
    public String get(@Descriptor("PID, e.g. io.kddm.core") String pid) throws IOException, InvalidSyntaxException {
        TreeMap<String, Object> p = visible(existing(pid).getProperties());
        StringBuilder out = new StringBuilder();
        p.forEach((k, v) -> out.append(k).append('=').append(show(v)).append('\n'));
        return out.length() == 0 ? pid + " has no keys (every value is the default)\n" : out.toString();
    }

    @Descriptor("shows the value of one key")
    public String get(@Descriptor("PID, e.g. io.kddm.core") String pid,
            @Descriptor("key, e.g. operation.timeout.ms") String key) throws IOException, InvalidSyntaxException {
        Object v = visible(existing(pid).getProperties()).get(key);
        if (v == null) {
            throw new IllegalArgumentException("ENOENT: " + pid + " has no key " + key + " (its default applies)");
        }
        return show(v);
    }

    @Descriptor("true if the configuration exists (scripts: until {config:has PID} {...})")
    public boolean has(@Descriptor("PID, e.g. io.kddm.core") String pid) throws IOException, InvalidSyntaxException {
        return find(pid) != null;
    }

    @Descriptor("true if the configuration has the key")
    public boolean has(@Descriptor("PID, e.g. io.kddm.core") String pid, @Descriptor("key") String key)
            throws IOException, InvalidSyntaxException {
        Configuration c = find(pid);
        return c != null && visible(c.getProperties()).containsKey(key);
    }

    @Descriptor("sets a key through Config Admin: the component applies it live or refuses it (see the log); "
            + "the node's deploy/PID.cfg is written")
    public String set(@Descriptor("PID, e.g. io.kddm.core") String pid,
            @Descriptor("key, e.g. operation.timeout.ms") String key, @Descriptor("value") String value)
            throws IOException, InvalidSyntaxException {
        checkKey(key);
        Configuration c = find(pid);
        Dictionary<String, Object> props = copy(c == null ? null : c.getProperties());
        Object before = props.get(key);
        if (value.equals(before == null ? null : show(before))) {
            return pid + ": " + key + " is already " + value;
        }
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("EINVAL: a value is one line");
        }
        props.put(key, value);
        write(pid, c, props, key, value);
        return pid + ": " + key + " " + (before == null ? "(default)" : show(before)) + " -> " + value
                + " (the component logs whether it applies live)";
    }

    @Descriptor("removes a key, so that its default applies again")
    public String unset(@Descriptor("PID, e.g. io.kddm.core") String pid,
            @Descriptor("key, e.g. operation.timeout.ms") String key) throws IOException, InvalidSyntaxException {
        checkKey(key);
        Configuration c = existing(pid);
        Dictionary<String, Object> props = copy(c.getProperties());
        Object before = props.remove(key);
        if (before == null) {
            throw new IllegalArgumentException("ENOENT: " + pid + " has no key " + key);
        }
        write(pid, c, props, key, null);
        return pid + ": " + key + " " + show(before) + " -> (default) (the component logs whether it applies live)";
    }

    private static void checkKey(String key) {
        if (key.isBlank() || HIDDEN.contains(key) || !key.matches("[A-Za-z0-9_.\\-]+")) {
            throw new IllegalArgumentException("EINVAL: '" + key + "' is not a key a component reads");
        }
    }

    /**
     * Writes the change to the configuration's file (the one File Install made
     * it from, else {@code deploy/PID.cfg}): the key's line replaced, removed or
     * added, every other line kept; then updates {@code c} (made if null) through
     * Config Admin, so the component gets it at once. When File Install reads
     * the file again it finds the same values. Without a drop-in folder only
     * Config Admin changes (and the node's next start forgets it).
     */
    private void write(String pid, Configuration c, Dictionary<String, Object> props, String key, String value)
            throws IOException {
        Path file = file(props.get(FILE), pid);
        if (file != null) {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8)
                    : new ArrayList<>();
            List<String> out = new ArrayList<>();
            boolean done = false;
            for (String line : lines) {
                if (key.equals(keyOf(line))) {
                    if (value != null && !done) {
                        out.add(key + "=" + escape(value));
                    }
                    done = true;
                } else {
                    out.add(line);
                }
            }
            if (!done && value != null) {
                out.add(key + "=" + escape(value));
            }
            Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp"); // not a .cfg: File Install skips it
            Files.write(tmp, out, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            props.put(FILE, file.toFile().toURI().toString()); // File Install's own spelling of it
        }
        Configuration target = c != null ? c : admin.getConfiguration(pid, "?");
        target.update(props);
    }

    /** The file of a configuration: File Install's, else one in the drop-in folder; null if none. */
    private Path file(Object named, String pid) {
        if (named != null) {
            try {
                return Path.of(URI.create(String.valueOf(named)));
            } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException notAFile) {
                return null;
            }
        }
        return deploy == null ? null : deploy.resolve(pid + ".cfg");
    }

    /** The key of a properties line, or null for a comment or a blank line. */
    static String keyOf(String line) {
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#") || t.startsWith("!")) {
            return null;
        }
        int end = 0;
        while (end < t.length() && "=: \t".indexOf(t.charAt(end)) < 0) {
            end++;
        }
        return t.substring(0, end);
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\");
    }

    private Configuration find(String pid) throws IOException, InvalidSyntaxException {
        if (!pid.matches("[A-Za-z0-9_.\\-~]+")) {
            throw new IllegalArgumentException("EINVAL: '" + pid + "' is not a PID");
        }
        Configuration[] found = admin.listConfigurations("(service.pid=" + pid + ")");
        return found == null || found.length == 0 ? null : found[0];
    }

    private Configuration existing(String pid) throws IOException, InvalidSyntaxException {
        Configuration c = find(pid);
        if (c == null) {
            throw new IllegalArgumentException("ENOENT: no configuration " + pid + " (config:list shows them; "
                    + "config:set makes one)");
        }
        return c;
    }

    private static Dictionary<String, Object> copy(Dictionary<String, Object> from) {
        Hashtable<String, Object> out = new Hashtable<>();
        if (from != null) {
            for (Enumeration<String> keys = from.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                out.put(k, from.get(k));
            }
        }
        return out;
    }

    private static TreeMap<String, Object> visible(Dictionary<String, Object> props) {
        TreeMap<String, Object> out = new TreeMap<>();
        if (props != null) {
            for (Enumeration<String> keys = props.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                if (!HIDDEN.contains(k)) {
                    out.put(k, props.get(k));
                }
            }
        }
        return out;
    }

    /** A value as a .cfg file holds it (arrays comma separated). */
    static String show(Object v) {
        if (v instanceof Object[] a) {
            List<String> parts = new ArrayList<>();
            for (Object o : a) {
                parts.add(String.valueOf(o));
            }
            return String.join(",", parts);
        }
        return String.valueOf(v);
    }
}
