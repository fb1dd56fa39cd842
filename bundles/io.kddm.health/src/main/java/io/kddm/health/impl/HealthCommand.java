package io.kddm.health.impl;

import org.apache.felix.hc.api.execution.HealthCheckExecutor;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code kddm:health}: the table of the node's health checks. When a check is
 * worse than WARN the command fails after printing it, naming the failing checks,
 * so that {@code ./kddm node --exec kddm:health} exits 1.
 */
@Component(service = HealthCommand.class, property = {"osgi.command.scope=kddm", "osgi.command.function=health"})
public final class HealthCommand {
    private final HealthCheckExecutor executor;
    private final String node;

    @Activate
    public HealthCommand(@Reference HealthCheckExecutor executor, BundleContext context) {
        this.executor = executor;
        this.node = nodeId(context);
    }

    static String nodeId(BundleContext context) {
        String id = context.getProperty("kddm.node.id");
        return id == null ? "?" : id;
    }

    @Descriptor("runs this node's health checks and prints them; fails (exit 1 with --exec) when one is CRITICAL")
    public String health(@Descriptor("only the checks with one of these tags, comma separated (ready, cluster, kdfs)")
            @Parameter(names = "--tags", absentValue = "") String tags) {
        HealthReport report = HealthReport.run(executor, node, tags.isBlank() ? new String[0] : tags.split("\\s*,\\s*"));
        if (report.checks().isEmpty()) {
            throw new IllegalArgumentException("ENOENT: no health check with the tags '" + tags + "'");
        }
        if (!report.healthy()) {
            System.out.print(report.table());
            System.out.flush();
            throw new IllegalStateException("unhealthy: " + String.join(", ", report.failing()));
        }
        return report.table();
    }
}
