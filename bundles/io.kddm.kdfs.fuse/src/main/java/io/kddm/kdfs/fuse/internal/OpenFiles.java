package io.kddm.kdfs.fuse.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.kddm.kdfs.Errno;
import io.kddm.kdfs.KdfsException;
import io.kddm.kdfs.OpenFile;

/**
 * The files open through the mount, by the handle the kernel keeps per open
 * ({@code fh}): reads and writes go to the kDFS open file, not to a name, so a
 * file renamed or unlinked while open is still the same file. Also counts the
 * opens of each inode, and keeps where a file unlinked while open was hidden
 * (see {@link KdfsLowLevel}) until its last close.
 */
final class OpenFiles {
    /** Where an unlinked open file waits for its last close: a folder and a name of its own. */
    record Hidden(int ino, int dir, String name) {
    }

    private final ConcurrentHashMap<Long, OpenFile> open = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Integer> opens = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, Hidden> hidden = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong(1);

    long add(OpenFile file) {
        long fh = next.getAndIncrement();
        opens.merge(file.ino(), 1, Integer::sum);
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

    /** Removes and returns the file of {@code fh}, {@code null} if none; {@link #closed} once it is closed. */
    OpenFile remove(long fh) {
        return open.remove(fh);
    }

    /** One open of {@code ino} closed: where it was hidden if that was its last open and it was unlinked. */
    Hidden closed(int ino) {
        Hidden[] last = new Hidden[1];
        opens.computeIfPresent(ino, (i, n) -> { // atomic with hide(): a hiding is recorded before or dropped here
            if (n > 1) {
                return n - 1;
            }
            last[0] = hidden.remove(ino);
            return null;
        });
        return last[0];
    }

    boolean isOpen(int ino) {
        return opens.containsKey(ino);
    }

    /**
     * Records that {@code ino} was unlinked by renaming it to {@code h}; false if its
     * last open closed meanwhile (then nobody will drop it: the caller does, at once).
     */
    boolean hide(int ino, Hidden h) {
        boolean[] open = new boolean[1];
        opens.computeIfPresent(ino, (i, n) -> {
            hidden.put(ino, h);
            open[0] = true;
            return n;
        });
        return open[0];
    }

    /** Forgets a hiding undone (the rename it made room for failed and the name was given back). */
    void unhide(int ino) {
        hidden.remove(ino);
    }

    int size() {
        return open.size();
    }

    /**
     * Closes the file of {@code fh} (none: nothing); {@code last} is given where it
     * was hidden if that was its last open and it was unlinked meanwhile. False if no such handle.
     */
    boolean release(long fh, java.util.function.Consumer<Hidden> last) {
        OpenFile f = remove(fh);
        if (f == null) {
            return false;
        }
        try {
            f.close();
        } finally {
            Hidden h = closed(f.ino());
            if (h != null) {
                last.accept(h);
            }
        }
        return true;
    }

    /** Closes every file still open (the mount goes away); returns how many. */
    int closeAll(java.util.function.Consumer<Hidden> last) {
        int n = 0;
        for (Long fh : open.keySet()) {
            try {
                n += release(fh, last) ? 1 : 0;
            } catch (RuntimeException ignored) {
                n++; // closing is best effort here: the mount is going away
            }
        }
        return n;
    }
}
