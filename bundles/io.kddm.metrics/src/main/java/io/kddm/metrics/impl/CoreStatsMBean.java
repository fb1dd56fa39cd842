package io.kddm.metrics.impl;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.stats.CoreStats;

/**
 * The {@code kddm:stats} figures as read-only JMX attributes of
 * {@value #NAME} in the platform MBean server (jconsole, a JMX exporter), one
 * {@code long} attribute per counter and gauge, read anew at each get. The
 * latency histograms, the transport, the membership and kDFS are in
 * {@code /metrics} only.
 */
@Component(service = {}, immediate = true)
public final class CoreStatsMBean implements DynamicMBean {
    static final String NAME = "io.kddm:type=CoreStats";
    private static final Logger LOG = LoggerFactory.getLogger(CoreStatsMBean.class);

    private final CoreStats stats;
    private final MBeanServer server;
    private final ObjectName name;

    @Activate
    public CoreStatsMBean(@Reference CoreStats stats) {
        this(stats, ManagementFactory.getPlatformMBeanServer());
    }

    CoreStatsMBean(CoreStats stats, MBeanServer server) {
        this.stats = stats;
        this.server = server;
        ObjectName n;
        try {
            n = new ObjectName(NAME);
            server.registerMBean(this, n);
        } catch (JMException e) {
            // a second core in one JVM (tests): /metrics still has the figures
            LOG.warn("{} not registered: {}", NAME, e.toString());
            n = null;
        }
        this.name = n;
    }

    @Deactivate
    void unregister() {
        if (name != null) {
            try {
                server.unregisterMBean(name);
            } catch (JMException e) {
                LOG.debug("{} already gone: {}", NAME, e.toString());
            }
        }
    }

    private Map<String, Long> figures() {
        Map<String, Long> all = new TreeMap<>(stats.counters());
        all.putAll(stats.gauges());
        return all;
    }

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException {
        Long v = figures().get(attribute);
        if (v == null) {
            throw new AttributeNotFoundException("no figure " + attribute + " in kddm:stats");
        }
        return v;
    }

    @Override
    public AttributeList getAttributes(String[] attributes) {
        Map<String, Long> all = figures();
        AttributeList out = new AttributeList();
        for (String a : attributes) {
            if (all.containsKey(a)) {
                out.add(new Attribute(a, all.get(a)));
            }
        }
        return out;
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
        throw new AttributeNotFoundException(attribute.getName() + " is read-only");
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
        return new AttributeList(); // read-only: none set
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature) {
        throw new UnsupportedOperationException("no operation: the figures are read-only");
    }

    @Override
    public MBeanInfo getMBeanInfo() {
        List<MBeanAttributeInfo> attributes = new ArrayList<>();
        Map<String, Long> counters = stats.counters();
        for (String figure : figures().keySet()) {
            String kind = counters.containsKey(figure) ? "counter (only grows while the node runs)" : "gauge";
            attributes.add(new MBeanAttributeInfo(figure, "long", "kddm:stats " + figure + ", a " + kind, true,
                    false, false));
        }
        return new MBeanInfo(getClass().getName(), "The kDDM core's figures (kddm:stats) on this node",
                attributes.toArray(new MBeanAttributeInfo[0]), null, null, null);
    }
}
