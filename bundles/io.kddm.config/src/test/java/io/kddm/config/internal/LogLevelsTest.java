package io.kddm.config.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;

import io.kddm.testing.LogLines;

/** io.kddm.log: levels set, changed, refused and given back, on the running component. */
class LogLevelsTest {
    @Test
    void levelsChangeLiveAndABadLevelIsRefused() {
        Logger a = (Logger) LoggerFactory.getLogger("io.kddm.test.a");
        Logger b = (Logger) LoggerFactory.getLogger("io.kddm.test.b");
        b.setLevel(Level.WARN); // as logback.xml would
        try (LogLines log = new LogLines(LogLevels.class)) {
            LogLevels levels = new LogLevels(LoggerFactory.getILoggerFactory(),
                    Map.of("io.kddm.test.a", "debug", "service.pid", LogLevels.PID,
                            "osgi.ds.satisfying.condition.target", "(osgi.condition.id=true)"));
            assertEquals(Level.DEBUG, a.getLevel());
            levels.modified(Map.of("io.kddm.test.a", "LOUD", "io.kddm.test.b", "ERROR"));
            assertEquals(Level.DEBUG, a.getLevel(), "refused: stays");
            assertEquals(Level.ERROR, b.getLevel());
            levels.modified(Map.of("io.kddm.test.a", "TRACE"));
            assertEquals(Level.TRACE, a.getLevel());
            assertEquals(Level.WARN, b.getLevel(), "taken out of the configuration: back to its own level");
            levels.deactivate();
            assertNull(a.getLevel(), "inherited again once the component stops");
            assertEquals(List.of("INFO io.kddm.log: io.kddm.test.a changed from inherited to DEBUG, live",
                    "ERROR io.kddm.log: io.kddm.test.a=LOUD is not a level (TRACE, DEBUG, INFO, WARN, ERROR, OFF): "
                            + "refused, DEBUG stays in force",
                    "INFO io.kddm.log: io.kddm.test.b changed from WARN to ERROR, live",
                    "INFO io.kddm.log: io.kddm.test.b changed from ERROR to WARN, live",
                    "INFO io.kddm.log: io.kddm.test.a changed from DEBUG to TRACE, live"), log.lines());
        } finally {
            b.setLevel(null);
        }
    }
}
