package io.kddm.ipc.impl;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.ipc.Ipc;
import io.kddm.ipc.Message;
import io.kddm.ipc.QueueInfo;

/** {@code msg:*}: cluster-wide message queues from the shell and from scripts, as this JVM's user. */
@Component(service = MsgCommands.class, property = {"osgi.command.scope=msg", "osgi.command.function=get",
    "osgi.command.function=send", "osgi.command.function=recv", "osgi.command.function=stat",
    "osgi.command.function=set"})
public final class MsgCommands {
    static final String GET = "KEY [--create] [--excl] [--mode 0600]   (KEY: number, 0xHEX or IPC_PRIVATE)";
    static final String SEND = "ID TYPE TEXT [--nowait] [--wait SECONDS] [--times N]";
    static final String RECV = "ID [--type T] [--wait SECONDS] [--nowait] [--times N] [--size MAX] [--noerror] [--except]";
    /** How long a send or receive waits without --wait: as good as for ever. */
    static final Duration FOREVER = Duration.ofDays(365);

    private final IpcComponent ipc;

    @Activate
    public MsgCommands(@Reference IpcComponent ipc) {
        this.ipc = ipc;
    }

    @Descriptor("msgget: the id of KEY's queue, made with --create (--excl: fail if it exists); prints the id")
    public String get(String... args) {
        return Commands.run("msg:get", GET, () -> {
            Args a = new Args(args, Set.of("--create", "--excl"), Set.of("--mode")).count(1, 1);
            int flags = Args.mode(a.option("--mode", "600")) | (a.has("--create") ? Ipc.IPC_CREAT : 0)
                    | (a.has("--excl") ? Ipc.IPC_EXCL : 0);
            return String.valueOf(ipc.queues().msgget(ipc.shell(), Args.key(a.at(0)), flags));
        });
    }

    @Descriptor("msgsnd: sends TEXT (UTF-8) as a message of TYPE > 0, waiting for room unless --nowait; "
            + "--times N sends TEXT-1 .. TEXT-N")
    public String send(String... args) {
        return Commands.run("msg:send", SEND, () -> {
            Args a = new Args(args, Set.of("--nowait"), Set.of("--wait", "--times")).count(3, 3);
            int id = Args.integer("ID", a.at(0));
            long type = Args.number("TYPE", a.at(1));
            int times = Args.integer("--times", a.option("--times", "1"));
            if (times < 1) {
                throw new Args.Wrong("--times must be at least 1");
            }
            int flags = a.has("--nowait") ? Ipc.IPC_NOWAIT : 0;
            Duration wait = a.seconds("--wait", FOREVER);
            for (int i = 1; i <= times; i++) {
                String text = times == 1 ? a.at(2) : a.at(2) + "-" + i;
                ipc.queues().msgsnd(ipc.shell(), id, type, text.getBytes(StandardCharsets.UTF_8), flags, wait);
            }
            return "sent " + (times == 1 ? "1 message" : times + " messages") + " of type " + type + " to queue " + id;
        });
    }

    @Descriptor("msgrcv: takes a message (--type 0: the first, T > 0: the first of type T, T < 0: the lowest type "
            + "<= -T) and prints TYPE TEXT; waits unless --nowait; --times N takes N, one line each")
    public String recv(String... args) {
        return Commands.run("msg:recv", RECV, () -> {
            Args a = new Args(args, Set.of("--nowait", "--noerror", "--except"), Set.of("--type", "--wait", "--times",
                    "--size")).count(1, 1);
            int id = Args.integer("ID", a.at(0));
            long type = Args.number("--type", a.option("--type", "0"));
            int times = Args.integer("--times", a.option("--times", "1"));
            int size = Args.integer("--size", a.option("--size", String.valueOf(Ipc.MSGMAX)));
            if (times < 1) {
                throw new Args.Wrong("--times must be at least 1");
            }
            int flags = (a.has("--nowait") ? Ipc.IPC_NOWAIT : 0) | (a.has("--noerror") ? Ipc.MSG_NOERROR : 0)
                    | (a.has("--except") ? Ipc.MSG_EXCEPT : 0);
            Duration wait = a.seconds("--wait", FOREVER);
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < times; i++) {
                Message m;
                try {
                    m = ipc.queues().msgrcv(ipc.shell(), id, size, type, flags, wait);
                } catch (io.kddm.ipc.IpcException e) {
                    if (out.length() == 0) {
                        throw e;
                    }
                    return out.append("msg:recv: ").append(e.getMessage()).toString(); // what came before it stays shown
                }
                out.append(out.length() == 0 ? "" : "\n").append(m.type()).append(' ')
                        .append(new String(m.data(), StandardCharsets.UTF_8));
            }
            return out.toString();
        });
    }

    @Descriptor("IPC_STAT of a queue")
    public String stat(String... args) {
        return Commands.run("msg:stat", "ID", () -> {
            Args a = new Args(args, Set.of(), Set.of()).count(1, 1);
            QueueInfo q = ipc.queues().stat(ipc.shell(), Args.integer("ID", a.at(0)));
            return "id:        " + q.id() + "\nkey:       " + Directory.hex(q.perm().key()) + "\nowner:     "
                    + q.perm().uid() + ":" + q.perm().gid() + "\ncreator:   " + q.perm().cuid() + ":" + q.perm().cgid()
                    + "\nmode:      " + q.perm().octalMode() + "\nqbytes:    " + q.qbytes() + "\ncbytes:    "
                    + q.cbytes() + "\nmessages:  " + q.qnum() + "\nlspid:     " + q.lspid() + "\nlrpid:     "
                    + q.lrpid() + "\nwaiting:   " + q.receivers() + " receivers, " + q.senders() + " senders";
        });
    }

    @Descriptor("IPC_SET of a queue: --mode, --qbytes, --uid, --gid (unchanged if not given)")
    public String set(String... args) {
        return Commands.run("msg:set", "ID [--mode 0600] [--qbytes N] [--uid U] [--gid G]", () -> {
            Args a = new Args(args, Set.of(), Set.of("--mode", "--qbytes", "--uid", "--gid")).count(1, 1);
            int id = Args.integer("ID", a.at(0));
            QueueInfo q = ipc.queues().stat(ipc.shell(), id);
            ipc.queues().set(ipc.shell(), id, Args.integer("--uid", a.option("--uid", String.valueOf(q.perm().uid()))),
                    Args.integer("--gid", a.option("--gid", String.valueOf(q.perm().gid()))),
                    a.has("--mode") ? Args.mode(a.option("--mode", "")) : q.perm().mode(),
                    Args.number("--qbytes", a.option("--qbytes", String.valueOf(q.qbytes()))));
            return "set queue " + id;
        });
    }
}
