package io.kddm.ipc.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetFamily;
import io.kddm.api.membership.Membership;
import io.kddm.api.set.Kddm;
import io.kddm.api.set.LeaveListener;
import io.kddm.ipc.Caller;
import io.kddm.ipc.MessageQueues;
import io.kddm.ipc.SemClient;
import io.kddm.ipc.Semaphores;

/**
 * System V IPC on this node: registers the {@code ipc} family and its IO
 * linker with kDDM and offers {@link MessageQueues} and {@link Semaphores}.
 * Immediate: the node must wake its waiters and sweep undo records whether or
 * not anybody here uses IPC. Stopping it (a bundle stop or update) closes the
 * clients of this node, the shell's included, as their processes exiting: their
 * undo records are applied; the queues and sets stay in kDDM.
 */
@Component(service = IpcComponent.class, immediate = true)
public final class IpcComponent {
    private static final Logger LOG = LoggerFactory.getLogger(IpcComponent.class);

    private final LocalIpc ipc;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final Caller shell;
    private SemClient shellClient;

    @Activate
    public IpcComponent(BundleContext context, @Reference Kddm kddm, @Reference Membership membership) {
        ipc = new LocalIpc(kddm, membership);
        shell = shellCaller(kddm.localNode());
        registrations.add(context.registerService(SetFamily.class, ipc.family(), props("kddm.family",
                IpcFamily.NAME)));
        registrations.add(context.registerService(IoLinker.class, ipc.ioLinker(), props("kddm.linker.io",
                IpcLinker.ID)));
        registrations.add(context.registerService(MessageQueues.class, ipc.queues(), null));
        registrations.add(context.registerService(Semaphores.class, ipc.semaphores(), null));
        registrations.add(context.registerService(LeaveListener.class, ipc::closeClients, null));
    }

    private static Dictionary<String, Object> props(String key, String value) {
        Dictionary<String, Object> d = new Hashtable<>();
        d.put(key, value);
        return d;
    }

    MessageQueues queues() {
        return ipc.queues();
    }

    Semaphores semaphores() {
        return ipc.semaphores();
    }

    /** Who the shell is: this JVM's uid and gid (from /proc, 0 elsewhere), its pid, this node. */
    Caller shell() {
        return shell;
    }

    /** The shell's semaphore client: it lives as long as this component, like a process, and is undone when it stops. */
    synchronized SemClient shellClient() {
        if (shellClient == null) {
            shellClient = ipc.semaphores().open(shell);
        }
        return shellClient;
    }

    /** Closes the shell's client now (its undo records applied); the next sem:op opens another. */
    synchronized boolean closeShellClient() {
        if (shellClient == null) {
            return false;
        }
        shellClient.close();
        shellClient = null;
        return true;
    }

    static Caller shellCaller(int node) {
        int uid = 0;
        int gid = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    uid = Integer.parseInt(line.split("\\s+")[1]);
                } else if (line.startsWith("Gid:")) {
                    gid = Integer.parseInt(line.split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException notLinux) {
            // no /proc: the shell acts as root
        }
        return new Caller(uid, gid, (int) ProcessHandle.current().pid(), node);
    }

    @Deactivate
    void deactivate() {
        try {
            ipc.closeClients();
        } catch (RuntimeException e) {
            LOG.warn("closing this node's semaphore clients: {}", e.toString());
        }
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException gone) {
                // the framework already took it
            }
        }
        ipc.close();
    }
}
