package io.kddm.ipc.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.kddm.ipc.QueueInfo;
import io.kddm.ipc.SemInfo;

/**
 * {@code ipc:ipcs} and {@code ipc:ipcrm}: every queue and semaphore set of the
 * cluster (and shared memory segment, when the shm bundle is there), as
 * {@code ipcs} lists them, and their removal.
 */
@Component(service = IpcCommands.class, property = {"osgi.command.scope=ipc", "osgi.command.function=ipcs",
    "osgi.command.function=ipcrm"})
public final class IpcCommands {
    static final String IPCRM = "-q ID | -s ID | -m ID ...";

    private final IpcComponent ipc;

    /**
     * The shm bundle's {@code io.kddm.shm.SharedMemory}, if it runs: the field
     * is typed Object so that this class needs nothing of it at run time (its
     * package is imported optionally, and only {@link ShmRows} touches its types).
     */
    @Reference(service = io.kddm.shm.SharedMemory.class, cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Object sharedMemory;

    @Activate
    public IpcCommands(@Reference IpcComponent ipc) {
        this.ipc = ipc;
    }

    @Descriptor("lists every message queue (-q), semaphore set (-s) and shared memory segment (-m) of the cluster; "
            + "all without an option")
    public String ipcs(String... args) {
        return Commands.run("ipc:ipcs", "[-q] [-s] [-m]", () -> {
            Args a = new Args(args, Set.of("-q", "-s", "-m"), Set.of()).count(0, 0);
            boolean all = !a.has("-q") && !a.has("-s") && !a.has("-m");
            List<String> out = new ArrayList<>();
            if (all || a.has("-q")) {
                out.add("------ Message Queues --------");
                out.add(String.format("%-10s %-10s %-10s %-6s %-10s %-8s %-9s %s", "key", "msqid", "owner", "perms",
                        "used-bytes", "messages", "receivers", "senders"));
                for (QueueInfo q : ipc.queues().list()) {
                    out.add(String.format("%-10s %-10d %-10s %-6s %-10d %-8d %-9d %d", Directory.hex(q.perm().key()),
                            q.id(), q.perm().uid(), q.perm().octalMode(), q.cbytes(), q.qnum(), q.receivers(),
                            q.senders()));
                }
            }
            if (all || a.has("-s")) {
                out.add("------ Semaphore Arrays --------");
                out.add(String.format("%-10s %-10s %-10s %-6s %-6s %-8s %s", "key", "semid", "owner", "perms", "nsems",
                        "waiters", "undos"));
                for (SemInfo s : ipc.semaphores().list()) {
                    out.add(String.format("%-10s %-10d %-10s %-6s %-6d %-8d %d", Directory.hex(s.perm().key()), s.id(),
                            s.perm().uid(), s.perm().octalMode(), s.nsems(), s.waiters(), s.undos()));
                }
            }
            if (all || a.has("-m")) {
                out.add("------ Shared Memory Segments --------");
                out.addAll(ShmRows.rows(sharedMemory));
            }
            return String.join("\n", out);
        });
    }

    @Descriptor("removes queues (-q ID), semaphore sets (-s ID) and shared memory segments (-m ID): IPC_RMID")
    public String ipcrm(String... args) {
        return Commands.run("ipc:ipcrm", IPCRM, () -> {
            if (args.length == 0 || args.length % 2 != 0) {
                throw new Args.Wrong("give -q, -s or -m and an id, one or more times");
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < args.length; i += 2) {
                int id = Args.integer("ID", args[i + 1]);
                try {
                    switch (args[i]) {
                        case "-q" -> ipc.queues().remove(ipc.shell(), id);
                        case "-s" -> ipc.semaphores().remove(ipc.shell(), id);
                        case "-m" -> ShmRows.remove(sharedMemory, id, ipc.shell());
                        default -> throw new Args.Wrong("'" + args[i] + "' is none of -q, -s, -m");
                    }
                    out.add("removed " + (args[i].equals("-q") ? "queue " : args[i].equals("-s") ? "semaphore set "
                            : "segment ") + id);
                } catch (io.kddm.ipc.IpcException e) {
                    out.add("ipc:ipcrm: " + e.getMessage());
                }
            }
            return String.join("\n", out);
        });
    }
}
