package io.kddm.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.DirEntry;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;

/** Tab after a kdfs: command offers the entries of the directory typed so far, directories ending with '/'. */
class KdfsPathCompletionTest {

    /** A kDFS tree in memory: only what completion calls (mounted, resolve, readdir) is there. */
    private static final class Tree {
        final Map<Integer, Map<String, Integer>> dirs = new HashMap<>();
        final Map<Integer, FileType> types = new HashMap<>();
        final AtomicInteger readdirs = new AtomicInteger();
        boolean mounted = true;
        private int next = 2;

        Tree() {
            dirs.put(1, new LinkedHashMap<>());
            types.put(1, FileType.DIRECTORY);
        }

        int add(int dir, String name, FileType type) {
            int ino = next++;
            dirs.get(dir).put(name, ino);
            types.put(ino, type);
            if (type == FileType.DIRECTORY) {
                dirs.put(ino, new LinkedHashMap<>());
            }
            return ino;
        }

        Attr attr(int ino) {
            Instant t = Instant.EPOCH;
            return new Attr(ino, types.get(ino), 0755, 0, 0, 0, 1, t, t, t);
        }

        Attr resolve(String path) {
            int ino = 1;
            for (String part : path.split("/")) {
                if (part.isEmpty()) {
                    continue;
                }
                Map<String, Integer> entries = dirs.get(ino);
                if (entries == null) {
                    throw new KdfsException(Errno.ENOTDIR, path);
                }
                Integer child = entries.get(part);
                if (child == null) {
                    throw new KdfsException(Errno.ENOENT, path);
                }
                ino = child;
            }
            return attr(ino);
        }

        List<DirEntry> readdir(int dir, long offset, int max) {
            readdirs.incrementAndGet();
            List<DirEntry> all = new ArrayList<>();
            all.add(new DirEntry(".", dir, FileType.DIRECTORY, 1));
            all.add(new DirEntry("..", 1, FileType.DIRECTORY, 2));
            long cookie = 3;
            for (Map.Entry<String, Integer> e : dirs.get(dir).entrySet()) {
                all.add(new DirEntry(e.getKey(), e.getValue(), types.get(e.getValue()), cookie++));
            }
            return all.stream().filter(e -> e.cookie() > offset).limit(max).toList();
        }

        Kdfs fs() {
            return (Kdfs) Proxy.newProxyInstance(Kdfs.class.getClassLoader(), new Class<?>[] {Kdfs.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "mounted" -> mounted;
                        case "resolve" -> {
                            if (!mounted) {
                                throw new KdfsException(Errno.EIO, "not mounted");
                            }
                            assertEquals(Caller.ROOT, args[0]);
                            yield resolve((String) args[1]);
                        }
                        case "readdir" -> readdir((Integer) args[1], (Long) args[2], (Integer) args[3]);
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }
    }

    private static List<String> values(Tree tree, String word) {
        return KdfsPathCompletion.complete(tree.fs(), word).stream().map(KdfsPathCompletion.Path::value).toList();
    }

    private static Tree sample() {
        Tree t = new Tree();
        int dir = t.add(1, "dir", FileType.DIRECTORY);
        t.add(1, "data", FileType.REGULAR);
        t.add(1, "hello", FileType.REGULAR);
        t.add(dir, "sub", FileType.DIRECTORY);
        t.add(dir, "some file", FileType.REGULAR);
        t.add(dir, "link", FileType.SYMLINK);
        return t;
    }

    @Test
    void anEmptyWordOffersTheRootsEntriesWithoutDotAndDotDot() {
        assertEquals(List.of("/dir/", "/data", "/hello"), values(sample(), ""));
        assertEquals(List.of("/dir/", "/data", "/hello"), values(sample(), "/"));
    }

    @Test
    void theLastPartIsAPrefixOfTheNamesOffered() {
        Tree t = sample();
        assertEquals(List.of("/dir/", "/data"), values(t, "/d"));
        assertEquals(List.of("/dir/sub/", "/dir/some file"), values(t, "/dir/s"));
        assertEquals(List.of("/dir/sub/"), values(t, "/dir/su"));
        assertEquals(List.of(), values(t, "/dir/x"));
    }

    @Test
    void directoriesAreNotCompleteSoTabGoesOnIntoThem() {
        List<KdfsPathCompletion.Path> paths = KdfsPathCompletion.complete(sample().fs(), "/dir/");
        assertEquals(List.of(new KdfsPathCompletion.Path("/dir/sub/", "sub/", true),
                new KdfsPathCompletion.Path("/dir/some file", "some file", false),
                new KdfsPathCompletion.Path("/dir/link", "link", false)), paths);
    }

    @Test
    void nothingIsOfferedForAFileAMissingDirectoryARelativePathOrAnUnmountedTree() {
        Tree t = sample();
        assertEquals(List.of(), values(t, "/hello/"));
        assertEquals(List.of(), values(t, "/missing/x"));
        assertEquals(List.of(), values(t, "dir"));
        t.mounted = false;
        assertEquals(List.of(), values(t, "/d"));
    }

    @Test
    void aLargeDirectoryIsReadPageByPageAndCutAtTheLimit() {
        Tree t = new Tree();
        int big = t.add(1, "big", FileType.DIRECTORY);
        for (int i = 0; i < 600; i++) {
            t.add(big, "f" + i, FileType.REGULAR);
        }
        List<String> all = values(t, "/big/f");
        assertEquals(600, all.size());
        assertEquals("/big/f0", all.get(0));
        assertEquals("/big/f599", all.get(599));
        assertEquals(List.of("/big/f59", "/big/f590", "/big/f591", "/big/f592", "/big/f593", "/big/f594",
                "/big/f595", "/big/f596", "/big/f597", "/big/f598", "/big/f599"), values(t, "/big/f59"));

        for (int i = 600; i < 1500; i++) {
            t.add(big, "f" + i, FileType.REGULAR);
        }
        t.readdirs.set(0);
        List<String> cut = values(t, "/big/");
        assertEquals(KdfsPathCompletion.LIMIT, cut.size());
        assertEquals("/big/f999", cut.get(KdfsPathCompletion.LIMIT - 1));
        assertTrue(t.readdirs.get() <= 4, "stops reading once it has enough: " + t.readdirs.get() + " pages");
    }
}
