package io.kddm.metrics.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;

import javax.management.Attribute;
import javax.management.AttributeNotFoundException;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;

import io.kddm.api.stats.CoreStats;

/** {@link CoreStatsMBean} in an MBean server of its own: the figures read anew at each get, read-only. */
class CoreStatsMBeanTest {
    private final SortedMap<String, Long> counters = new TreeMap<>();
    private final SortedMap<String, Long> gauges = new TreeMap<>();
    private final CoreStats stats = new CoreStats() {
        @Override
        public SortedMap<String, Long> counters() {
            return new TreeMap<>(counters);
        }

        @Override
        public SortedMap<String, Long> gauges() {
            return new TreeMap<>(gauges);
        }
    };

    @Test
    void everyFigureIsAnAttributeReadAnewAndNoneCanBeSet() throws Exception {
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        ObjectName name = new ObjectName(CoreStatsMBean.NAME);
        counters.put("grabs", 3L);
        gauges.put(CoreStats.BYTES_HELD, 4096L);
        CoreStatsMBean mbean = new CoreStatsMBean(stats, server);
        assertEquals(3L, server.getAttribute(name, "grabs"));
        counters.put("grabs", 250L);
        assertEquals(250L, server.getAttribute(name, "grabs"), "read anew, not when registered");
        assertEquals(4096L, server.getAttribute(name, CoreStats.BYTES_HELD));
        var names = Arrays.stream(server.getMBeanInfo(name).getAttributes()).map(a -> a.getName()).toList();
        assertEquals(java.util.List.of(CoreStats.BYTES_HELD, "grabs"), names);
        assertTrue(server.getMBeanInfo(name).getAttributes()[1].getDescription().contains("counter"));
        assertThrows(AttributeNotFoundException.class, () -> server.getAttribute(name, "nothing"));
        assertThrows(AttributeNotFoundException.class, () -> server.setAttribute(name, new Attribute("grabs", 0L)));
        assertEquals(250L, server.getAttribute(name, "grabs"), "a set changes nothing");
        mbean.unregister();
        assertFalse(server.isRegistered(name));
    }

    @Test
    void aSecondCoreInTheJvmIsNotRegisteredAndDoesNotFail() throws Exception {
        MBeanServer server = MBeanServerFactory.newMBeanServer();
        CoreStatsMBean first = new CoreStatsMBean(stats, server);
        CoreStatsMBean second = new CoreStatsMBean(stats, server);
        second.unregister(); // unregisters nothing: the first stays
        assertTrue(server.isRegistered(new ObjectName(CoreStatsMBean.NAME)));
        first.unregister();
    }
}
