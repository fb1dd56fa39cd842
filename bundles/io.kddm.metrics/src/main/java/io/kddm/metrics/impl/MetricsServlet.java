package io.kddm.metrics.impl;

import java.io.IOException;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.kddm.api.membership.Membership;
import io.kddm.api.set.Kddm;
import io.kddm.api.stats.CoreStats;
import io.kddm.api.stats.TransportStats;
import io.kddm.kdfs.Kdfs;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /metrics}: the node's metrics ({@link NodeMetrics}) in the
 * Prometheus text format, written by the Prometheus library. Each scrape reads
 * the figures anew (no message, no lock); read-only, so no authentication.
 */
@Component(service = Servlet.class, property = {"osgi.http.whiteboard.servlet.pattern=/metrics",
    "osgi.http.whiteboard.servlet.name=kddm-metrics"})
public final class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Kddm kddm;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile CoreStats core;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile TransportStats transport;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Membership membership;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Kdfs kdfs;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Kddm k = kddm;
        Kdfs fs = kdfs;
        var metrics = NodeMetrics.collect(new NodeMetrics.Sources(k == null ? null : k.stats(), core, transport,
                membership, fs == null ? null : fs.mounted(), fs == null ? null : fs.stats()));
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(WRITER.getContentType());
        response.setHeader("Cache-Control", "no-store");
        WRITER.write(response.getOutputStream(), metrics, io.prometheus.metrics.config.EscapingScheme.DEFAULT);
    }
}
