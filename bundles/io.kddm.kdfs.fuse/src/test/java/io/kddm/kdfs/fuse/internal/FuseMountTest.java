package io.kddm.kdfs.fuse.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Kdfs;

/** What the mount refuses before it loads libfuse, and the small parsers and checks it relies on. */
class FuseMountTest {
    @TempDir
    Path dir;

    /** A kDFS that is mounted or not and does nothing else (the checks come first). */
    private static Kdfs kdfs(boolean mounted) {
        return (Kdfs) Proxy.newProxyInstance(Kdfs.class.getClassLoader(), new Class<?>[] {Kdfs.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("mounted")) {
                        return mounted;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private String refusal(boolean mounted, Path mp) {
        return assertThrows(FuseException.class, () -> FuseMount.mount(kdfs(mounted), mp)).getMessage();
    }

    @Test
    void aMountPointMustExistBeAnEmptyDirectoryAndNotBeMountedAlready() throws Exception {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            assertTrue(refusal(true, dir).contains("no /dev/fuse"));
            return; // every other check comes after this one
        }
        assertTrue(refusal(true, dir.resolve("missing")).contains("does not exist: create it first"));
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertTrue(refusal(true, file).contains("is not a directory"));
        Files.createDirectories(dir.resolve("full/inside"));
        assertTrue(refusal(true, dir.resolve("full")).contains("is not empty"));
        assertTrue(refusal(true, Path.of("/proc")).contains("is a mount point already"));
        assertTrue(refusal(false, dir).contains("kDFS is not mounted on this node"));
    }

    @Test
    void mountPointsAreReadFromMountinfoWithTheirEscapesUndone() {
        List<String> lines = List.of(
                "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
                "98 22 0:50 / /tmp/a\\040b rw,nosuid,nodev,relatime shared:60 - fuse.kdfs kdfs rw,user_id=0");
        assertEquals(List.of("/", "/tmp/a b"), FuseMount.mountPoints(lines));
        assertTrue(FuseMount.mountedAt(Path.of("/proc")));
    }

    @Test
    void supplementaryGroupsComeFromTheProcessStatus() {
        assertArrayEquals(new int[] {4, 24, 1000}, Callers.parseGroups(List.of("Name:\tbash", "Groups:\t4 24 1000 ")));
        assertArrayEquals(new int[0], Callers.parseGroups(List.of("Groups:\t")));
        Caller me = new Callers().of(1000, 1000, ProcessHandle.current().pid());
        assertEquals(1000, me.uid());
        assertEquals(Caller.ROOT, new Callers().of(0, 0, 1));
    }

    @Test
    void theCachePolicyIsNoneOrKernelAndOnlyNoneIsCoherent() {
        FuseMount.Cache none = FuseMount.Cache.of("none");
        assertEquals(0, none.validNanos(), "names and attributes: never cached");
        assertEquals(FuseProtocol.FOPEN_DIRECT_IO, none.openFlags(), "pages: never cached");
        FuseMount.Cache kernel = FuseMount.Cache.of("kernel");
        assertEquals(1_000_000_000L, kernel.validNanos());
        assertEquals(FuseProtocol.FOPEN_KEEP_CACHE, kernel.openFlags(), "pages: kept across opens");
        String refused = assertThrows(FuseException.class, () -> FuseMount.Cache.of("fast")).getMessage();
        assertTrue(refused.contains("must be none") && refused.contains("'fast'"), refused);
    }
}
