package io.kddm.config.internal;

import java.io.IOException;
import java.lang.reflect.Array;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A component whose activation failed with a configuration (a node id out of
 * range, voters missing) is tried again once that configuration is changed.
 * <p>
 * Declarative Services does it by itself only for components without a modified
 * method: it hands the new configuration of one that has it (the transport, the
 * membership, the core: their keys apply live) to the instance, and a failed
 * activation left none, so nothing happened. The fixed {@code deploy/io.kddm.node.cfg}
 * was taken and the node stayed down until restarted. A retry waits until the
 * runtime gave the component the configuration Config Admin holds, then disables
 * and enables it: it had no instance, so nothing is lost, and whatever failed
 * because its service could not be had (the membership behind the transport, the
 * core behind the membership) starts with it.
 */
@Component(service = ConfigurationListener.class, immediate = true)
public final class FailedActivationRetry implements ConfigurationListener {
    private static final Logger LOG = LoggerFactory.getLogger(FailedActivationRetry.class);
    /** Keys Config Admin, File Install or the runtime add: not the component's settings. */
    private static final Set<String> NOT_SETTINGS = Set.of("service.pid", "service.factoryPid",
            "service.bundleLocation", ConfigCommands.FILE);

    private final ServiceComponentRuntime scr;
    private final ConfigurationAdmin configAdmin;
    private final long waitMillis;
    /** One retry at a time, in the order the changes came, off Config Admin's event thread. */
    private final ExecutorService retries = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kddm-config-retry");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public FailedActivationRetry(@Reference ServiceComponentRuntime scr, @Reference ConfigurationAdmin configAdmin) {
        this(scr, configAdmin, 10_000);
    }

    FailedActivationRetry(ServiceComponentRuntime scr, ConfigurationAdmin configAdmin, long waitMillis) {
        this.scr = scr;
        this.configAdmin = configAdmin;
        this.waitMillis = waitMillis;
    }

    @Deactivate
    void stop() {
        retries.shutdownNow();
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        if (event.getType() == ConfigurationEvent.CM_UPDATED) {
            String pid = event.getPid();
            retries.execute(() -> retryFailed(pid));
        }
    }

    /** Retries every failed component configured by {@code pid} once it has the configuration now held. */
    void retryFailed(String pid) {
        long deadline = System.currentTimeMillis() + waitMillis;
        while (true) {
            Dictionary<String, Object> held = held(pid);
            if (held == null) {
                return; // deleted meanwhile: the components are stopped, not failed
            }
            // Every component of the PID, failed or not, must have the change before any is retried: the
            // transport retried while the membership still had the old values made the membership start
            // with them (it waited for the transport's service, and came with it).
            boolean waiting = false;
            Map<ComponentDescriptionDTO, ComponentConfigurationDTO> failures = new LinkedHashMap<>();
            for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
                if (!Arrays.asList(description.configurationPid).contains(pid)) {
                    continue;
                }
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(description)) {
                    if (!given(held, c.properties)) {
                        waiting = true; // the runtime has not handed it the change yet
                    } else if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                        failures.put(description, c);
                    }
                }
            }
            if (!waiting) {
                failures.forEach((d, c) -> retry(d, c, pid));
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                LOG.warn("{}: a component that failed to activate was not given the new configuration within {} ms;"
                        + " not tried again", pid, waitMillis);
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void retry(ComponentDescriptionDTO description, ComponentConfigurationDTO failed, String pid) {
        String why = failed.failure == null ? "" : failed.failure.lines().findFirst().orElse("");
        LOG.info("{} failed to activate ({}); {} changed: trying it again", description.name, why, pid);
        try {
            scr.disableComponent(description).getValue();
            scr.enableComponent(description).getValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("{} could not be enabled again: {}", description.name, e.toString());
        }
    }

    private Dictionary<String, Object> held(String pid) {
        try {
            Configuration[] found = configAdmin.listConfigurations("(service.pid=" + pid + ")");
            return found == null || found.length == 0 ? null : found[0].getProperties();
        } catch (IOException | InvalidSyntaxException e) {
            LOG.warn("{}: cannot read its configuration: {}", pid, e.toString());
            return null;
        }
    }

    /** Whether every setting of {@code held} has its value in the component's properties. */
    static boolean given(Dictionary<String, Object> held, Map<String, Object> component) {
        for (Enumeration<String> keys = held.keys(); keys.hasMoreElements();) {
            String key = keys.nextElement();
            if (NOT_SETTINGS.contains(key) || key.startsWith("felix.") || key.startsWith("component.")) {
                continue;
            }
            if (!same(held.get(key), component.get(key))) {
                return false;
            }
        }
        return true;
    }

    private static boolean same(Object a, Object b) {
        if (a != null && b != null && a.getClass().isArray() && b.getClass().isArray()) {
            int n = Array.getLength(a);
            if (n != Array.getLength(b)) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                if (!Objects.equals(Array.get(a, i), Array.get(b, i))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(a, b);
    }

    /** For tests: waits until the retries asked so far are done. */
    void drain() throws InterruptedException {
        retries.submit(() -> {
        });
        retries.shutdown();
        retries.awaitTermination(waitMillis + 5_000, TimeUnit.MILLISECONDS);
    }
}
