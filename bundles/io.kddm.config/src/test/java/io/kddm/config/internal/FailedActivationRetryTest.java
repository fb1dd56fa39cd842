package io.kddm.config.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.promise.Promises;

/**
 * {@link FailedActivationRetry} over a fake runtime: a failed component of the
 * changed PID is disabled and enabled once the runtime gave it the new
 * configuration, and only then; active ones and other PIDs' are left alone.
 */
class FailedActivationRetryTest {
    /** A runtime of components whose state and properties the test sets; disables and enables are recorded. */
    private static final class Runtime {
        final List<ComponentDescriptionDTO> descriptions = new ArrayList<>();
        final Map<String, ComponentConfigurationDTO> configurations = new ConcurrentHashMap<>();
        final List<String> calls = new CopyOnWriteArrayList<>();

        ComponentConfigurationDTO add(String name, int state, Map<String, Object> properties, String... pids) {
            ComponentDescriptionDTO d = new ComponentDescriptionDTO();
            d.name = name;
            d.configurationPid = pids;
            descriptions.add(d);
            ComponentConfigurationDTO c = new ComponentConfigurationDTO();
            c.description = d;
            c.state = state;
            c.properties = new ConcurrentHashMap<>(properties);
            c.failure = state == ComponentConfigurationDTO.FAILED_ACTIVATION ? "java.lang.IllegalArgumentException: bad"
                    : null;
            configurations.put(name, c);
            return c;
        }

        ServiceComponentRuntime scr() {
            return (ServiceComponentRuntime) Proxy.newProxyInstance(ServiceComponentRuntime.class.getClassLoader(),
                    new Class<?>[] {ServiceComponentRuntime.class}, (p, m, args) -> switch (m.getName()) {
                        case "getComponentDescriptionDTOs" -> (Collection<ComponentDescriptionDTO>) descriptions;
                        case "getComponentConfigurationDTOs" ->
                            List.of(configurations.get(((ComponentDescriptionDTO) args[0]).name));
                        case "disableComponent" -> {
                            calls.add("disable " + ((ComponentDescriptionDTO) args[0]).name);
                            yield Promises.resolved(null);
                        }
                        case "enableComponent" -> {
                            String name = ((ComponentDescriptionDTO) args[0]).name;
                            calls.add("enable " + name);
                            configurations.get(name).state = ComponentConfigurationDTO.ACTIVE;
                            yield Promises.resolved(null);
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }
    }

    private static ConfigCommandsTest.Admin nodeConfig(int id) {
        ConfigCommandsTest.Admin cm = new ConfigCommandsTest.Admin();
        Hashtable<String, Object> node = new Hashtable<>(Map.of("id", String.valueOf(id), "service.pid", "io.kddm.node",
                "felix.fileinstall.filename", "file:/deploy/io.kddm.node.cfg"));
        cm.store.put("io.kddm.node", node);
        return cm;
    }

    /** Config Admin's service reference, which an event must name (never used here). */
    @SuppressWarnings("unchecked")
    private static final ServiceReference<ConfigurationAdmin> ADMIN = (ServiceReference<ConfigurationAdmin>) Proxy
            .newProxyInstance(ServiceReference.class.getClassLoader(), new Class<?>[] {ServiceReference.class},
                    (p, m, args) -> {
                        throw new UnsupportedOperationException(m.getName());
                    });

    private static ConfigurationEvent event(int type, String pid) {
        return new ConfigurationEvent(ADMIN, type, null, pid);
    }

    private static ConfigurationEvent updated(String pid) {
        return event(ConfigurationEvent.CM_UPDATED, pid);
    }

    @Test
    void aFailedComponentIsTriedAgainOnceTheRuntimeGaveItTheFixedConfiguration() throws Exception {
        Runtime runtime = new Runtime();
        // The membership failed with id=300 and the runtime has not handed it the fix yet.
        ComponentConfigurationDTO membership = runtime.add("membership", ComponentConfigurationDTO.FAILED_ACTIVATION,
                Map.of("id", "300", "component.name", "membership"), "io.kddm.node", "io.kddm.membership");
        runtime.add("transport", ComponentConfigurationDTO.ACTIVE, Map.of("id", "7"), "io.kddm.node");
        runtime.add("core", ComponentConfigurationDTO.FAILED_ACTIVATION, Map.of(), "io.kddm.core");
        FailedActivationRetry retry = new FailedActivationRetry(runtime.scr(), nodeConfig(7).admin(), 5_000);
        retry.configurationEvent(updated("io.kddm.node"));
        Thread.sleep(100);
        assertEquals(List.of(), runtime.calls, "not before the runtime gave it id=7");
        membership.properties.put("id", "7");
        retry.drain();
        assertEquals(List.of("disable membership", "enable membership"), runtime.calls,
                "the membership only: the transport is active, the core is configured by another PID");
    }

    @Test
    void nothingIsRetriedBeforeEveryComponentOfThePidHasTheChange() throws Exception {
        Runtime runtime = new Runtime();
        // The transport failed with id=300 and has the fix; the membership (waiting for the transport's
        // service) has not: retried now, the transport would bring the membership up with the old values.
        runtime.add("transport", ComponentConfigurationDTO.FAILED_ACTIVATION, Map.of("id", "7"), "io.kddm.node");
        ComponentConfigurationDTO membership = runtime.add("membership",
                ComponentConfigurationDTO.UNSATISFIED_REFERENCE, Map.of("id", "300"), "io.kddm.node",
                "io.kddm.membership");
        FailedActivationRetry retry = new FailedActivationRetry(runtime.scr(), nodeConfig(7).admin(), 5_000);
        retry.configurationEvent(updated("io.kddm.node"));
        Thread.sleep(100);
        assertEquals(List.of(), runtime.calls, "not before the membership has id=7 too");
        membership.properties.put("id", "7");
        retry.drain();
        assertEquals(List.of("disable transport", "enable transport"), runtime.calls);
    }

    @Test
    void aComponentNeverGivenTheConfigurationIsNotTouchedAndTheRetryGivesUp() throws Exception {
        Runtime runtime = new Runtime();
        runtime.add("membership", ComponentConfigurationDTO.FAILED_ACTIVATION, Map.of("id", "300"), "io.kddm.node");
        FailedActivationRetry retry = new FailedActivationRetry(runtime.scr(), nodeConfig(7).admin(), 200);
        retry.configurationEvent(updated("io.kddm.node"));
        retry.configurationEvent(event(ConfigurationEvent.CM_DELETED, "io.kddm.node"));
        retry.drain();
        assertEquals(List.of(), runtime.calls);
    }

    @Test
    void settingsCompareByValueArraysIncludedAndIgnoreWhatTheRuntimeAdds() {
        Hashtable<String, Object> held = new Hashtable<>(Map.of("id", "7", "peers", new String[] {"a", "b"},
                "service.pid", "io.kddm.node", "felix.fileinstall.filename", "x"));
        assertTrue(FailedActivationRetry.given(held, Map.of("id", "7", "peers", new String[] {"a", "b"},
                "service.pid", List.of("io.kddm.node", "io.kddm.membership"))));
        assertFalse(FailedActivationRetry.given(held, Map.of("id", "7", "peers", new String[] {"a"})));
        assertFalse(FailedActivationRetry.given(held, Map.of("peers", new String[] {"a", "b"})), "id missing");
    }
}
