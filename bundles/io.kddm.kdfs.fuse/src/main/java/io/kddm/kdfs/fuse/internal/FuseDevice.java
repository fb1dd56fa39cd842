package io.kddm.kdfs.fuse.internal;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The {@code /dev/fuse} connection of one mount. libfuse2 only mounts and
 * unmounts (it knows how: {@code mount(2)} as root, the setuid
 * {@code fusermount} otherwise); requests are read and replies written here, on
 * Java threads, with plain {@code read(2)} and {@code write(2)}: no libfuse
 * request loop, no native thread calling back into the JVM.
 */
final class FuseDevice {
    /** libc, as jnr-ffi binds it (public: jnr-ffi implements it in a class of its own). */
    public interface LibC {
        long read(int fd, Pointer buf, long count);

        long write(int fd, Pointer buf, long count);

        int close(int fd);
    }

    /** The default (FUSE_2.6) versions of libfuse2's mount calls. */
    public interface LibFuse {
        Pointer fuse_mount(String mountpoint, Pointer args);

        void fuse_unmount(String mountpoint, Pointer channel);

        int fuse_chan_fd(Pointer channel);

        void fuse_chan_destroy(Pointer channel);
    }

    private static volatile LibC libc;
    private static volatile LibFuse libfuse;

    private final Runtime runtime;
    private final Path mountPoint;
    private final Pointer channel;
    private final int fd;
    /** The connection's number under /sys/fs/fuse/connections, to abort it if need be. */
    private final long connection;
    private volatile boolean closed;

    private FuseDevice(Runtime runtime, Path mountPoint, Pointer channel, int fd, long connection) {
        this.runtime = runtime;
        this.mountPoint = mountPoint;
        this.channel = channel;
        this.fd = fd;
        this.connection = connection;
    }

    /** Loads libc and libfuse2 once; a clear {@link FuseException} if libfuse2 is missing. */
    private static synchronized void load() {
        if (libfuse != null) {
            return;
        }
        try {
            libc = LibraryLoader.create(LibC.class).failImmediately().load("c");
            libfuse = LibraryLoader.create(LibFuse.class).failImmediately().load("fuse");
        } catch (LinkageError | RuntimeException e) {
            throw new FuseException("libfuse2 could not be loaded (" + e.getMessage() + "): is it installed (Debian's "
                    + "fuse package: apt-get install fuse)?");
        }
    }

    /** Mounts an empty FUSE file system at {@code mountPoint} with mount options {@code options}. */
    static FuseDevice mount(Path mountPoint, List<String> options) {
        load();
        Runtime rt = Runtime.getRuntime(libfuse);
        List<String> argv = new ArrayList<>(List.of("kdfs"));
        for (String o : options) {
            argv.add("-o");
            argv.add(o);
        }
        List<Pointer> strings = new ArrayList<>();
        Pointer array = Memory.allocateDirect(rt, (argv.size() + 1) * rt.addressSize(), true);
        for (int i = 0; i < argv.size(); i++) {
            byte[] s = argv.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer p = Memory.allocateDirect(rt, s.length + 1, true);
            p.put(0, s, 0, s.length);
            strings.add(p);
            array.putPointer((long) i * rt.addressSize(), p);
        }
        Pointer args = Memory.allocateDirect(rt, 24, true); // struct fuse_args { int argc; char **argv; int allocated; }
        args.putInt(0, argv.size());
        args.putPointer(8, array);
        args.putInt(16, 0);
        Pointer channel = libfuse.fuse_mount(mountPoint.toString(), args);
        Reference.reachabilityFence(array); // libfuse read them through args: they lived until here
        Reference.reachabilityFence(strings);
        if (channel == null || channel.address() == 0) {
            throw new FuseException("libfuse could not mount " + mountPoint + " (options " + options + "; its own message "
                    + "is in the node's standard error)");
        }
        return new FuseDevice(rt, mountPoint, channel, libfuse.fuse_chan_fd(channel), connection(mountPoint));
    }

    /**
     * The minor device number of the mount at {@code mp}, which names its FUSE
     * connection; from {@code /proc/self/mountinfo}, as a stat of the mount
     * point would wait for a request nobody serves yet. -1 if not found.
     */
    static long connection(Path mp) {
        long minor = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length > 4 && FuseMount.mountPoints(List.of(line)).contains(mp.toString())) {
                    minor = Long.parseLong(f[2].substring(f[2].indexOf(':') + 1)); // the last mount there wins
                }
            }
        } catch (IOException | RuntimeException e) {
            // no number: an unmount that open files keep busy then waits for their close
        }
        return minor;
    }

    Runtime runtime() {
        return runtime;
    }

    Pointer buffer(int size) {
        return Memory.allocateDirect(runtime, size, false);
    }

    /** Reads one request into {@code buf}: its length, or minus an errno. */
    int read(Pointer buf, int size) {
        long n = libc.read(fd, buf, size);
        return n < 0 ? -runtime.getLastError() : (int) n;
    }

    /** Writes one reply: 0, or minus an errno (ENOENT: the request was interrupted, nobody waits for it). */
    int write(Pointer buf, int length) {
        long n = libc.write(fd, buf, length);
        return n < 0 ? -runtime.getLastError() : 0;
    }

    /** Unmounts (lazily: the kernel detaches it now and ends it when its last file is closed). */
    void unmount() {
        libfuse.fuse_unmount(mountPoint.toString(), null);
    }

    /** Ends the connection at once: every request waiting fails, every reader returns. False if it cannot. */
    boolean abort() {
        Path abort = Path.of("/sys/fs/fuse/connections", Long.toString(connection), "abort");
        if (connection < 0 || !Files.exists(abort)) {
            return false;
        }
        try {
            Files.writeString(abort, "1");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Closes the device once every reader has returned. */
    synchronized void close() {
        if (!closed) {
            closed = true;
            libfuse.fuse_chan_destroy(channel); // closes the fd
        }
    }
}
