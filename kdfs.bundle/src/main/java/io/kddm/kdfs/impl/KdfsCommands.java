package io.kddm.kdfs.impl;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmSet;
import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.DirEntry;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;
import io.kddm.kdfs.StatFs;

/**
 * {@code kdfs:*}: format, mount and use kDFS from the shell, as root. Paths are
 * absolute kDFS paths; errors name the POSIX code.
 */
@Component(service = KdfsCommands.class, property = {"osgi.command.scope=kdfs", "osgi.command.function=mkfs",
    "osgi.command.function=mount", "osgi.command.function=umount", "osgi.command.function=df",
    "osgi.command.function=ls", "osgi.command.function=stat", "osgi.command.function=mkdir",
    "osgi.command.function=rm", "osgi.command.function=mv", "osgi.command.function=cat",
    "osgi.command.function=write", "osgi.command.function=append", "osgi.command.function=import",
    "osgi.command.function=export", "osgi.command.function=where", "osgi.command.function=sync",
    "osgi.command.function=await", "osgi.command.function=tree", "osgi.command.function=touch",
    "osgi.command.function=ln", "osgi.command.function=status", "osgi.command.function=heal"})
public final class KdfsCommands {
    private static final int CHUNK = 1024 * 1024;
    private static final Caller ME = Caller.ROOT;

    private final KdfsService service;
    private final Kddm kddm;

    @Activate
    public KdfsCommands(@Reference KdfsService service, @Reference Kddm kddm) {
        this.service = service;
        this.kddm = kddm;
    }

    private Kdfs fs() {
        return service.fs();
    }

    /** The parent directory's inode and the last name of {@code path}. */
    private record Parent(int dir, String name) {
    }

    private Parent parent(String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        int slash = p.lastIndexOf('/');
        if (slash < 0 || p.equals("/")) {
            throw new KdfsException(Errno.EINVAL, "'" + path + "' is not an absolute path of an entry");
        }
        Attr dir = fs().resolve(ME, slash == 0 ? "/" : p.substring(0, slash));
        return new Parent(dir.ino(), p.substring(slash + 1));
    }

    @Descriptor("formats DIR as this node's kDFS partition; the root directory is made there if ROOT_NODEID is this node")
    public String mkfs(@Parameter(names = "--force", presentValue = "true", absentValue = "false") boolean force,
            @Descriptor("nodes storing each partition's entries (1, 2 or 3: a store then needs 2), the same on every node")
            @Parameter(names = "--replicas", absentValue = "1") int replicas,
            @Descriptor("the partition nodes, in order, comma separated (with --replicas 2 or 3)")
            @Parameter(names = "--partitions", absentValue = "") String partitions,
            @Descriptor("folder of the native file system") String dir,
            @Descriptor("id of the node that holds the root directory") int rootNode) {
        Partition p = Partition.mkfs(Path.of(dir), kddm.localNode(), rootNode, Volume.parse(replicas, partitions),
                force);
        return "formatted " + p.dir() + " for node " + kddm.localNode() + ", root " + Ino.format(Ino.of(rootNode,
                Ino.ROOT_LOCAL)) + (rootNode == kddm.localNode() ? " (made here)" : " (on node " + rootNode + ")")
                + (replicas > 1 ? ", " + p.superblock().volume().describe() : "");
    }

    @Descriptor("mounts DIR (a partition of this node), or NONE with --root for a diskless node")
    public String mount(@Parameter(names = "--root", absentValue = "") String root,
            @Descriptor("a diskless node of a file system made with --replicas 2 or 3: the same --replicas")
            @Parameter(names = "--replicas", absentValue = "1") int replicas,
            @Descriptor("and the same --partitions") @Parameter(names = "--partitions", absentValue = "") String partitions,
            @Descriptor("partition folder, or NONE") String dir) {
        service.mount(dir, root.isEmpty() ? null : root, Volume.parse(replicas, partitions));
        return "mounted: " + service.state().describe();
    }

    @Descriptor("info (the default): what the other replicas still miss of the stores made on this node's partition "
            + "(kDDM heals them as they come back); full: every object of the partitions this node stores, as home "
            + "or replica, compared with its home's copy, and the replicas' copies that differ or are missing "
            + "rewritten from it")
    public String heal(@Descriptor("info or full") String... args) {
        return ReplicaHeal.command(kddm, service.state(), args);
    }

    @Descriptor("writes back what this node changed and detaches kDFS")
    public String umount() {
        service.umount();
        return "unmounted";
    }

    @Descriptor("what this node mounted, and how often it writes back (io.kddm.kdfs sync.interval.s)")
    public String status() {
        return service.status();
    }

    @Descriptor("writes back what this node changed")
    public String sync() {
        return "written back: " + service.sync() + " inodes";
    }

    @Descriptor("space of every node's partition, and the sum")
    public String df() {
        StatFs s = fs().statfs();
        StringBuilder out = new StringBuilder(String.format("%-6s %14s %14s %10s%n", "NODE", "SIZE", "FREE", "ENTRIES"));
        for (StatFs.Partition p : s.partitions()) {
            out.append(String.format("%-6d %14d %14d %10d%n", p.node(), p.totalBytes(), p.freeBytes(), p.inodes()));
        }
        out.append(String.format("%-6s %14d %14d %10d%n", "total", s.totalBytes(), s.freeBytes(), s.inodes()));
        if (!s.unreachable().isEmpty()) {
            out.append("not counted (did not answer): nodes ").append(s.unreachable()).append('\n');
        }
        return out.toString();
    }

    @Descriptor("lists a directory (-l: with attributes)")
    public String ls(@Parameter(names = "-l", presentValue = "true", absentValue = "false") boolean details,
            @Descriptor("path") String path) {
        Attr at = fs().resolve(ME, path);
        List<DirEntry> entries = at.isDirectory() ? list(at.ino()) : List.of(new DirEntry(path, at.ino(), at.type(), 0));
        StringBuilder out = new StringBuilder();
        for (DirEntry e : entries) {
            if (!details) {
                out.append(e.name()).append('\n');
                continue;
            }
            Attr a = fs().getattr(e.ino());
            out.append(String.format("%s %3d %5d %5d %12d %s %-8s %s%s%n", mode(a), a.nlink(), a.uid(), a.gid(),
                    a.size(), a.mtime(), a.node() + ":" + Ino.local(a.ino()), e.name(),
                    a.type() == FileType.SYMLINK ? " -> " + fs().readlink(a.ino()) : ""));
        }
        return out.toString();
    }

    /** Every entry but {@code .} and {@code ..}, by name (as {@code ls}; readdir's order is a hash's). */
    private List<DirEntry> list(int dir) {
        List<DirEntry> all = new ArrayList<>();
        long cookie = 0;
        while (true) {
            List<DirEntry> page = fs().readdir(ME, dir, cookie, 1000);
            if (page.isEmpty()) {
                all.sort(java.util.Comparator.comparing(DirEntry::name));
                return all;
            }
            for (DirEntry e : page) {
                if (!e.name().equals(".") && !e.name().equals("..")) {
                    all.add(e);
                }
                cookie = e.cookie();
            }
        }
    }

    private static String mode(Attr a) {
        char t = switch (a.type()) {
            case DIRECTORY -> 'd';
            case SYMLINK -> 'l';
            case FIFO -> 'p';
            default -> '-';
        };
        StringBuilder s = new StringBuilder().append(t);
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            s.append((a.mode() & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        }
        return s.toString();
    }

    @Descriptor("attributes of an entry")
    public String stat(@Descriptor("path") String path) {
        Attr a = fs().resolve(ME, path);
        return "path:   " + path + "\ninode:  " + Ino.format(a.ino()) + "\ntype:   " + a.type() + "\nmode:   "
                + mode(a) + " (" + Integer.toOctalString(a.mode()) + ")\nowner:  " + a.uid() + ":" + a.gid()
                + "\nsize:   " + a.size() + "\nlinks:  " + a.nlink() + "\natime:  " + a.atime() + "\nmtime:  "
                + a.mtime() + "\nctime:  " + a.ctime() + "\nstored: node " + a.node() + "\n";
    }

    @Descriptor("makes a directory (-p: and its missing parents; no error if it exists)")
    public String mkdir(@Parameter(names = "-p", presentValue = "true", absentValue = "false") boolean parents,
            @Descriptor("path") String path) {
        if (parents) {
            StringBuilder at = new StringBuilder();
            for (String part : path.split("/")) {
                if (part.isEmpty()) {
                    continue;
                }
                int dir = fs().resolve(ME, at.length() == 0 ? "/" : at.toString()).ino();
                at.append('/').append(part);
                try {
                    fs().mkdir(ME, dir, part, 0755);
                } catch (KdfsException e) {
                    if (e.errno() != Errno.EEXIST || !fs().resolve(ME, at.toString()).isDirectory()) {
                        throw e;
                    }
                }
            }
            return "made " + path;
        }
        Parent p = parent(path);
        Attr a = fs().mkdir(ME, p.dir, p.name, 0755);
        return "made " + path + " (inode " + Ino.format(a.ino()) + ")";
    }

    @Descriptor("removes a file or link, or a directory (-r: with everything in it)")
    public String rm(@Parameter(names = "-r", presentValue = "true", absentValue = "false") boolean recursive,
            @Descriptor("path") String path) {
        Parent p = parent(path);
        Attr a = fs().lookup(ME, p.dir, p.name);
        int removed = remove(p.dir, p.name, a, recursive);
        return "removed " + path + (removed > 1 ? " (" + removed + " entries)" : "");
    }

    private int remove(int dir, String name, Attr a, boolean recursive) {
        if (!a.isDirectory()) {
            fs().unlink(ME, dir, name);
            return 1;
        }
        int n = 1;
        if (recursive) {
            for (DirEntry e : list(a.ino())) {
                n += remove(a.ino(), e.name(), fs().getattr(e.ino()), true);
            }
        }
        fs().rmdir(ME, dir, name);
        return n;
    }

    @Descriptor("renames SOURCE to TARGET (into TARGET if it is a directory), replacing a file there")
    public String mv(@Descriptor("source path") String source, @Descriptor("target path") String target) {
        Parent from = parent(source);
        Parent to;
        try {
            Attr t = fs().resolve(ME, target);
            to = t.isDirectory() ? new Parent(t.ino(), from.name) : parent(target);
        } catch (KdfsException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
            to = parent(target);
        }
        fs().rename(ME, from.dir, from.name, to.dir, to.name);
        return "moved " + source + " to " + target;
    }

    @Descriptor("prints a file as UTF-8 text")
    public String cat(@Descriptor("path") String path) {
        Attr a = fs().resolve(ME, path);
        try (OpenFile f = fs().open(ME, a.ino(), OpenFile.READ)) {
            return new String(f.read(0, (int) Math.min(a.size(), Integer.MAX_VALUE - 8)), StandardCharsets.UTF_8);
        }
    }

    private OpenFile openForWrite(String path, int flags) {
        Parent p = parent(path);
        Attr a;
        try {
            a = fs().lookup(ME, p.dir, p.name);
        } catch (KdfsException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
            try {
                a = fs().create(ME, p.dir, p.name, 0644);
            } catch (KdfsException raced) {
                if (raced.errno() != Errno.EEXIST) {
                    throw raced;
                }
                a = fs().lookup(ME, p.dir, p.name); // another node made it meanwhile
            }
        }
        return fs().open(ME, a.ino(), flags);
    }

    @Descriptor("writes TEXT as the whole content of a file (made if missing)")
    public String write(@Descriptor("path") String path, @Descriptor("text") String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try (OpenFile f = openForWrite(path, OpenFile.WRITE | OpenFile.TRUNCATE)) {
            f.write(0, bytes);
        }
        return "wrote " + bytes.length + " bytes to " + path;
    }

    @Descriptor("appends TEXT to a file (made if missing), --times times, each an atomic append")
    public String append(@Parameter(names = "--times", absentValue = "1") int times,
            @Descriptor("path") String path, @Descriptor("text") String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try (OpenFile f = openForWrite(path, OpenFile.WRITE | OpenFile.APPEND)) {
            for (int i = 0; i < times; i++) {
                f.write(0, bytes);
            }
        }
        return "appended " + times + " x " + bytes.length + " bytes to " + path;
    }

    @Descriptor("makes an empty file: prints 'created', or 'exists (EEXIST)' if the name is taken")
    public String touch(@Descriptor("path") String path) {
        Parent p = parent(path);
        try {
            Attr a = fs().create(ME, p.dir, p.name, 0644);
            return "created " + path + " (inode " + Ino.format(a.ino()) + ")";
        } catch (KdfsException e) {
            if (e.errno() != Errno.EEXIST) {
                throw e;
            }
            return "exists (EEXIST) " + path;
        }
    }

    @Descriptor("makes a hard link PATH to TARGET (-s: a symbolic link holding TARGET)")
    public String ln(@Parameter(names = "-s", presentValue = "true", absentValue = "false") boolean symbolic,
            @Descriptor("target") String target, @Descriptor("path of the new link") String path) {
        Parent p = parent(path);
        if (symbolic) {
            fs().symlink(ME, p.dir, p.name, target);
        } else {
            fs().link(ME, fs().resolve(ME, target).ino(), p.dir, p.name);
        }
        return "linked " + path + (symbolic ? " -> " : " to ") + target;
    }

    /** {@code kdfs:import}: Gogo calls {@code _name} for a command named by a Java keyword. */
    @Descriptor("copies a file of this node's native file system into kDFS")
    public String _import(@Descriptor("local file") String local, @Descriptor("kDFS path") String path)
            throws IOException {
        long total = 0;
        try (InputStream in = Files.newInputStream(Path.of(local));
                OpenFile f = openForWrite(path, OpenFile.WRITE | OpenFile.TRUNCATE)) {
            byte[] buf = new byte[CHUNK];
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                f.write(total, n == buf.length ? buf : java.util.Arrays.copyOf(buf, n));
                total += n;
            }
        }
        return "imported " + total + " bytes from " + local + " to " + path;
    }

    @Descriptor("copies a kDFS file to this node's native file system")
    public String export(@Descriptor("kDFS path") String path, @Descriptor("local file") String local)
            throws IOException {
        Attr a = fs().resolve(ME, path);
        long total = 0;
        try (OpenFile f = fs().open(ME, a.ino(), OpenFile.READ);
                OutputStream out = Files.newOutputStream(Path.of(local), StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            byte[] chunk;
            while ((chunk = f.read(total, CHUNK)).length > 0) {
                out.write(chunk);
                total += chunk.length;
            }
        }
        return "exported " + total + " bytes from " + path + " to " + local;
    }

    @Descriptor("which node stores an entry, and which nodes cache its inode and its pages")
    public String where(@Descriptor("path") String path) {
        Attr a = fs().resolve(ME, path);
        StringBuilder out = new StringBuilder();
        out.append("inode ").append(Ino.format(a.ino())).append(" is stored on node ").append(a.node());
        if (a.node() == kddm.localNode()) {
            service.state().partition().ifPresent(p -> out.append(" in ").append(p.entry(Ino.local(a.ino()))));
        }
        KddmSet inodes = kddm.wellKnown(Ino.INODE_SET, InodeLinker.ID);
        out.append("\ninode cached on nodes ").append(inodes.holders(Ino.object(a.ino()))).append(" (owner first)\n");
        boolean dir = a.isDirectory();
        long pages = dir ? a.size() / DirPage.SIZE : (a.size() + PageLinker.FILE_PAGE - 1) / PageLinker.FILE_PAGE;
        KddmSet set = dir ? kddm.wellKnown(Ino.dirSet(a.ino()), PageLinker.DIR)
                : kddm.wellKnown(Ino.fileSet(a.ino()), PageLinker.FILE);
        java.util.Map<Integer, Integer> cached = new java.util.TreeMap<>();
        long shown = Math.min(pages, 1024);
        for (long i = 0; i < shown; i++) {
            for (int node : set.holders(Ino.page(a.ino(), i))) {
                cached.merge(node, 1, Integer::sum);
            }
        }
        out.append(dir ? "entry" : "data").append(" pages cached, of ").append(pages)
                .append(shown < pages ? " (the first " + shown + " asked)" : "").append(": ");
        if (cached.isEmpty()) {
            out.append("none");
        }
        cached.forEach((node, n) -> out.append("node ").append(node).append(' ').append(n).append("  "));
        return out.toString().strip() + "\n";
    }

    @Descriptor("waits until PATH exists (--timeout seconds, default 30); also waits for the nodes storing it to mount")
    public String await(@Parameter(names = "--timeout", absentValue = "30") int seconds, @Descriptor("path") String path)
            throws InterruptedException {
        if (seconds < 0 || seconds > 86_400) {
            throw new IllegalArgumentException("--timeout must be 0..86400 seconds, not " + seconds);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        long pause = 10;
        while (true) {
            KdfsException last;
            try {
                fs().resolve(ME, path);
                return path + " exists";
            } catch (KdfsException e) {
                if (e.errno() != Errno.ENOENT && e.errno() != Errno.EIO) {
                    throw e;
                }
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new KdfsException(last.errno(), path + " did not appear within " + seconds + " s: "
                        + last.getMessage());
            }
            Thread.sleep(pause);
            pause = Math.min(pause * 2, 200);
        }
    }

    @Descriptor("every entry under PATH, sorted, with sizes and CRC-32s of file contents (to compare nodes)")
    public String tree(@Descriptor("path") String path) {
        StringBuilder out = new StringBuilder();
        tree(path.equals("/") ? "" : path, fs().resolve(ME, path), out);
        return out.toString();
    }

    private void tree(String path, Attr a, StringBuilder out) {
        out.append(path.isEmpty() ? "/" : path).append(' ').append(a.type()).append(' ')
                .append(Integer.toOctalString(a.mode())).append(" links=").append(a.nlink());
        switch (a.type()) {
            case REGULAR -> out.append(" size=").append(a.size()).append(" crc32=").append(crc(a));
            case SYMLINK -> out.append(" -> ").append(fs().readlink(a.ino()));
            default -> {
            }
        }
        out.append('\n');
        if (a.isDirectory()) {
            List<DirEntry> entries = list(a.ino());
            entries.sort(Comparator.comparing(DirEntry::name));
            for (DirEntry e : entries) {
                tree(path + "/" + e.name(), fs().getattr(e.ino()), out);
            }
        }
    }

    private String crc(Attr a) {
        CRC32 crc = new CRC32();
        try (OpenFile f = fs().open(ME, a.ino(), OpenFile.READ)) {
            long at = 0;
            byte[] chunk;
            while ((chunk = f.read(at, CHUNK)).length > 0) {
                crc.update(chunk);
                at += chunk.length;
            }
        }
        return String.format("%08x", crc.getValue());
    }
}
