package io.kddm.shm.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.impl.core.History;
import io.kddm.impl.core.Linearizability;
import io.kddm.shm.Errno;
import io.kddm.shm.ShmException;

/** The {@code shm:} commands on two in-process nodes: what they print, and one clear line for a wrong command. */
class ShmCommandsTest {
    private ShmCluster cluster;
    private ShmCommands one;
    private ShmCommands two;

    @BeforeEach
    void start() {
        cluster = new ShmCluster(5, Duration.ZERO, 2);
        one = new ShmCommands(cluster.node(1));
        two = new ShmCommands(cluster.node(2));
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static void usage(String expected, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("; usage: shm:"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    private static void errno(Errno errno, Executable call) {
        ShmException e = assertThrows(ShmException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
    }

    @Test
    void commandsMakeWriteReadAddAndRemoveASegment(@TempDir Path dir) throws Exception {
        int id = one.get("0x2a", "10000", "--create", "--mode", "0640");
        assertEquals(id, two.get("42", "0"));
        errno(Errno.EEXIST, () -> two.get("42", "100", "--create", "--excl"));
        assertEquals("wrote 11 bytes at 4090 of segment " + id, one.write(String.valueOf(id), "4090", "hello world"));
        assertEquals("hello world", two.read(String.valueOf(id), "4090", "11"));
        assertEquals("....", two.read(String.valueOf(id), "0", "4"), "never written: zeros, shown as dots");
        one.write(String.valueOf(id), "16", "--hex", "00ff10");
        assertEquals("00ff10", two.read(String.valueOf(id), "16", "3", "--hex"));
        Path history = dir.resolve("h");
        String added = two.add(String.valueOf(id), "8192", "2", "--times", "50", "--threads", "3", "--op", "mixed",
                "--watch", "--history", history.toString());
        assertTrue(added.contains("final 300") && added.contains("never went back"), added);
        assertEquals("300", one.read(String.valueOf(id), "8192", "8", "--long"));
        assertEquals(History.readTorture(history).size(), Linearizability.checkAll(History.readTorture(history)));
        assertEquals("swapped: 300 -> 7", one.cas(String.valueOf(id), "8192", "300", "7"));
        assertEquals("not swapped: found 7", one.cas(String.valueOf(id), "8192", "300", "8"));
        String stat = two.stat(String.valueOf(id));
        assertTrue(stat.contains("key:      0x0000002a") && stat.contains("mode:     640")
                && stat.contains("size:     10000") && stat.contains("attached: 0"), stat);
        assertTrue(one.ls().contains("0x0000002a " + String.format("%-10d", id)), one.ls());
        assertEquals("segment " + id + ": owner 5:6, mode 600", one.set(String.valueOf(id), "5", "6", "0600"));
        errno(Errno.EPERM, () -> two.rm(String.valueOf(id), "--as", "7:7"));
        errno(Errno.EACCES, () -> two.read(String.valueOf(id), "0", "1", "--as", "7:6"));
        assertEquals("removed segment " + id, two.rm(String.valueOf(id), "--as", "5"));
        errno(Errno.ENOENT, () -> one.get("42", "0"));
        errno(Errno.EINVAL, () -> one.read(String.valueOf(id), "0", "1"));
        assertTrue(Files.size(history) > 0);
    }

    @Test
    void wrongCommandsGetOneLineAndTheUsage() {
        int id = one.get("IPC_PRIVATE", "64");
        String sid = String.valueOf(id);
        usage("missing arguments", () -> one.get("1"));
        usage("SIZE 'big' is not a number", () -> one.get("1", "big", "--create"));
        usage("unknown option --force", () -> one.get("1", "10", "--force"));
        usage("--mode needs a value", () -> one.get("1", "10", "--create", "--mode"));
        usage("bits beyond 0777", () -> one.get("1", "10", "--create", "--mode", "01000"));
        usage("--excl goes with --create", () -> one.get("1", "10", "--excl"));
        usage("not a 32-bit key", () -> one.get("0x100000000", "10", "--create"));
        usage("too many arguments", () -> one.write(sid, "0", "a", "b"));
        usage("not an even number of hex digits", () -> one.write(sid, "0", "--hex", "abc"));
        usage("ID must be a segment id above 0", () -> one.read("0", "0", "1"));
        usage("ID 'x' is not a number", () -> one.stat("x"));
        usage("multiple of 8", () -> one.read(sid, "0", "4", "--long"));
        usage("--op is add, cas or mixed", () -> one.add(sid, "0", "1", "--op", "fast"));
        usage("--times must be", () -> one.add(sid, "0", "1", "--times", "0"));
        usage("missing arguments", () -> one.cas(sid, "0", "1"));
        usage("too many arguments", () -> one.ls("x"));
        errno(Errno.EINVAL, () -> one.add(sid, "4", "1")); // unaligned
        errno(Errno.EINVAL, () -> one.add(sid, "64", "1")); // past the end
        errno(Errno.EINVAL, () -> one.get("9", "0", "--create")); // size 0
        errno(Errno.EINVAL, () -> one.stat("999"));
        assertEquals("0", one.read(sid, "0", "8", "--long"), "nothing changed");
    }
}
