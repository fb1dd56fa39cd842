package io.kddm.shm.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.shm.Segment;
import io.kddm.shm.SegmentInfo;
import io.kddm.shm.SharedMemory;

/**
 * {@code shm:*}: System V shared memory from the shell and from {@code --exec}
 * scripts, as root unless {@code --as UID[:GID]}. Each command attaches the
 * segment, does its work and detaches. A wrong command fails with one line
 * and its usage; a refused call with its System V error name.
 */
@Component(service = ShmCommands.class, property = {"osgi.command.scope=shm", "osgi.command.function=get",
    "osgi.command.function=write", "osgi.command.function=read", "osgi.command.function=add",
    "osgi.command.function=cas", "osgi.command.function=stat", "osgi.command.function=set",
    "osgi.command.function=rm", "osgi.command.function=ls"})
public final class ShmCommands {
    static final String GET = "shm:get KEY|IPC_PRIVATE SIZE [--create] [--excl] [--mode 0600] [--as UID[:GID]]";
    static final String WRITE = "shm:write ID OFFSET TEXT | shm:write ID OFFSET --hex HEX [--as UID[:GID]]";
    static final String READ = "shm:read ID OFFSET LENGTH [--hex | --long] [--as UID[:GID]]";
    static final String ADD = "shm:add ID OFFSET DELTA [--times N] [--threads T] [--op add|cas|mixed] [--watch] "
            + "[--history FILE] [--as UID[:GID]]";
    static final String CAS = "shm:cas ID OFFSET EXPECTED NEW [--as UID[:GID]]";
    static final String STAT = "shm:stat ID [--as UID[:GID]]";
    static final String SET = "shm:set ID UID GID MODE [--as UID[:GID]]";
    static final String RM = "shm:rm ID [--as UID[:GID]]";
    static final String LS = "shm:ls";
    private static final Set<String> AS = Set.of("--as");

    private final SharedMemory shm;

    @Activate
    public ShmCommands(@Reference SharedMemory shm) {
        this.shm = shm;
    }

    private static Set<String> with(String... more) {
        Set<String> s = new java.util.HashSet<>(AS);
        s.addAll(List.of(more));
        return s;
    }

    private int id(CommandLine c, String text) {
        int id = c.integer("ID", text);
        if (id <= 0) {
            throw c.bad("ID must be a segment id above 0, not " + text);
        }
        return id;
    }

    @Descriptor("the id of the segment of KEY (IPC_PRIVATE or 0: a new one), made with --create; prints the id")
    public int get(@Descriptor(GET) String... args) {
        CommandLine c = new CommandLine(GET, args, Set.of("--create", "--excl"), with("--mode"));
        List<String> w = c.words(2, 2);
        int key = w.get(0).equalsIgnoreCase("IPC_PRIVATE") ? SharedMemory.IPC_PRIVATE : c.key(w.get(0));
        long size = c.number("SIZE", w.get(1));
        int mode = c.integer("--mode", c.option("--mode", "0600"));
        if ((mode & ~0777) != 0) {
            throw c.bad("--mode " + c.option("--mode", "") + " has bits beyond 0777");
        }
        if (c.flag("--excl") && !c.flag("--create")) {
            throw c.bad("--excl goes with --create");
        }
        int flags = mode | (c.flag("--create") ? SharedMemory.IPC_CREAT : 0)
                | (c.flag("--excl") ? SharedMemory.IPC_EXCL : 0);
        return shm.shmget(key, size, flags, c.caller());
    }

    @Descriptor("writes TEXT (UTF-8) or --hex bytes at OFFSET")
    public String write(@Descriptor(WRITE) String... args) {
        CommandLine c = new CommandLine(WRITE, args, Set.of(), with("--hex"));
        List<String> w = c.flag("--hex") ? c.words(2, 2) : c.words(3, 3);
        int id = id(c, w.get(0));
        long offset = c.number("OFFSET", w.get(1));
        byte[] bytes;
        if (c.flag("--hex")) {
            try {
                bytes = HexFormat.of().parseHex(c.option("--hex", ""));
            } catch (IllegalArgumentException e) {
                throw c.bad("--hex '" + c.option("--hex", "") + "' is not an even number of hex digits");
            }
        } else {
            bytes = w.get(2).getBytes(StandardCharsets.UTF_8);
        }
        try (Segment s = shm.attach(id, 0, c.caller())) {
            s.write(offset, bytes, 0, bytes.length);
        }
        return "wrote " + bytes.length + " bytes at " + offset + " of segment " + id;
    }

    @Descriptor("reads LENGTH bytes at OFFSET: as text (non-printable bytes as '.'), --hex, or --long (64-bit words)")
    public String read(@Descriptor(READ) String... args) {
        CommandLine c = new CommandLine(READ, args, Set.of("--hex", "--long"), AS);
        List<String> w = c.words(3, 3);
        int id = id(c, w.get(0));
        long offset = c.number("OFFSET", w.get(1));
        long length = c.number("LENGTH", w.get(2));
        if (length < 0 || length > 1 << 20) {
            throw c.bad("LENGTH must be 0..1048576, not " + length);
        }
        if (c.flag("--hex") && c.flag("--long")) {
            throw c.bad("--hex or --long, not both");
        }
        try (Segment s = shm.attach(id, SharedMemory.SHM_RDONLY, c.caller())) {
            if (c.flag("--long")) {
                if (length % 8 != 0) {
                    throw c.bad("--long reads whole words: LENGTH must be a multiple of 8, not " + length);
                }
                StringBuilder out = new StringBuilder();
                for (long at = offset; at < offset + length; at += 8) {
                    out.append(out.length() == 0 ? "" : " ").append(s.getLong(at));
                }
                return out.toString();
            }
            byte[] bytes = new byte[(int) length];
            s.read(offset, bytes, 0, bytes.length);
            if (c.flag("--hex")) {
                return HexFormat.of().formatHex(bytes);
            }
            StringBuilder out = new StringBuilder();
            for (byte b : bytes) {
                out.append(b >= 32 && b < 127 ? (char) b : '.');
            }
            return out.toString();
        }
    }

    @Descriptor("adds DELTA to the 64-bit word at OFFSET, N times from each of T threads, by getAndAdd (add), "
            + "compareAndSet loops (cas) or both (mixed); --watch reads it meanwhile and checks it never goes back; "
            + "--history writes every operation to FILE; prints the last value this node made")
    public String add(@Descriptor(ADD) String... args) throws InterruptedException {
        CommandLine c = new CommandLine(ADD, args, Set.of("--watch"), with("--times", "--threads", "--op",
                "--history"));
        List<String> w = c.words(3, 3);
        int id = id(c, w.get(0));
        long offset = c.number("OFFSET", w.get(1));
        long delta = c.number("DELTA", w.get(2));
        long times = c.number("--times", c.option("--times", "1"));
        int threads = c.integer("--threads", c.option("--threads", "1"));
        String op = c.option("--op", "add");
        if (times < 1 || times > 10_000_000 || threads < 1 || threads > 64) {
            throw c.bad("--times must be 1..10000000 and --threads 1..64");
        }
        if (!Set.of("add", "cas", "mixed").contains(op)) {
            throw c.bad("--op is add, cas or mixed, not " + op);
        }
        Writer history = null;
        try (Segment s = shm.attach(id, 0, c.caller())) {
            if (c.flag("--history")) {
                history = Files.newBufferedWriter(Path.of(c.option("--history", "")), StandardCharsets.UTF_8);
            }
            Adders adders = new Adders(s, offset, delta, times, history);
            return adders.run(threads, op, c.flag("--watch"));
        } catch (IOException e) {
            throw new UncheckedIOException("--history: " + e.getMessage(), e);
        } finally {
            if (history != null) {
                try {
                    history.close();
                } catch (IOException e) {
                    // the operations are done; a short history fails its check
                }
            }
        }
    }

    @Descriptor("sets the 64-bit word at OFFSET to NEW if it is EXPECTED; prints 'swapped' or what it found")
    public String cas(@Descriptor(CAS) String... args) {
        CommandLine c = new CommandLine(CAS, args, Set.of(), AS);
        List<String> w = c.words(4, 4);
        int id = id(c, w.get(0));
        long offset = c.number("OFFSET", w.get(1));
        long expected = c.number("EXPECTED", w.get(2));
        long update = c.number("NEW", w.get(3));
        try (Segment s = shm.attach(id, 0, c.caller())) {
            long found = s.compareAndExchange(offset, expected, update);
            return found == expected ? "swapped: " + expected + " -> " + update : "not swapped: found " + found;
        }
    }

    @Descriptor("IPC_STAT of a segment")
    public String stat(@Descriptor(STAT) String... args) {
        CommandLine c = new CommandLine(STAT, args, Set.of(), AS);
        int id = id(c, c.words(1, 1).get(0));
        return describe(shm.stat(id, c.caller()));
    }

    static String describe(SegmentInfo i) {
        return "id:       " + i.id() + "\nkey:      " + LocalSharedMemory.hexKey(i.key()) + "\nsize:     " + i.size()
                + "\nowner:    " + i.uid() + ":" + i.gid() + " (creator " + i.cuid() + ":" + i.cgid() + ")"
                + "\nmode:     " + i.octalMode() + "\nattached: " + i.attached() + "\nremoved:  "
                + (i.removed() ? "yes (destroyed at the last detach)" : "no") + "\nnodes:    created on "
                + i.creatorNode() + ", last attach/detach on " + (i.lastNode() == 0 ? "none" : i.lastNode())
                + "\nlast attach: " + time(i.attachTime()) + "\nlast detach: " + time(i.detachTime())
                + "\nlast change: "
                + time(i.changeTime());
    }

    private static String time(long millis) {
        return millis == 0 ? "never" : Instant.ofEpochMilli(millis).toString();
    }

    @Descriptor("IPC_SET: owner, group and permission bits of a segment (the owner, creator or root only)")
    public String set(@Descriptor(SET) String... args) {
        CommandLine c = new CommandLine(SET, args, Set.of(), AS);
        List<String> w = c.words(4, 4);
        int id = id(c, w.get(0));
        SegmentInfo i = shm.set(id, c.integer("UID", w.get(1)), c.integer("GID", w.get(2)),
                c.integer("MODE", w.get(3)), c.caller());
        return "segment " + id + ": owner " + i.uid() + ":" + i.gid() + ", mode " + i.octalMode();
    }

    @Descriptor("IPC_RMID: the key is free at once; the segment goes at its last detach")
    public String rm(@Descriptor(RM) String... args) {
        CommandLine c = new CommandLine(RM, args, Set.of(), AS);
        int id = id(c, c.words(1, 1).get(0));
        shm.remove(id, c.caller());
        return "removed segment " + id;
    }

    @Descriptor("every segment of the cluster")
    public String ls(@Descriptor(LS) String... args) {
        CommandLine c = new CommandLine(LS, args, Set.of(), Set.of());
        c.words(0, 0);
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%-10s %-10s %-9s %-6s %-12s %-7s %s", "KEY", "SHMID", "OWNER", "PERMS", "BYTES",
                "NATTCH", "STATUS"));
        for (SegmentInfo i : shm.segments()) {
            lines.add(String.format("%-10s %-10d %-9s %-6s %-12d %-7d %s", LocalSharedMemory.hexKey(i.key()), i.id(),
                    i.uid() + ":" + i.gid(), i.octalMode(), i.size(), i.attached(), i.removed() ? "dest" : ""));
        }
        return String.join("\n", lines);
    }
}
