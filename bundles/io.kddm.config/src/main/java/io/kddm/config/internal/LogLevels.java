package io.kddm.config.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;

/**
 * Log levels that change live: {@code io.kddm.log} maps logger names to levels
 * ({@code io.kddm.impl=DEBUG}, {@code ROOT=WARN}), a {@code deploy/io.kddm.log.cfg}
 * or {@code config:set io.kddm.log io.kddm.impl DEBUG}. A change is applied
 * and logged at once; a level that is no level is refused and the one in force
 * stays; a logger taken out of the configuration gets back the level it had
 * before (logback.xml's), and all of them do when this component stops.
 */
@Component(service = LogLevels.class, configurationPid = LogLevels.PID, immediate = true)
public final class LogLevels {
    static final String PID = "io.kddm.log";
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(LogLevels.class);
    private static final Set<String> NOT_LOGGERS = Set.of("service.pid", "service.factoryPid",
            "service.bundleLocation", ConfigCommands.FILE, "component.name", "component.id");

    private final LoggerContext context;
    /** The loggers this component set, and the level each had before (null: inherited). */
    private final Map<String, Level> original = new HashMap<>();

    @Activate
    public LogLevels(Map<String, Object> properties) {
        this(LoggerFactory.getILoggerFactory(), properties);
    }

    LogLevels(ILoggerFactory factory, Map<String, Object> properties) {
        this.context = factory instanceof LoggerContext c ? c : null;
        if (context == null) {
            LOG.warn("{}: SLF4J is not bound to Logback here ({}): log levels cannot change live", PID,
                    factory.getClass().getName());
        }
        modified(properties);
    }

    /** Applies the configured levels, one logger at a time. */
    @Modified
    synchronized void modified(Map<String, Object> properties) {
        if (context == null) {
            return;
        }
        Map<String, String> wanted = new TreeMap<>();
        properties.forEach((k, v) -> {
            if (!NOT_LOGGERS.contains(k) && !k.startsWith("felix.") && !k.startsWith("component.")
                    && !k.startsWith("osgi.") && !k.startsWith("service.")) { // (SCR's and Config Admin's)
                wanted.put(k, String.valueOf(v).trim());
            }
        });
        for (String name : new java.util.ArrayList<>(original.keySet())) {
            if (!wanted.containsKey(name)) {
                Logger logger = logger(name);
                Level back = original.remove(name);
                LOG.info("{}: {} changed from {} to {}, live", PID, name, logger.getLevel(), show(back));
                logger.setLevel(back);
            }
        }
        wanted.forEach((name, text) -> {
            Logger logger = logger(name);
            Level now = logger.getLevel();
            Level next = Level.toLevel(text.toUpperCase(java.util.Locale.ROOT), null);
            if (next == null) {
                LOG.error("{}: {}={} is not a level (TRACE, DEBUG, INFO, WARN, ERROR, OFF): refused, {} stays in force",
                        PID, name, text, show(now));
                return;
            }
            if (next.equals(now)) {
                return;
            }
            if (!original.containsKey(name)) { // (its level may be null: inherited)
                original.put(name, now);
            }
            logger.setLevel(next);
            LOG.info("{}: {} changed from {} to {}, live", PID, name, show(now), next);
        });
    }

    private Logger logger(String name) {
        return context.getLogger(name.equalsIgnoreCase("root") ? org.slf4j.Logger.ROOT_LOGGER_NAME : name);
    }

    /** A logger's own level, or the one it inherits. */
    private static String show(Level own) {
        return own != null ? own.toString() : "inherited";
    }

    /** Every logger gets back the level it had before this component set it. */
    @Deactivate
    synchronized void deactivate() {
        if (context != null) {
            original.forEach((name, level) -> logger(name).setLevel(level));
        }
        original.clear();
    }
}
