package io.kddm.ipc.impl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.ipc.Ipc;
import io.kddm.ipc.SemInfo;
import io.kddm.ipc.SemOp;

/**
 * {@code sem:*}: cluster-wide semaphore sets from the shell and from scripts.
 * The shell is one client of this node: its SEM_UNDO operations are undone by
 * {@code sem:undo}, when the ipc bundle stops, or, if this node dies or leaves,
 * by a surviving node.
 */
@Component(service = SemCommands.class, property = {"osgi.command.scope=sem", "osgi.command.function=get",
    "osgi.command.function=op", "osgi.command.function=val", "osgi.command.function=set",
    "osgi.command.function=stat", "osgi.command.function=undo"})
public final class SemCommands {
    static final String GET = "KEY NSEMS [--create] [--excl] [--mode 0600]";
    static final String OP = "ID \"NUM:OP[:undo][:nowait] ...\" [--nowait] [--wait SECONDS]   (e.g. \"0:-1:undo 1:+1\")";

    private final IpcComponent ipc;

    @Activate
    public SemCommands(@Reference IpcComponent ipc) {
        this.ipc = ipc;
    }

    @Descriptor("semget: the id of KEY's semaphore set (made of NSEMS semaphores at 0 with --create); prints the id")
    public String get(String... args) {
        return Commands.run("sem:get", GET, () -> {
            Args a = new Args(args, Set.of("--create", "--excl"), Set.of("--mode")).count(2, 2);
            int flags = Args.mode(a.option("--mode", "600")) | (a.has("--create") ? Ipc.IPC_CREAT : 0)
                    | (a.has("--excl") ? Ipc.IPC_EXCL : 0);
            return String.valueOf(ipc.semaphores().semget(ipc.shell(), Args.key(a.at(0)),
                    Args.integer("NSEMS", a.at(1)), flags));
        });
    }

    @Descriptor("semop: applies the operations atomically, waiting until they all can (unless --nowait)")
    public String op(String... args) {
        return Commands.run("sem:op", OP, () -> {
            Args a = new Args(args, Set.of("--nowait"), Set.of("--wait")).count(2, 2);
            int id = Args.integer("ID", a.at(0));
            List<SemOp> ops = new ArrayList<>();
            for (String text : a.at(1).trim().split("[\\s,]+")) {
                SemOp op;
                try {
                    op = SemOp.parse(text);
                } catch (io.kddm.ipc.IpcException e) {
                    throw new Args.Wrong("'" + text + "' is not an operation NUM:OP[:undo][:nowait]");
                }
                ops.add(a.has("--nowait") ? new SemOp(op.num(), op.op(), op.flags() | Ipc.IPC_NOWAIT) : op);
            }
            long start = System.nanoTime();
            ipc.shellClient().semop(id, ops, a.seconds("--wait", MsgCommands.FOREVER));
            return "done " + ops + " on set " + id + " (" + (System.nanoTime() - start) / 1_000_000 + " ms)";
        });
    }

    @Descriptor("GETVAL of semaphore N, or GETALL without N")
    public String val(String... args) {
        return Commands.run("sem:val", "ID [N]", () -> {
            Args a = new Args(args, Set.of(), Set.of()).count(1, 2);
            int id = Args.integer("ID", a.at(0));
            if (a.positional.size() == 2) {
                return String.valueOf(ipc.semaphores().getval(ipc.shell(), id, Args.integer("N", a.at(1))));
            }
            StringBuilder out = new StringBuilder();
            for (int v : ipc.semaphores().getall(ipc.shell(), id)) {
                out.append(out.length() == 0 ? "" : " ").append(v);
            }
            return out.toString();
        });
    }

    @Descriptor("SETVAL: sets semaphore N to VAL (every client's undo adjustment of it is cleared)")
    public String set(String... args) {
        return Commands.run("sem:set", "ID N VAL", () -> {
            Args a = new Args(args, Set.of(), Set.of()).count(3, 3);
            int id = Args.integer("ID", a.at(0));
            int n = Args.integer("N", a.at(1));
            int v = Args.integer("VAL", a.at(2));
            ipc.semaphores().setval(ipc.shell(), id, n, v);
            return "set semaphore " + n + " of set " + id + " to " + v;
        });
    }

    @Descriptor("IPC_STAT of a semaphore set, with each semaphore's value, GETPID, GETNCNT and GETZCNT")
    public String stat(String... args) {
        return Commands.run("sem:stat", "ID", () -> {
            Args a = new Args(args, Set.of(), Set.of()).count(1, 1);
            int id = Args.integer("ID", a.at(0));
            SemInfo s = ipc.semaphores().stat(ipc.shell(), id);
            StringBuilder out = new StringBuilder("id:      " + id + "\nkey:     " + Directory.hex(s.perm().key())
                    + "\nowner:   " + s.perm().uid() + ":" + s.perm().gid() + "\nmode:    " + s.perm().octalMode()
                    + "\nnsems:   " + s.nsems() + "\nwaiting: " + s.waiters() + "\nundos:   " + s.undos()
                    + "\nNUM  VALUE  PID      NCNT  ZCNT");
            int[] values = ipc.semaphores().getall(ipc.shell(), id);
            for (int n = 0; n < values.length; n++) {
                out.append(String.format("%n%-4d %-6d %-8d %-5d %d", n, values[n],
                        ipc.semaphores().getpid(ipc.shell(), id, n), ipc.semaphores().getncnt(ipc.shell(), id, n),
                        ipc.semaphores().getzcnt(ipc.shell(), id, n)));
            }
            return out.toString();
        });
    }

    @Descriptor("closes the shell's semaphore client: its SEM_UNDO operations are undone (as at a process exit)")
    public String undo(String... args) {
        return Commands.run("sem:undo", "", () -> {
            new Args(args, Set.of(), Set.of()).count(0, 0);
            return ipc.closeShellClient() ? "undone" : "nothing to undo";
        });
    }
}
