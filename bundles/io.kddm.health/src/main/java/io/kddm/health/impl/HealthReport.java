package io.kddm.health.impl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.apache.felix.hc.api.execution.HealthCheckExecutionOptions;
import org.apache.felix.hc.api.execution.HealthCheckExecutionResult;
import org.apache.felix.hc.api.execution.HealthCheckExecutor;
import org.apache.felix.hc.api.execution.HealthCheckSelector;

import io.kddm.health.KddmChecks;

/**
 * One run of the node's health checks through Felix's executor, rendered as the
 * JSON of {@code /health} or the table of {@code kddm:health}. The node is
 * healthy when no check is worse than WARN.
 */
final class HealthReport {
    /** One check's outcome. */
    record Check(String name, List<String> tags, Result.Status status, String message, long millis) {
    }

    private final String node;
    private final List<Check> checks;

    HealthReport(String node, List<Check> checks) {
        this.node = node;
        this.checks = checks.stream().sorted(Comparator.comparing(Check::name)).toList();
    }

    /**
     * Runs the checks with any of {@code tags} (those tagged {@code kddm}, every
     * check of the node, if none), now rather than from Felix's result cache.
     * (Felix's empty selector selects nothing, not everything.)
     */
    static HealthReport run(HealthCheckExecutor executor, String node, String... tags) {
        HealthCheckSelector selector = HealthCheckSelector.tags(tags.length == 0 ? new String[] {KddmChecks.TAG} : tags);
        HealthCheckExecutionOptions options = new HealthCheckExecutionOptions().setForceInstantExecution(true)
                .setCombineTagsWithOr(true);
        List<Check> checks = new ArrayList<>();
        for (HealthCheckExecutionResult r : executor.execute(selector, options)) {
            Result result = r.getHealthCheckResult();
            checks.add(new Check(r.getHealthCheckMetadata().getName(), r.getHealthCheckMetadata().getTags(),
                    result.getStatus(), message(result), r.getElapsedTimeInMs()));
        }
        return new HealthReport(node, checks);
    }

    private static String message(Result result) {
        List<String> lines = new ArrayList<>();
        for (ResultLog.Entry e : result) {
            if (!e.isDebug()) {
                lines.add(e.getMessage() + (e.getException() == null ? "" : " (" + e.getException() + ")"));
            }
        }
        return String.join("; ", lines);
    }

    List<Check> checks() {
        return checks;
    }

    /** The worst status of all checks; CRITICAL when there is no check at all. */
    Result.Status status() {
        if (checks.isEmpty()) {
            return Result.Status.CRITICAL;
        }
        return checks.stream().map(Check::status).max(Comparator.naturalOrder()).orElseThrow();
    }

    boolean healthy() {
        return status().ordinal() <= Result.Status.WARN.ordinal();
    }

    /** The checks worse than WARN, by name. */
    List<String> failing() {
        return checks.stream().filter(c -> c.status().ordinal() > Result.Status.WARN.ordinal()).map(Check::name)
                .toList();
    }

    /**
     * {@code {"node":"1","status":"CRITICAL","healthy":false,"failing":["live nodes"],
     * "checks":[{"name":...,"tags":[...],"status":...,"message":...,"ms":...}]}}
     */
    String json() {
        StringBuilder b = new StringBuilder("{\"node\":").append(Json.string(node)).append(",\"status\":")
                .append(Json.string(status().name())).append(",\"healthy\":").append(healthy())
                .append(",\"failing\":").append(Json.strings(failing())).append(",\"checks\":[");
        for (int i = 0; i < checks.size(); i++) {
            Check c = checks.get(i);
            b.append(i == 0 ? "" : ",").append("{\"name\":").append(Json.string(c.name())).append(",\"tags\":")
                    .append(Json.strings(c.tags())).append(",\"status\":").append(Json.string(c.status().name()))
                    .append(",\"message\":").append(Json.string(c.message())).append(",\"ms\":").append(c.millis())
                    .append('}');
        }
        return b.append("]}\n").toString();
    }

    /** A table of every check, then the overall status. */
    String table() {
        int width = Math.max(5, checks.stream().mapToInt(c -> c.name().length()).max().orElse(0));
        StringBuilder b = new StringBuilder(String.format("%-" + width + "s  %-8s  %s%n", "CHECK", "STATUS", "DETAIL"));
        for (Check c : checks) {
            b.append(String.format("%-" + width + "s  %-8s  %s%n", c.name(), c.status(), c.message()));
        }
        b.append("node ").append(node).append(": ").append(status());
        if (!failing().isEmpty()) {
            b.append(" (failing: ").append(String.join(", ", failing())).append(')');
        }
        return b.append('\n').toString();
    }
}
