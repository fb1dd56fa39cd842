package io.kddm.kdfs.fuse.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.kddm.kdfs.Errno;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;

/**
 * The files open through the mount, by the handle FUSE keeps per open
 * ({@code fh}): reads and writes go to the kDFS open file, not to a path, so a
 * file renamed or unlinked while open is still the same file.
 */
final class OpenFiles {
    private final ConcurrentHashMap<Long, OpenFile> open = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong(1);

    long add(OpenFile file) {
        long fh = next.getAndIncrement();
        open.put(fh, file);
        return fh;
    }

    OpenFile get(long fh) {
        OpenFile f = open.get(fh);
        if (f == null) {
            throw new KdfsException(Errno.EBADF, "no open file with handle " + fh);
        }
        return f;
    }

    /** Removes and returns the file of {@code fh}, {@code null} if none. */
    OpenFile remove(long fh) {
        return open.remove(fh);
    }

    int size() {
        return open.size();
    }

    /** Closes every file still open (the mount goes away); returns how many. */
    int closeAll() {
        int n = 0;
        for (Long fh : open.keySet()) {
            OpenFile f = open.remove(fh);
            if (f != null) {
                try {
                    f.close();
                } catch (RuntimeException ignored) {
                    // closing is best effort here: the mount is going away
                }
                n++;
            }
        }
        return n;
    }
}
