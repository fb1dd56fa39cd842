package io.kddm.launch;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/** {@code kddm:exit}: this node leaves the cluster and its process ends. */
@Component(service = ExitCommand.class, property = {"osgi.command.scope=kddm", "osgi.command.function=exit"})
public final class ExitCommand {
    private final BundleContext context;

    @Activate
    public ExitCommand(BundleContext context) {
        this.context = context;
    }

    @Descriptor("stops this node in order (it leaves the cluster) and ends its process with status 0")
    public String exit() {
        return exit(0);
    }

    @Descriptor("stops this node in order and ends its process with the given status")
    public String exit(@Descriptor("exit status, 0..255") int status) {
        if (status < 0 || status > 255) {
            throw new IllegalArgumentException("exit status must be from 0 to 255, not " + status);
        }
        // Asynchronous: stopping the framework from the console's own thread would interrupt it mid-command.
        ProcessExit.exit(context, status);
        return "leaving the cluster";
    }
}
