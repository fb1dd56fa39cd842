package io.kddm.launch;

import java.util.ArrayList;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

import io.kddm.kdfs.Attr;
import io.kddm.kdfs.Caller;
import io.kddm.kdfs.DirEntry;
import io.kddm.kdfs.FileType;
import io.kddm.kdfs.Kdfs;
import io.kddm.kdfs.KdfsException;

/**
 * What Tab offers for a kDFS path being typed: the entries of the directory
 * the word names so far whose names start with its last part, read from the
 * mounted kDFS tree as {@code kdfs:ls} reads it (a read lock on each directory
 * page, nothing written). Directories end with '/', so that Tab goes on into them.
 */
final class KdfsPathCompletion {
    /** Entries read per {@code readdir} call. */
    private static final int PAGE = 256;
    /** At most this many candidates, so that Tab in a huge directory stays quick. */
    static final int LIMIT = 1000;

    /** One completion: the whole path to put on the line, and whether a directory (no space after it). */
    record Path(String value, String name, boolean directory) {
    }

    private KdfsPathCompletion() {
    }

    /** As {@link #complete(Kdfs, String)}, with this node's kDFS service; none while there is none. */
    static List<Path> complete(BundleContext context, String word) {
        ServiceReference<Kdfs> ref = context.getServiceReference(Kdfs.class);
        Kdfs fs = ref == null ? null : context.getService(ref);
        if (fs == null) {
            return List.of();
        }
        try {
            return complete(fs, word);
        } finally {
            context.ungetService(ref);
        }
    }

    /**
     * The paths that complete {@code word}, in the order of the directory; none
     * if the word is not an absolute path, names no directory, or kDFS is not mounted.
     */
    static List<Path> complete(Kdfs fs, String word) {
        String typed = word.isEmpty() ? "/" : word;
        if (!typed.startsWith("/")) {
            return List.of(); // the kdfs commands take absolute paths only
        }
        int slash = typed.lastIndexOf('/');
        String dir = typed.substring(0, slash + 1);
        String start = typed.substring(slash + 1);
        List<Path> found = new ArrayList<>();
        try {
            if (!fs.mounted()) {
                return List.of();
            }
            Attr attr = fs.resolve(Caller.ROOT, dir);
            if (!attr.isDirectory()) {
                return List.of();
            }
            long offset = 0;
            while (found.size() < LIMIT) {
                List<DirEntry> page = fs.readdir(Caller.ROOT, attr.ino(), offset, PAGE);
                if (page.isEmpty()) {
                    break;
                }
                for (DirEntry e : page) {
                    offset = e.cookie();
                    if (e.name().equals(".") || e.name().equals("..") || !e.name().startsWith(start)
                            || found.size() >= LIMIT) {
                        continue;
                    }
                    boolean directory = e.type() == FileType.DIRECTORY;
                    found.add(new Path(dir + e.name() + (directory ? "/" : ""), e.name() + (directory ? "/" : ""),
                            directory));
                }
            }
        } catch (KdfsException e) {
            return List.of(); // no such directory, not one, not allowed, or not mounted: nothing to offer
        }
        return found;
    }
}
