package io.kddm.health.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.apache.felix.hc.api.execution.HealthCheckExecutor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /health[?tags=ready,cluster]}: every check (or those with one of the
 * tags) as JSON, status 200 when the node is healthy (no check worse than WARN),
 * 503 otherwise, the failing checks named in {@code failing}. Read-only: it
 * changes nothing, so it needs no authentication.
 */
@Component(service = Servlet.class, property = {"osgi.http.whiteboard.servlet.pattern=/health",
    "osgi.http.whiteboard.servlet.name=kddm-health"})
public final class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient HealthCheckExecutor executor;
    private final String node;

    @Activate
    public HealthServlet(@Reference HealthCheckExecutor executor, BundleContext context) {
        this.executor = executor;
        this.node = HealthCommand.nodeId(context);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String tags = request.getParameter("tags");
        HealthReport report = HealthReport.run(executor, node,
                tags == null || tags.isBlank() ? new String[0] : tags.split("\\s*,\\s*"));
        response.setStatus(report.healthy() ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.getOutputStream().write(report.json().getBytes(StandardCharsets.UTF_8));
    }
}
