package io.kddm.kdfs.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;

/** The POSIX operations on three in-process nodes: two with partitions, one diskless. */
class FileSystemTest {
    private static final Caller ROOT = Caller.ROOT;
    @TempDir
    Path tmp;
    private KdfsCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private KdfsCluster cluster() {
        cluster = new KdfsCluster(3, Duration.ofMillis(1), Arrays.asList(tmp.resolve("p1"), tmp.resolve("p2"), null));
        return cluster;
    }

    private static Errno errno(Runnable r) {
        return assertThrows(KdfsException.class, r::run).errno();
    }

    @Test
    void aTreeMadeOnEachNodeReadsTheSameFromEveryOther() {
        KdfsCluster c = cluster();
        for (int id = 1; id <= 3; id++) {
            Kdfs fs = c.node(id);
            Attr d = fs.mkdir(ROOT, fs.root(), "d" + id, 0755);
            Attr f = fs.create(ROOT, d.ino(), "f", 0644);
            try (OpenFile o = fs.open(ROOT, f.ino(), OpenFile.WRITE)) {
                o.write(0, ("hello from " + id).getBytes(StandardCharsets.UTF_8));
            }
            // placement: the local partition, else the parent's node (the root, node 1)
            assertEquals(id == 3 ? 1 : id, d.node());
        }
        for (Kdfs fs : c.nodes()) {
            for (int id = 1; id <= 3; id++) {
                Attr f = fs.resolve(ROOT, "/d" + id + "/f");
                try (OpenFile o = fs.open(ROOT, f.ino(), OpenFile.READ)) {
                    assertEquals("hello from " + id, new String(o.read(0, 100), StandardCharsets.UTF_8));
                }
            }
            List<String> names = fs.readdir(ROOT, fs.root(), 0, 100).stream().map(e -> e.name()).toList();
            assertEquals(List.of(".", ".."), names.subList(0, 2));
            assertEquals(List.of("d1", "d2", "d3"), names.subList(2, names.size()).stream().sorted().toList());
        }
        assertEquals(Errno.EEXIST, errno(() -> c.node(2).mkdir(ROOT, c.node(2).root(), "d1", 0755)));
        assertEquals(Errno.ENOENT, errno(() -> c.node(3).resolve(ROOT, "/nope")));
        assertEquals(Errno.ENOTEMPTY, errno(() -> c.node(3).rmdir(ROOT, c.node(3).root(), "d1")));
        assertTrue(c.syncAll().isEmpty());
    }

    /** A close does not wait for the disk, but starts the write-back: no kdfs:sync, no periodic pass here. */
    @Test
    void aClosedFileReachesItsPartitionAtOnceWithoutASync() throws Exception {
        KdfsCluster c = cluster();
        Kdfs three = c.node(3); // diskless: the file is stored on node 1, the root's
        Attr f = three.create(ROOT, three.root(), "closed", 0644);
        byte[] data = "written on node 3, closed, never synced".getBytes(StandardCharsets.UTF_8);
        try (OpenFile o = three.open(ROOT, f.ino(), OpenFile.WRITE)) {
            o.write(0, data);
        }
        Path content = LocalKdfs.content(tmp.resolve("p1"), f.ino());
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (!(java.nio.file.Files.exists(content) && Arrays.equals(data, java.nio.file.Files.readAllBytes(content)))) {
            assertTrue(System.nanoTime() - deadline < 0, "the closed file never reached node 1's partition: " + content);
            Thread.sleep(5);
        }
        assertEquals(data.length, c.node(1).getattr(f.ino()).size());
    }

    /** The periodic pass forces nothing; kdfs:sync then forces what it wrote, though nothing changed since. */
    @Test
    void thePeriodicPassWritesBackUnforcedAndASyncForcesWhatItLeft() {
        KdfsCluster c = cluster();
        Kdfs one = c.node(1);
        Attr d = one.mkdir(ROOT, one.root(), "d", 0755);
        for (int i = 0; i < 5; i++) {
            one.create(ROOT, d.ino(), "f" + i, 0644);
        }
        int before = c.inodeStores("sync"); // the inode allocator's reservations are durable at once
        assertTrue(c.writeBackAll().isEmpty());
        assertEquals(before, c.inodeStores("sync"), "the periodic pass asked for no durability");
        assertTrue(c.inodeStores("writeBack") >= 7, "the five files, their folder and the root were written back");
        assertTrue(c.syncAll().isEmpty());
        assertTrue(c.inodeStores("sync") >= before + 7, "kdfs:sync forced the inodes the pass had left unforced: "
                + c.inodeStores);
        int forced = c.inodeStores("sync");
        assertTrue(c.syncAll().isEmpty());
        assertEquals(forced, c.inodeStores("sync"), "once forced, nothing is left to force");
    }

    @Test
    void sparseWritesPastTheEndReadZeros() {
        KdfsCluster c = cluster();
        Kdfs a = c.node(1);
        Kdfs b = c.node(3);
        Attr f = a.create(ROOT, a.root(), "sparse", 0644);
        long far = 3L * PageLinker.FILE_PAGE + 10;
        try (OpenFile o = a.open(ROOT, f.ino(), OpenFile.WRITE)) {
            o.write(far, new byte[] {1, 2, 3});
        }
        assertEquals(far + 3, b.getattr(f.ino()).size());
        try (OpenFile o = b.open(ROOT, f.ino(), OpenFile.READ | OpenFile.WRITE)) {
            byte[] all = o.read(0, (int) far + 100);
            assertEquals(far + 3, all.length);
            for (int i = 0; i < far; i++) {
                assertEquals(0, all[i]);
            }
            assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOfRange(all, (int) far, all.length));
            assertEquals(Errno.EFBIG, errno(() -> o.write(Long.MAX_VALUE - 1, new byte[] {1, 2, 3}))); // no overflow
        }
        assertEquals(Errno.EFBIG, errno(() -> b.setattr(ROOT, f.ino(), io.kddm.kdfs.SetAttr.truncate(Long.MAX_VALUE))));
        assertEquals(far + 3, a.getattr(f.ino()).size());
        // reads leave the access time alone (noatime)
        java.time.Instant atime = a.getattr(f.ino()).atime();
        try (OpenFile o = b.open(ROOT, f.ino(), OpenFile.READ)) {
            o.read(0, 10);
        }
        assertEquals(atime, a.getattr(f.ino()).atime());
    }

    @Test
    void theTreeAndItsBytesSurviveARestartOfEveryNode() {
        KdfsCluster c = cluster();
        byte[] big = new byte[3 * PageLinker.FILE_PAGE + 77];
        new java.util.Random(5).nextBytes(big);
        Kdfs three = c.node(3);
        int d = three.mkdir(ROOT, three.root(), "dir", 0700).ino();
        int f = c.node(2).create(ROOT, d, "big", 0600).ino();
        try (OpenFile o = three.open(ROOT, f, OpenFile.WRITE)) {
            o.write(0, big);
        }
        three.symlink(ROOT, d, "link", "/dir/big");
        c.node(1).link(ROOT, f, c.node(1).root(), "hard");
        try (OpenFile o = c.node(1).open(ROOT, f, OpenFile.WRITE)) {
            o.write(big.length - 7, new byte[] {9}); // the last page, changed by another node after close
        }
        big[big.length - 7] = 9;
        assertTrue(c.syncAll().isEmpty());
        c.close();
        cluster = new KdfsCluster(4, Duration.ofMillis(1),
                Arrays.asList(tmp.resolve("p1"), tmp.resolve("p2"), null), false);
        for (Kdfs fs : cluster.nodes()) {
            Attr a = fs.resolve(ROOT, "/dir/big");
            assertEquals(2, a.nlink());
            assertEquals(0600, a.mode());
            try (OpenFile o = fs.open(ROOT, a.ino(), OpenFile.READ)) {
                assertArrayEquals(big, o.read(0, big.length + 10));
            }
            assertEquals("/dir/big", fs.readlink(fs.resolve(ROOT, "/dir/link").ino()));
            assertEquals(a.ino(), fs.resolve(ROOT, "/hard").ino());
            assertEquals(0700, fs.resolve(ROOT, "/dir").mode());
        }
        // allocation resumes past what was handed out: a new entry on node 2 gets a fresh id
        int fresh = cluster.node(2).create(ROOT, cluster.node(2).root(), "new", 0644).ino();
        assertTrue(Ino.local(fresh) > Ino.local(f));
    }

    @Test
    void permissionsAreCheckedByUidGidAndMode() {
        KdfsCluster c = cluster();
        Kdfs fs = c.node(2);
        Caller alice = new Caller(1000, 1000);
        Caller bob = new Caller(1001, 1001);
        Caller friend = new Caller(1002, 2000, 1000);
        int home = fs.mkdir(ROOT, fs.root(), "home", 0755).ino();
        fs.setattr(ROOT, home, io.kddm.kdfs.SetAttr.chown(1000, 1000));
        assertEquals(Errno.EACCES, errno(() -> fs.create(bob, home, "x", 0644)));
        int f = fs.create(alice, home, "notes", 0640).ino();
        assertEquals(1000, fs.getattr(f).uid());
        assertEquals(Errno.EACCES, errno(() -> fs.open(bob, f, OpenFile.READ)));
        fs.open(friend, f, OpenFile.READ).close(); // group 1000 may read
        assertEquals(Errno.EACCES, errno(() -> fs.open(friend, f, OpenFile.WRITE)));
        // access(2) answers as the operations check: owner, then group (a supplementary one), then others
        fs.access(alice, f, Permissions.R | Permissions.W);
        fs.access(friend, f, Permissions.R);
        assertEquals(Errno.EACCES, errno(() -> fs.access(friend, f, Permissions.W)));
        assertEquals(Errno.EACCES, errno(() -> fs.access(bob, f, Permissions.R)));
        fs.access(bob, f, 0); // it exists
        fs.access(ROOT, f, Permissions.R | Permissions.W);
        assertEquals(Errno.EACCES, errno(() -> fs.access(ROOT, f, Permissions.X)), "root executes only what "
                + "somebody may execute");
        fs.access(ROOT, home, Permissions.X); // and searches any folder
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(bob, f, io.kddm.kdfs.SetAttr.chmod(0777))));
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(alice, f, io.kddm.kdfs.SetAttr.chown(1001, null))));
        fs.setattr(alice, f, io.kddm.kdfs.SetAttr.chmod(0600));
        assertEquals(Errno.EACCES, errno(() -> fs.open(friend, f, OpenFile.READ)));
        int priv = fs.mkdir(alice, home, "private", 0700).ino();
        assertEquals(Errno.EACCES, errno(() -> fs.lookup(bob, priv, "anything")));
        assertEquals(Errno.EACCES, errno(() -> fs.readdir(bob, priv, 0, 10)));
        assertEquals(Errno.EACCES, errno(() -> fs.unlink(bob, home, "notes")));
        fs.unlink(alice, home, "notes");
        // a refused part of a setattr changes nothing, not even the parts before it
        int shared = fs.create(alice, home, "shared", 0666).ino();
        try (OpenFile o = fs.open(alice, shared, OpenFile.WRITE)) {
            o.write(0, new byte[] {1, 2, 3});
        }
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(bob, shared,
                new io.kddm.kdfs.SetAttr(null, null, null, 0L, null, java.time.Instant.EPOCH))));
        assertEquals(3, fs.getattr(shared).size());
        try (OpenFile o = fs.open(bob, shared, OpenFile.READ)) {
            assertArrayEquals(new byte[] {1, 2, 3}, o.read(0, 10));
        }
        fs.setattr(bob, shared, io.kddm.kdfs.SetAttr.truncate(1)); // write permission is enough for that alone
        assertEquals(1, fs.getattr(shared).size());
    }

    @Test
    void badNamesAndMisusedEntriesGetTheirPosixErrors() {
        KdfsCluster c = cluster();
        Kdfs fs = c.node(3);
        int root = fs.root();
        assertEquals(Errno.EINVAL, errno(() -> fs.create(ROOT, root, "a/b", 0644)));
        assertEquals(Errno.EINVAL, errno(() -> fs.create(ROOT, root, "a\0b", 0644)));
        assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.create(ROOT, root, "x".repeat(256), 0644)));
        fs.create(ROOT, root, "x".repeat(255), 0644);
        assertEquals(Errno.EEXIST, errno(() -> fs.mkdir(ROOT, root, ".", 0755)));
        assertEquals(Errno.EEXIST, errno(() -> fs.create(ROOT, root, "..", 0644)));
        assertEquals(Errno.EINVAL, errno(() -> fs.rmdir(ROOT, root, ".")));
        int d = fs.mkdir(ROOT, root, "d", 0755).ino();
        int f = fs.create(ROOT, d, "f", 0644).ino();
        assertEquals(Errno.EISDIR, errno(() -> fs.unlink(ROOT, root, "d")));
        assertEquals(Errno.ENOTDIR, errno(() -> fs.rmdir(ROOT, d, "f")));
        assertEquals(Errno.ENOTDIR, errno(() -> fs.create(ROOT, f, "g", 0644)));
        assertEquals(Errno.EISDIR, errno(() -> fs.open(ROOT, d, OpenFile.READ)));
        assertEquals(Errno.EPERM, errno(() -> fs.link(ROOT, d, root, "dlink")));
        assertEquals(Errno.EINVAL, errno(() -> fs.rename(ROOT, root, "d", d, "inside")));
        int sub = fs.mkdir(ROOT, d, "sub", 0755).ino();
        assertEquals(Errno.EINVAL, errno(() -> fs.rename(ROOT, root, "d", sub, "deeper")));
        assertEquals(Errno.EINVAL, errno(() -> fs.mknod(ROOT, root, "dev", io.kddm.kdfs.FileType.REGULAR, 0644)));
        assertEquals(io.kddm.kdfs.FileType.FIFO, fs.mknod(ROOT, root, "pipe", io.kddm.kdfs.FileType.FIFO, 0600).type());
        assertEquals(Errno.ENOTEMPTY, errno(() -> fs.rename(ROOT, d, "sub", root, "d")));
        // a directory replaces an empty one atomically, and the link counts follow
        int empty = fs.mkdir(ROOT, root, "empty", 0755).ino();
        fs.rename(ROOT, d, "sub", root, "empty");
        assertEquals(sub, fs.resolve(ROOT, "/empty").ino());
        assertEquals(Errno.ENOENT, errno(() -> fs.getattr(empty)));
        assertEquals(2, fs.getattr(d).nlink());
        assertEquals(4, fs.getattr(root).nlink()); // ., d, empty (now sub)
    }

    @Test
    void aHugeDirectoryListedInSmallChunksReadsEachPageAboutOnce() {
        KdfsCluster c = cluster();
        FileSystem fs = (FileSystem) c.node(1);
        int d = fs.mkdir(ROOT, fs.root(), "huge", 0755).ino();
        int n = 3000;
        for (int i = 0; i < n; i++) {
            fs.create(ROOT, d, "entry-with-a-longer-name-" + i, 0644);
        }
        long pages = fs.getattr(d).size() / DirPage.SIZE;
        long before = fs.dirPagesRead();
        java.util.Set<String> seen = new java.util.HashSet<>();
        long cookie = 0;
        int calls = 0;
        for (List<io.kddm.kdfs.DirEntry> chunk; !(chunk = fs.readdir(ROOT, d, cookie, 10)).isEmpty(); calls++) {
            for (io.kddm.kdfs.DirEntry e : chunk) {
                assertTrue(seen.add(e.name()), "twice: " + e.name());
                cookie = e.cookie();
            }
        }
        assertEquals(n + 2, seen.size());
        long read = fs.dirPagesRead() - before;
        // each call reads the page it resumes in again, then pages it has not read: a scan from the
        // start at every call (the cookie scan this replaced) would read calls x pages
        assertTrue(pages >= 8, "the directory has several pages: " + pages);
        assertTrue(read <= pages + calls, read + " pages read for " + calls + " calls over " + pages + " pages");
    }

    @Test
    void readdirResumesAfterACookieAndSeesEachUntouchedEntryOnce() {
        KdfsCluster c = cluster();
        Kdfs fs = c.node(1);
        int d = fs.mkdir(ROOT, fs.root(), "many", 0755).ino();
        int n = 1500; // several bucket splits
        for (int i = 0; i < n; i++) {
            fs.create(ROOT, d, "file-" + i, 0644);
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        long cookie = 0;
        int removed = 0;
        int added = 0;
        while (true) {
            List<io.kddm.kdfs.DirEntry> page = c.node(2).readdir(ROOT, d, cookie, 100);
            if (page.isEmpty()) {
                break;
            }
            for (io.kddm.kdfs.DirEntry e : page) {
                assertTrue(seen.add(e.name()), "twice: " + e.name());
                cookie = e.cookie();
            }
            if (removed < 100) { // entries removed meanwhile may or may not be listed; the others must be
                c.node(3).unlink(ROOT, d, "file-" + (n - 1 - removed++));
            }
            if (added == 0) { // and added, enough to split the buckets again in the middle of the listing
                long before = fs.getattr(d).size();
                for (; added < 1500; added++) {
                    c.node(3).create(ROOT, d, "late-" + added, 0644);
                }
                assertTrue(fs.getattr(d).size() > before, "the directory split while it was being listed");
            }
        }
        for (int i = 0; i < n - 100; i++) {
            assertTrue(seen.contains("file-" + i), "missed file-" + i);
        }
    }

    /**
     * kDDM tells the linker of a removal on the node that held the inode last as
     * well as at its home: only the home may delete the entry (node 1 unlinking
     * 2:2 once deleted its own 1:2).
     */
    @Test
    void removingAnInodeStoredElsewhereLeavesTheSameLocalIdHereAlone() {
        KdfsCluster c = cluster();
        Kdfs one = c.node(1);
        Kdfs two = c.node(2);
        int a = one.create(ROOT, one.root(), "a", 0644).ino();
        int b = two.create(ROOT, one.root(), "b", 0644).ino();
        assertEquals(Ino.local(a), Ino.local(b), "the same local id on two nodes");
        try (OpenFile o = one.open(ROOT, a, OpenFile.WRITE)) {
            o.write(0, new byte[] {42});
        }
        assertTrue(c.syncAll().isEmpty());
        one.unlink(ROOT, one.root(), "b");
        assertTrue(java.nio.file.Files.isRegularFile(tmp.resolve("p1/0-99/" + Ino.local(a) + "/.meta")));
        assertTrue(!java.nio.file.Files.exists(tmp.resolve("p2/0-99/" + Ino.local(b))), "b's entry is gone at its home");
        assertTrue(c.syncAll().isEmpty());
        c.close();
        cluster = new KdfsCluster(8, Duration.ofMillis(1),
                Arrays.asList(tmp.resolve("p1"), tmp.resolve("p2"), null), false);
        try (OpenFile o = cluster.node(3).open(ROOT, cluster.node(3).resolve(ROOT, "/a").ino(), OpenFile.READ)) {
            assertArrayEquals(new byte[] {42}, o.read(0, 10));
        }
        assertEquals(Errno.ENOENT, errno(() -> cluster.node(3).resolve(ROOT, "/b")));
    }

    /** POSIX path resolution: "name/" names a directory (a link there is followed), found by ModelTest seeds 5 and 37. */
    @Test
    void aTrailingSlashFollowsALinkAndRefusesAFile() {
        KdfsCluster c = cluster();
        Kdfs fs = c.node(3);
        int root = fs.root();
        fs.create(ROOT, root, "f", 0644);
        fs.symlink(ROOT, root, "s", "/");
        fs.symlink(ROOT, root, "here", ".");
        fs.symlink(ROOT, root, "x", "nowhere");
        assertEquals(Errno.ENOTDIR, errno(() -> fs.resolve(ROOT, "/f/")));
        assertEquals(root, fs.resolve(ROOT, "/s/").ino());
        assertEquals(io.kddm.kdfs.FileType.SYMLINK, fs.resolve(ROOT, "/s").type());
        assertEquals(Errno.ENOENT, errno(() -> fs.resolve(ROOT, "/x/")));
        assertEquals(root, fs.resolve(ROOT, "/here/here/here/").ino());
        assertEquals(io.kddm.kdfs.FileType.SYMLINK, fs.resolve(ROOT, "/here/here/here").type());
    }

    /** Replacing a directory above the source is ENOTEMPTY, decided without locking upwards (a review found the hang). */
    @Test
    void renameOntoADirectoryAboveTheSourceIsRefused() {
        KdfsCluster c = cluster();
        Kdfs fs = c.node(2);
        int a = fs.mkdir(ROOT, fs.root(), "a", 0755).ino();
        int b = fs.mkdir(ROOT, a, "b", 0755).ino();
        int cc = fs.mkdir(ROOT, b, "c", 0755).ino();
        fs.mkdir(ROOT, cc, "x", 0755);
        assertEquals(Errno.ENOTEMPTY, errno(() -> fs.rename(ROOT, cc, "x", a, "b")));
        assertEquals(Errno.EINVAL, errno(() -> fs.rename(ROOT, a, "b", cc, "b2")));
        assertEquals(Errno.EPERM, errno(() -> fs.link(ROOT, a, b, "up")));
        assertEquals(Errno.ENOENT, errno(() -> fs.getattr(Ino.of(1, Ino.RENAME_LOCK))));
        assertEquals(Errno.ENOENT, errno(() -> fs.link(ROOT, Ino.of(1, Ino.ALLOCATOR), a, "alloc")));
        assertEquals(cc, fs.resolve(ROOT, "/a/b/c").ino());
    }

    /**
     * Ids come from a range the superblock records before they are used: a node
     * that stops without writing anything back (a crash) does not hand the same
     * ids out again.
     */
    @Test
    void inodeIdsAreNotHandedOutTwiceAfterACrash() throws Exception {
        KdfsCluster c = cluster();
        Kdfs one = c.node(1);
        int last = 0;
        for (int i = 0; i < 10; i++) {
            last = one.create(ROOT, one.root(), "f" + i, 0644).ino();
        }
        // the crash: node 1's partition as it is now, nothing written back (a clean stop would write back)
        Path crashed = KdfsCluster.copy(tmp.resolve("p1"), tmp.resolve("p1-crashed"));
        c.close();
        cluster = new KdfsCluster(9, Duration.ofMillis(1), Arrays.asList(crashed, tmp.resolve("p2"), null), false);
        int fresh = cluster.node(1).create(ROOT, cluster.node(1).root(), "again", 0644).ino();
        assertTrue(Ino.local(fresh) > Ino.local(last), "fresh id " + Ino.format(fresh) + " after " + Ino.format(last));
    }

    /**
     * A name whose inode never reached the disk (a crash between their write-backs)
     * reads as missing and can be removed, a directory's as a file's.
     */
    @Test
    void namesWithoutTheirInodeReadAsMissingAndCanBeRemoved() throws Exception {
        KdfsCluster c = cluster();
        Kdfs two = c.node(2);
        int d = two.mkdir(ROOT, two.root(), "d", 0755).ino(); // stored on node 2
        int f = two.create(ROOT, two.root(), "f", 0644).ino();
        assertTrue(c.syncAll().isEmpty());
        c.close();
        for (int ino : new int[] {d, f}) { // as if their .meta had never been written
            Path entry = tmp.resolve("p2").resolve(Partition.group(Ino.local(ino))).resolve(Integer.toString(Ino.local(ino)));
            try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(entry)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(p);
                }
            }
        }
        cluster = new KdfsCluster(10, Duration.ofMillis(1), Arrays.asList(tmp.resolve("p1"), tmp.resolve("p2"), null),
                false);
        Kdfs three = cluster.node(3);
        assertEquals(Errno.ENOENT, errno(() -> three.resolve(ROOT, "/d")));
        assertEquals(Errno.ENOENT, errno(() -> three.resolve(ROOT, "/f")));
        three.rmdir(ROOT, three.root(), "d");
        three.unlink(ROOT, three.root(), "f");
        assertEquals(List.of(".", ".."), three.readdir(ROOT, three.root(), 0, 10).stream().map(e -> e.name()).toList());
        assertEquals(2, three.getattr(three.root()).nlink());
    }
}
