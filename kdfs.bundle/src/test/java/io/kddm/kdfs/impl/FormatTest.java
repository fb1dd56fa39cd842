package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.KdfsException;

/** The on-disk format: layout, round trips, and damaged files refused with their name. */
class FormatTest {
    @TempDir
    Path tmp;

    private static List<String> tree(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).filter(p -> !p.isEmpty()).sorted().toList();
        }
    }

    @Test
    void mkfsLaysOutTheSuperblockAndTheRootOnTheRootNodeOnly() throws Exception {
        Partition.mkfs(tmp.resolve("a"), 1, 1, false);
        assertEquals(List.of("...", "0-99", "0-99/1", "0-99/1/.content", "0-99/1/.meta"), tree(tmp.resolve("a")));
        Partition.mkfs(tmp.resolve("b"), 2, 1, false);
        assertEquals(List.of("..."), tree(tmp.resolve("b")));
        Superblock sb = Superblock.read(tmp.resolve("b"));
        assertEquals(new Superblock(2, Ino.of(1, 1), Ino.FIRST_FREE), sb);
        Meta root = Meta.decode(Files.readAllBytes(tmp.resolve("a/0-99/1/.meta")), "root");
        assertEquals(FileType.DIRECTORY, root.type);
        assertEquals(Ino.of(1, 1), root.parent);
        assertEquals(2, root.nlink);
    }

    @Test
    void mkfsRefusesANonEmptyFolderUnlessForcedAndBadNodeIds() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(dir.resolve("precious"), "x");
        KdfsException e = assertThrows(KdfsException.class, () -> Partition.mkfs(dir, 1, 1, false));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(Files.exists(dir.resolve("precious")));
        Partition.mkfs(dir, 1, 1, true);
        assertFalse(Files.exists(dir.resolve("precious")));
        for (int[] ids : new int[][] {{0, 1}, {256, 1}, {1, 0}, {1, 300}}) {
            assertEquals(Errno.EINVAL, assertThrows(KdfsException.class,
                    () -> Partition.mkfs(tmp.resolve("n" + ids[0] + "-" + ids[1]), ids[0], ids[1], false)).errno());
        }
    }

    @Test
    void entriesAreGroupedAHundredPerFolder() {
        Partition p = Partition.mkfs(tmp.resolve("p"), 3, 3, false);
        assertEquals(tmp.resolve("p/0-99/1").toAbsolutePath(), p.entry(1));
        assertEquals(tmp.resolve("p/100-199/150").toAbsolutePath(), p.entry(150));
        assertEquals(tmp.resolve("p/16777200-16777299/16777215").toAbsolutePath(), p.entry(0xFF_FFFF));
    }

    @Test
    void superblockRoundTripsAndDamageIsNamed() throws Exception {
        Superblock sb = new Superblock(7, Ino.of(1, 1), 12345);
        Path file = tmp.resolve("...");
        assertEquals(sb, Superblock.decode(sb.encode(), file));
        String text = sb.encode().replace("next=12345", "next=12346");
        CorruptPartitionException e = assertThrows(CorruptPartitionException.class, () -> Superblock.decode(text, file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("checksum"), e.getMessage());
        assertTrue(assertThrows(CorruptPartitionException.class, () -> Superblock.read(tmp)).getMessage()
                .contains("missing"));
        Files.write(file, new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        assertTrue(assertThrows(CorruptPartitionException.class, () -> Superblock.read(tmp)).getMessage()
                .contains(file.toString()));
    }

    @Test
    void mountRefusesAnotherNodesPartitionAndAMissingOne() {
        Partition.mkfs(tmp.resolve("p"), 2, 1, false);
        Mount m = new Mount(3);
        KdfsException e = assertThrows(KdfsException.class, () -> m.mount(tmp.resolve("p"), null));
        assertTrue(e.getMessage().contains("belongs to node 2"), e.getMessage());
        e = assertThrows(KdfsException.class, () -> m.mount(tmp.resolve("nothing"), null));
        assertTrue(e.getMessage().contains(tmp.resolve("nothing").resolve("...").toString()), e.getMessage());
        assertFalse(m.mounted());
        assertEquals(Errno.EINVAL, assertThrows(KdfsException.class, () -> m.mount(null, null)).errno());
        m.mount(null, Ino.of(1, 1));
        assertEquals(Errno.EINVAL, assertThrows(KdfsException.class, () -> m.mount(null, Ino.of(1, 1))).errno());
    }

    @Test
    void metaRoundTripsEveryFieldWithNanosecondsAndRefusesDamage() {
        Meta m = Meta.fresh(FileType.REGULAR, 0640, 1000, 100, Ino.of(1, 1), Instant.ofEpochSecond(1_700_000_000, 123_456_789));
        m.size = 5_000_000_000L;
        m.nlink = 3;
        m.mtime = Instant.ofEpochSecond(1_800_000_000, 987_654_321);
        byte[] bytes = m.encode();
        Meta back = Meta.decode(bytes, "t");
        assertArrayEquals(bytes, back.encode());
        assertEquals(m.attr(5), back.attr(5));
        assertNull(Meta.decode(new byte[0], "t"));
        for (int i = 0; i < bytes.length; i++) {
            byte[] bad = bytes.clone();
            bad[i] ^= 0x10;
            int at = i;
            assertThrows(CorruptPartitionException.class, () -> Meta.decode(bad, "t"), "flip at byte " + at);
        }
        assertTrue(assertThrows(CorruptPartitionException.class,
                () -> Meta.decode(java.util.Arrays.copyOf(bytes, 20), "/x/.meta")).getMessage().contains("/x/.meta"));
    }

    @Test
    void dirPagesRoundTripAndReadZeroPaddedFromDisk() {
        DirPage p = new DirPage(new java.util.ArrayList<>(List.of(new DirPage.Entry("a", 5, FileType.REGULAR, 3),
                new DirPage.Entry("ünïcødé", Ino.of(2, 9), FileType.DIRECTORY, 4))));
        byte[] bytes = p.encode();
        byte[] padded = java.util.Arrays.copyOf(bytes, DirPage.SIZE); // as the page linker reads it from disk
        assertArrayEquals(bytes, PageLinker.trim(padded));
        assertEquals(p.entries, DirPage.decode(PageLinker.trim(padded), "t").entries);
        assertTrue(DirPage.decode(PageLinker.trim(new byte[DirPage.SIZE]), "t").entries.isEmpty());
        byte[] bad = bytes.clone();
        bad[0] = 'X';
        assertThrows(CorruptPartitionException.class, () -> DirPage.decode(bad, "t"));
        assertThrows(CorruptPartitionException.class, () -> DirPage.decode(java.util.Arrays.copyOf(bytes, 12), "t"));
        assertEquals("a".getBytes(StandardCharsets.UTF_8).length + 15, p.entries.get(0).encodedLength());
    }

    /** A lookup scans the encoded page: the same answers as decoding it, the same refusals. */
    @Test
    void findingANameInAnEncodedPageAnswersAsDecodingIt() {
        DirPage p = new DirPage(new java.util.ArrayList<>(List.of(new DirPage.Entry("a", 5, FileType.REGULAR, 3),
                new DirPage.Entry("ünïcødé", Ino.of(2, 9), FileType.DIRECTORY, 4),
                new DirPage.Entry("ab", 7, FileType.SYMLINK, 9))));
        byte[] bytes = p.encode();
        for (String name : List.of("a", "ab", "ünïcødé", "b", "abc", "", "ünïcød")) {
            assertEquals(p.find(name), DirPage.find(bytes, name, "t"), name);
        }
        assertNull(DirPage.find(new byte[0], "a", "t"), "an empty page has no entries");
        byte[] bad = bytes.clone();
        bad[0] = 'X';
        assertThrows(CorruptPartitionException.class, () -> DirPage.find(bad, "a", "t"));
        byte[] damaged = bytes.clone();
        damaged[8 + 12] = 99; // the first entry's type
        assertThrows(CorruptPartitionException.class, () -> DirPage.find(damaged, "ab", "t"));
        assertThrows(CorruptPartitionException.class, () -> DirPage.find(java.util.Arrays.copyOf(bytes, 30), "ab",
                "t"), "a page cut inside an entry");
    }
}
