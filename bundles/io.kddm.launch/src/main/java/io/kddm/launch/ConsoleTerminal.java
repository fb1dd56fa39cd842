package io.kddm.launch;

import java.io.IOException;

import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The terminal of an interactive node console: the process's own TTY, in raw
 * mode for line editing, history and completion.
 * <p>
 * Gogo's shell (org.apache.felix.gogo.jline) asks jline for the system
 * terminal while the framework starts its bundles. jline finds its terminal
 * providers (exec, jni...) as resources of the thread's context class loader,
 * which there is the launcher's: it sees no provider and falls back to a dumb
 * terminal ("Unable to create a system terminal"), where the Up arrow prints
 * {@code ^[[A}. So this component, which starts before the shell (start level
 * 10, the shell 20), builds the system terminal with jline's own class loader as
 * the context class loader and hands it to jline as the terminal every later
 * {@code TerminalBuilder.build()} returns, the shell's included.
 * <p>
 * Only for an interactive console (neither {@code kddm.exec} nor
 * {@code kddm.headless}) on a TTY: piped input keeps the dumb terminal it had.
 * SIGINT goes to the terminal (no JVM exit): the shell interrupts the running
 * command, and at the prompt it only clears the line.
 */
@Component(immediate = true, service = {})
public final class ConsoleTerminal {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleTerminal.class);
    /** jline's terminal providers to try in turn (ffm needs Java 22, jansi and jna are not deployed). */
    static final String PROVIDERS = "jni,exec";

    private final Terminal terminal;

    @Activate
    public ConsoleTerminal(BundleContext context) {
        this.terminal = interactive(context) && System.console() != null ? open() : null;
    }

    /** Whether this process runs a console: no {@code --exec} script and not {@code --headless}. */
    static boolean interactive(BundleContext context) {
        return context.getProperty("kddm.exec") == null
                && !Boolean.parseBoolean(context.getProperty("kddm.headless"));
    }

    private static Terminal open() {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(TerminalBuilder.class.getClassLoader());
        try {
            // As Gogo's shell asks for it: signals reach the terminal's handlers, not the JVM's default.
            // JNI (jline's own native library) first: the exec provider runs stty for each line
            // read, and a Ctrl-C typed meanwhile kills stty, and the console with it.
            Terminal t = TerminalBuilder.builder().name("kddm").system(true).nativeSignals(true)
                    .signalHandler(Terminal.SignalHandler.SIG_IGN).providers(PROVIDERS).build();
            if (t.getType().startsWith(Terminal.TYPE_DUMB)) {
                LOG.warn("the console has no terminal with line editing (jline gave a {} terminal)", t.getType());
                t.close();
                return null;
            }
            TerminalBuilder.setTerminalOverride(t);
            LOG.info("console terminal: {} ({})", t.getType(), t.getClass().getSimpleName());
            return t;
        } catch (IOException | RuntimeException e) {
            LOG.warn("the console has no terminal with line editing: {}", e.toString());
            return null;
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    @Deactivate
    void close() {
        if (terminal != null) {
            try {
                terminal.close(); // gives the TTY its modes back, if the shell has not closed it already
            } catch (IOException e) {
                LOG.debug("closing the console terminal: {}", e.toString());
            }
        }
    }
}
