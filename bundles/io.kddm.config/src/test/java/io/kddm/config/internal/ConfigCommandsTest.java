package io.kddm.config.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The config:* commands over an in-memory Config Admin: what they show, what
 * they change (and where they write it), and the errors of bad input, which
 * change nothing.
 */
class ConfigCommandsTest {
    @TempDir
    Path deploy;

    /** Config Admin in memory: PID to properties; every update is recorded. */
    static final class Admin {
        final Map<String, Hashtable<String, Object>> store = new TreeMap<>();
        final List<String> updates = new java.util.ArrayList<>();

        Configuration configuration(String pid) {
            return (Configuration) Proxy.newProxyInstance(Configuration.class.getClassLoader(),
                    new Class<?>[] {Configuration.class}, (p, m, args) -> switch (m.getName()) {
                        case "getPid" -> pid;
                        case "getProperties" -> store.containsKey(pid) ? new Hashtable<>(store.get(pid)) : null;
                        case "update" -> {
                            @SuppressWarnings("unchecked")
                            Dictionary<String, Object> d = (Dictionary<String, Object>) args[0];
                            Hashtable<String, Object> h = new Hashtable<>();
                            for (String k : java.util.Collections.list(d.keys())) {
                                h.put(k, d.get(k));
                            }
                            h.put("service.pid", pid);
                            store.put(pid, h);
                            updates.add(pid + " " + new TreeMap<>(h));
                            yield null;
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }

        ConfigurationAdmin admin() {
            Pattern byPid = Pattern.compile("\\(service\\.pid=([^)]*)\\)");
            return (ConfigurationAdmin) Proxy.newProxyInstance(ConfigurationAdmin.class.getClassLoader(),
                    new Class<?>[] {ConfigurationAdmin.class}, (p, m, args) -> switch (m.getName()) {
                        case "getConfiguration" -> configuration((String) args[0]);
                        case "listConfigurations" -> {
                            String filter = (String) args[0];
                            List<Configuration> out = new java.util.ArrayList<>();
                            for (String pid : store.keySet()) {
                                Matcher mm = filter == null ? null : byPid.matcher(filter);
                                if (filter == null || (mm.matches() && mm.group(1).equals(pid))) {
                                    out.add(configuration(pid));
                                }
                            }
                            yield out.isEmpty() ? null : out.toArray(new Configuration[0]);
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }
    }

    @Test
    void setMakesAConfigurationAndItsFileThenChangesGetAndUnsetShowIt() throws Exception {
        Admin cm = new Admin();
        ConfigCommands config = new ConfigCommands(cm.admin(), deploy.toString());
        assertEquals("no configuration", config.list());
        assertFalse(config.has("io.kddm.core"));
        assertEquals("io.kddm.core: operation.timeout.ms (default) -> 20000 (the component logs whether it applies "
                + "live)", config.set("io.kddm.core", "operation.timeout.ms", "20000"));
        Path file = deploy.resolve("io.kddm.core.cfg");
        assertEquals(List.of("operation.timeout.ms=20000"), Files.readAllLines(file),
                "a configuration that had no file gets one in deploy/, as if written by hand");
        assertEquals(file.toFile().toURI().toString(), cm.store.get("io.kddm.core").get(ConfigCommands.FILE));
        assertEquals("20000", config.get("io.kddm.core", "operation.timeout.ms"));
        assertTrue(config.has("io.kddm.core") && config.has("io.kddm.core", "operation.timeout.ms"));
        assertFalse(config.has("io.kddm.core", "memory.budget.mb") || config.has("io.kddm.core", "service.pid"));
        assertEquals("io.kddm.core: operation.timeout.ms is already 20000",
                config.set("io.kddm.core", "operation.timeout.ms", "20000"));
        assertEquals(1, cm.updates.size(), "setting the value in force updates nothing");

        Files.writeString(file, "# by hand\noperation.timeout.ms = 20000\n");
        config.set("io.kddm.core", "memory.budget.mb", "64");
        config.set("io.kddm.core", "operation.timeout.ms", "25000");
        config.set("io.kddm.core", "operation.timeout.ms", "20000");
        assertEquals("# by hand\noperation.timeout.ms=20000\nmemory.budget.mb=64\n", Files.readString(file),
                "the key's line replaced or added, the other lines kept");
        assertEquals("memory.budget.mb=64\noperation.timeout.ms=20000\n", config.get("io.kddm.core"));
        assertEquals(config.get("io.kddm.core"), config.list("io.kddm.core"));
        String all = config.list();
        assertTrue(all.matches("(?s)PID\\s+KEYS\\s+FILE\\nio\\.kddm\\.core\\s+2\\s+file:.*io\\.kddm\\.core\\.cfg\\n"), all);

        assertEquals("io.kddm.core: memory.budget.mb 64 -> (default) (the component logs whether it applies live)",
                config.unset("io.kddm.core", "memory.budget.mb"));
        assertEquals("operation.timeout.ms=20000\n", config.get("io.kddm.core"));
        assertEquals("# by hand\noperation.timeout.ms=20000\n", Files.readString(file), "its line removed");
        config.set("io.kddm.node", "peers", "127.0.0.1:7002");
        cm.store.get("io.kddm.node").put("peers", new String[] {"a:1", "b:2"});
        assertEquals("a:1,b:2", config.get("io.kddm.node", "peers"), "an array as a .cfg file holds it");
    }

    @Test
    void badInputIsRefusedWithAnErrnoAndChangesNothing() throws Exception {
        Admin cm = new Admin();
        ConfigCommands config = new ConfigCommands(cm.admin(), deploy.toString());
        config.set("io.kddm.core", "operation.timeout.ms", "20000");
        int updates = cm.updates.size();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config.get("io.kddm.nothing")).getMessage()
                .startsWith("ENOENT: no configuration io.kddm.nothing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config.get("io.kddm.core", "nokey"))
                .getMessage().startsWith("ENOENT: io.kddm.core has no key nokey"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config.unset("io.kddm.core", "nokey"))
                .getMessage().startsWith("ENOENT: io.kddm.core has no key nokey"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config.unset("io.kddm.none", "a"))
                .getMessage().startsWith("ENOENT: no configuration io.kddm.none"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config.set("io.kddm.core", "service.pid", "x"))
                .getMessage().startsWith("EINVAL: 'service.pid' is not a key"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config.set("io.kddm.core", "a=b", "x"))
                .getMessage().startsWith("EINVAL: 'a=b' is not a key"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config.set("io.kddm.core", "a", "x\ny=1"))
                .getMessage().startsWith("EINVAL: a value is one line"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config.set("(evil)", "a", "x"))
                .getMessage().startsWith("EINVAL: '(evil)' is not a PID"));
        assertEquals(updates, cm.updates.size());
        assertEquals(List.of("operation.timeout.ms=20000"), Files.readAllLines(deploy.resolve("io.kddm.core.cfg")));
        assertFalse(Files.exists(deploy.resolve("(evil).cfg")));
        assertEquals("operation.timeout.ms=20000\n", config.get("io.kddm.core"));
    }
}
