package io.kddm.testing;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;

/** The lines logged by some classes while a test runs ("LEVEL message"); their levels are put back on close. */
public final class LogLines extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<Logger> loggers;
    private final List<Level> levels;

    public LogLines(Class<?>... sources) {
        loggers = Arrays.stream(sources).map(c -> (Logger) LoggerFactory.getLogger(c)).toList();
        levels = loggers.stream().map(Logger::getLevel).toList();
        start();
        loggers.forEach(l -> {
            l.setLevel(Level.INFO);
            l.addAppender(this);
        });
    }

    @Override
    protected void append(ILoggingEvent e) {
        lines.add(e.getLevel() + " " + e.getFormattedMessage());
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** The lines that contain {@code text}. */
    public List<String> with(String text) {
        return lines.stream().filter(l -> l.contains(text)).toList();
    }

    @Override
    public void close() {
        for (int i = 0; i < loggers.size(); i++) {
            loggers.get(i).detachAppender(this);
            loggers.get(i).setLevel(levels.get(i));
        }
        stop();
    }
}
