package io.kddm.linker.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.api.linker.SetContext;
import io.kddm.api.set.KddmException;

class FileIoLinkerTest {
    private static final SetContext SET = new SetContext(0x42, FileFamily.NAME, 1, List.of(1, 2, 3));

    @TempDir
    Path dir;

    private FileIoLinker linker() {
        return new FileIoLinker(dir);
    }

    @Test
    void aNeverSyncedObjectIsNewAndEmpty() {
        assertEquals(0, linker().firstTouch(SET, 7).length);
        assertFalse(Files.exists(linker().file(SET.setId(), 7)), "a first touch writes nothing");
    }

    @Test
    void syncedObjectsReadBackByteForByteFromAnotherInstance() throws IOException {
        byte[] value = new byte[70_000];
        Arrays.fill(value, (byte) 0xA5);
        value[0] = 0;
        linker().sync(SET, 1234, value);
        linker().sync(SET, 0, new byte[0]);
        assertArrayEquals(value, new FileIoLinker(dir).firstTouch(SET, 1234));
        assertEquals(0, new FileIoLinker(dir).firstTouch(SET, 0).length);
        Path file = linker().file(SET.setId(), 1234);
        assertEquals(dir.resolve("0000000000000042").resolve("1000-1999").resolve("1234"), file);
        try (var names = Files.list(file.getParent())) {
            assertEquals(List.of("1234"), names.map(p -> p.getFileName().toString()).toList(),
                    "no temporary file left");
        }
    }

    /** Two readers may sync one object at once (at its home): neither fails, and one whole value wins. */
    @Test
    void syncsOfOneObjectAtOnceDoNotTripOverEachOther() throws Exception {
        byte[] a = new byte[4096];
        byte[] b = new byte[4096];
        Arrays.fill(a, (byte) 1);
        Arrays.fill(b, (byte) 2);
        FileIoLinker l = linker();
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 50; i++) {
                var x = two.submit(() -> l.sync(SET, 9, a));
                var y = two.submit(() -> l.sync(SET, 9, b));
                x.get();
                y.get();
                byte[] read = l.firstTouch(SET, 9);
                assertTrue(Arrays.equals(read, a) || Arrays.equals(read, b), "a whole value of one of them");
            }
        } finally {
            two.shutdownNow();
        }
    }

    @Test
    void aSecondSyncReplacesTheFirst() {
        linker().sync(SET, 5, new byte[] {1, 2, 3});
        linker().sync(SET, 5, new byte[] {4});
        assertArrayEquals(new byte[] {4}, linker().firstTouch(SET, 5));
    }

    @Test
    void removeDeletesTheFile() {
        linker().sync(SET, 5, new byte[] {1});
        linker().remove(SET, 5);
        assertFalse(Files.exists(linker().file(SET.setId(), 5)));
        assertEquals(0, linker().firstTouch(SET, 5).length);
        linker().remove(SET, 5); // nothing there: not an error
    }

    private String corruption(long objectId, byte[] fileBytes) throws IOException {
        Path file = linker().file(SET.setId(), objectId);
        Files.createDirectories(file.getParent());
        Files.write(file, fileBytes);
        KddmException ex = assertThrows(KddmException.class, () -> linker().firstTouch(SET, objectId));
        assertTrue(ex.getMessage().contains(file.toString()), "names the file: " + ex.getMessage());
        assertTrue(ex.getMessage().contains("object " + objectId), "names the object: " + ex.getMessage());
        return ex.getMessage();
    }

    @Test
    void damagedFilesAreRefusedWithTheirPathNeverReadAsZeros() throws IOException {
        byte[] good = ObjectFile.encode(9, "hello, kDDM".getBytes());
        assertTrue(corruption(9, Arrays.copyOf(good, good.length - 3)).contains("truncated"));
        assertTrue(corruption(9, Arrays.copyOf(good, 10)).contains("truncated"));
        assertTrue(corruption(9, new byte[0]).contains("truncated"));
        assertTrue(corruption(9, Arrays.copyOf(good, good.length + 1)).contains("trailing"));
        byte[] flipped = good.clone();
        flipped[flipped.length - 1] ^= 1;
        assertTrue(corruption(9, flipped).contains("checksum"));
        byte[] zeros = new byte[good.length];
        assertTrue(corruption(9, zeros).contains("magic"));
        assertTrue(corruption(8, good).contains("holds object 9"));
    }

    /** kDDM's version of each store (for backups, issue 14) is kept beside the object, and outlives its removal. */
    @Test
    void theStoredVersionIsKeptBesideTheObjectAndOutlivesItsRemoval() throws Exception {
        assertEquals(null, linker().storedVersion(SET, 77), "none recorded yet");
        byte[] v1 = new byte[16];
        v1[15] = 1;
        byte[] v2 = new byte[16];
        v2[15] = 2;
        linker().sync(SET, 77, new byte[] {7});
        linker().storedAs(SET, 77, v1, true);
        assertArrayEquals(v1, new FileIoLinker(dir).storedVersion(SET, 77));
        linker().remove(SET, 77);
        linker().storedAs(SET, 77, v2, false);
        assertArrayEquals(v2, linker().storedVersion(SET, 77), "the removal's version stays");
        assertEquals(0, linker().firstTouch(SET, 77).length, "the object itself is gone");
        try (var names = Files.list(linker().file(SET.setId(), 77).getParent())) {
            assertEquals(List.of("77.v"), names.map(p -> p.getFileName().toString()).toList(),
                    "no temporary file left");
        }
        Files.write(linker().versionFile(SET.setId(), 77), new byte[5]);
        assertTrue(assertThrows(KddmException.class, () -> linker().storedVersion(SET, 77)).getMessage()
                .contains("77.v"), "a damaged version file is refused, naming it");
    }
}
