package io.kddm.impl.core;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.SetIds;

/**
 * The {@code io.kddm.core} configuration, each key checked on its own: what the
 * core starts with, and what a change to the configuration applies live. A value
 * that is invalid is refused with a log line and the one in force stays; a key
 * that cannot change live says so.
 */
final class CoreSettings {
    private static final Logger LOG = LoggerFactory.getLogger(CoreSettings.class);

    private CoreSettings() {
    }

    static Duration operationTimeout(KddmService.Config c) {
        if (c.operation_timeout_ms() <= 0) {
            throw new IllegalArgumentException("operation.timeout.ms must be > 0, not " + c.operation_timeout_ms());
        }
        return Duration.ofMillis(c.operation_timeout_ms());
    }

    static long memoryBudget(KddmService.Config c) {
        double mb = c.memory_budget_mb();
        if (!(mb >= 0) || Double.isInfinite(mb)) {
            throw new IllegalArgumentException("memory.budget.mb must be >= 0, not " + mb);
        }
        return (long) (mb * 1024 * 1024);
    }

    static Duration linkerGrace(KddmService.Config c) {
        if (c.linker_grace_ms() < 0) {
            throw new IllegalArgumentException("linker.grace.ms must be >= 0, not " + c.linker_grace_ms());
        }
        return Duration.ofMillis(c.linker_grace_ms());
    }

    static Map<Long, String> wellKnown(KddmService.Config c) {
        Map<Long, String> sets = new HashMap<>();
        for (String entry : String.join(",", c.well_known()).split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] parts = entry.split("=", 2);
            long id;
            try {
                id = SetIds.parse(parts[0].trim());
            } catch (IllegalArgumentException e) {
                id = -1;
            }
            if (parts.length != 2 || parts[1].isBlank() || id < 0 || !SetIds.wellKnown(id)) {
                throw new IllegalArgumentException("well.known entry '" + entry
                        + "' is not SET=FAMILY with a well-known set id (0:NUMBER)");
            }
            sets.put(id, parts[1].trim());
        }
        return sets;
    }

    /**
     * {@code backups.FAMILY=N} keys: this node's override of a family's backups
     * (0 to {@value Replication#MAX_BACKUPS}). Every node should say the same: the
     * owner backs up, the home fails over, each by its own count.
     */
    static Map<String, Integer> backups(Map<String, ?> properties) {
        return perFamily(properties, "backups.", 0, Replication.MAX_BACKUPS, "a number of backups");
    }

    /** {@code min.copies.FAMILY=N} keys: copies below which a grab fails fast (1 to 7). */
    static Map<String, Integer> minCopies(Map<String, ?> properties) {
        return perFamily(properties, "min.copies.", 1, Replication.MAX_BACKUPS + 1, "a number of copies");
    }

    private static Map<String, Integer> perFamily(Map<String, ?> properties, String prefix, int min, int max,
            String what) {
        Map<String, Integer> out = new HashMap<>();
        for (Map.Entry<String, ?> p : properties.entrySet()) {
            if (!p.getKey().startsWith(prefix)) {
                continue;
            }
            String family = p.getKey().substring(prefix.length());
            int n;
            try {
                n = Integer.parseInt(String.valueOf(p.getValue()).trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (family.isBlank() || n < min || n > max) {
                throw new IllegalArgumentException(p.getKey() + "=" + p.getValue() + " is not " + what + " from " + min
                        + " to " + max);
            }
            out.put(family, n);
        }
        return out;
    }

    /**
     * Applies one key of a changed configuration: {@code apply} runs if the new
     * value is valid and differs from {@code current}; an invalid one is refused
     * and logged. Returns whether it applied.
     */
    static <T> boolean change(String key, KddmService.Config next, Function<KddmService.Config, T> parse, T current,
            Consumer<T> apply, Function<T, String> show) {
        T value;
        try {
            value = parse.apply(next);
        } catch (IllegalArgumentException invalid) {
            LOG.error("io.kddm.core: {}: refused, {} stays in force", invalid.getMessage(), show.apply(current));
            return false;
        }
        if (Objects.equals(value, current)) {
            return false;
        }
        apply.accept(value);
        LOG.info("io.kddm.core: {} changed from {} to {}, live", key, show.apply(current), show.apply(value));
        return true;
    }
}
