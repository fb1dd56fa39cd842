package io.kddm.kdfs.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.KddmSet;

/**
 * What this node changed and has not written back yet, per inode: its
 * metadata and the dir or file pages it wrote. Writing back is kDDM's
 * {@code sync} of each object (the home stores the current value, wherever it
 * is), pages before the inode, whose write-back forces them. An object that
 * cannot be written back (its home is down) stays dirty and is tried again.
 */
final class WriteBack {
    private static final Logger LOG = LoggerFactory.getLogger(WriteBack.class);

    /** An inode to write back (its metadata always), with the pages this node changed. */
    private static final class Dirty {
        final Set<Long> dirPages = ConcurrentHashMap.newKeySet();
        final Set<Long> filePages = ConcurrentHashMap.newKeySet();
    }

    private final Kddm kddm;
    private final Map<Integer, Dirty> dirty = new ConcurrentHashMap<>();
    /** The directories among {@link #dirty} with pages to write back: what a close writes back besides its file. */
    private final Set<Integer> dirtyDirs = ConcurrentHashMap.newKeySet();
    /** Inodes written back without forcing since their last durable write-back: a durable pass forces them. */
    private final Set<Integer> unforced = ConcurrentHashMap.newKeySet();
    /** Inodes closed after a write, waiting for {@link #closer}. */
    private final Set<Integer> closed = ConcurrentHashMap.newKeySet();
    /** Writes back what was closed, at once but off the closing thread: a close does not wait for the disk. */
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kdfs-close-writeback");
        t.setDaemon(true);
        return t;
    });
    /** One write-back of an inode at a time: an fsync must wait for a periodic pass that took its pages. */
    private final Object[] syncing = new Object[64];
    /** Whether a close waits for its write-back (kDFS's {@code close.waits}); otherwise {@link #closer} makes it. */
    private volatile boolean closeWaits = true;

    WriteBack(Kddm kddm) {
        this.kddm = kddm;
        for (int i = 0; i < syncing.length; i++) {
            syncing[i] = new Object();
        }
    }

    /** Marks inside the map's own lock: a mark lands in the record a write-back takes, or in a new one. */
    private void mark(int ino, java.util.function.Consumer<Dirty> change) {
        dirty.compute(ino, (i, d) -> {
            Dirty now = d != null ? d : new Dirty();
            change.accept(now);
            if (!now.dirPages.isEmpty()) {
                dirtyDirs.add(i); // inside the map's lock, as the record store() takes
            }
            return now;
        });
    }

    /** Inodes waiting for write-back now (read-only, for KdfsStats). */
    long dirtyInodes() {
        return dirty.size();
    }

    /** Directory and file pages waiting for write-back now (read-only, for KdfsStats). */
    long dirtyPages() {
        long pages = 0;
        for (Dirty d : dirty.values()) {
            pages += d.dirPages.size() + d.filePages.size();
        }
        return pages;
    }

    void meta(int ino) {
        mark(ino, d -> {
        });
    }

    void dirPage(int ino, long objectId) {
        mark(ino, d -> d.dirPages.add(objectId));
    }

    void filePage(int ino, long objectId) {
        mark(ino, d -> d.filePages.add(objectId));
    }

    /** The inode was removed: nothing of it is to be written. */
    void forget(int ino) {
        dirtyDirs.remove(ino);
        dirty.remove(ino);
        unforced.remove(ino);
    }

    int pending() {
        return dirty.size();
    }

    /**
     * Writes back what this node changed of {@code ino}, then its metadata (whose
     * write-back forces the pages to disk); with {@code always}, the metadata even
     * if nothing changed here.
     *
     * @throws KddmException if an object could not be written back (it stays dirty)
     */
    void sync(int ino, boolean always) {
        store(ino, always, true);
    }

    void closeWaits(boolean waits) {
        closeWaits = waits;
    }

    /**
     * A file written through a handle was closed (or flushed): what this node
     * changed of it, and the directories whose entries this node changed (the
     * file's name among them), are written back without forcing anything (kDDM's
     * {@code writeBack}: the home and every store replica have it before it
     * returns, so it outlives a crash of this node, the writer). By default the
     * close waits for it: a closed file is acknowledged data, as a Gluster or
     * Ceph client's close is. With {@code close.waits=false} it is made at once
     * on another thread and a crash of this node before it ends loses it (POSIX
     * asks durability only of {@code fsync}); a failure there leaves the inode
     * dirty for the next periodic pass.
     *
     * @throws KddmException if it waits and an object could not be written back (it stays dirty)
     */
    void closed(int ino) {
        if (closeWaits) {
            store(ino, false, false);
            // the closed file's name is in a directory page this node changed: without it the data has no path
            for (Integer dir : List.copyOf(dirtyDirs)) {
                store(dir, false, false);
            }
            return;
        }
        if (!closed.add(ino)) {
            return; // queued already: that write-back takes this close's changes too
        }
        try {
            closer.execute(() -> {
                closed.remove(ino);
                try {
                    store(ino, false, false);
                } catch (RuntimeException e) {
                    LOG.debug("write-back of closed inode {} failed, left to the periodic pass: {}", Ino.format(ino),
                            e.toString());
                }
            });
        } catch (RejectedExecutionException stopped) {
            closed.remove(ino); // kDFS is stopping: its final write-back takes it
        }
    }

    /** Stops the close write-backs (the caller writes everything back after). */
    void shutdown() {
        closer.shutdown();
        try {
            closer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS); // the one under way ends
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * One write-back of {@code ino}, under its lock. An unforced one marks the inode
     * unforced before it takes it out of {@link #dirty}, so a durable pass's list
     * (dirty and unforced, read without the lock) cannot miss it; a durable one
     * decides under the lock whether an unforced write-back left something to force.
     */
    private void store(int ino, boolean always, boolean durable) {
        synchronized (syncing[Math.floorMod(ino, syncing.length)]) {
            if (!durable && dirty.containsKey(ino)) {
                unforced.add(ino);
            }
            dirtyDirs.remove(ino); // before the record goes: a mark after it adds the inode again
            Dirty d = dirty.remove(ino);
            if (d == null && !always && !(durable && unforced.contains(ino))) {
                return;
            }
            Set<Long> dirPages = d == null ? Set.of() : d.dirPages;
            Set<Long> filePages = d == null ? Set.of() : d.filePages;
            try {
                storePages(Ino.dirSet(ino), PageLinker.DIR, dirPages, durable);
                storePages(Ino.fileSet(ino), PageLinker.FILE, filePages, durable);
                // a durable inode write-back forces the pages written back unforced before, too
                store(kddm.wellKnown(Ino.INODE_SET, InodeLinker.ID), Ino.object(ino), durable);
                if (durable) {
                    unforced.remove(ino);
                }
            } catch (RuntimeException e) {
                mark(ino, again -> { // what was not written back (synced pages were taken out)
                    again.dirPages.addAll(dirPages);
                    again.filePages.addAll(filePages);
                });
                throw e;
            }
        }
    }

    private void storePages(long setId, String family, Set<Long> pages, boolean durable) {
        if (pages.isEmpty()) {
            return;
        }
        KddmSet set = kddm.wellKnown(setId, family);
        for (Long page : List.copyOf(pages)) {
            store(set, page, durable);
            pages.remove(page);
        }
    }

    private static void store(KddmSet set, long object, boolean durable) {
        if (durable) {
            set.sync(object);
        } else {
            set.writeBack(object);
        }
    }

    /**
     * Writes back everything this node changed, durably, and forces what earlier
     * write-backs left unforced; returns what failed, one line each.
     */
    List<String> syncAll() {
        return storeAll(true);
    }

    /**
     * Writes back everything this node changed without forcing anything: the
     * periodic pass. Forces in the background would hold the objects, and the
     * disk, against every operation; durability is {@code fsync}'s and
     * {@link #syncAll}'s.
     */
    List<String> writeBackAll() {
        return storeAll(false);
    }

    private List<String> storeAll(boolean durable) {
        List<String> failed = new ArrayList<>();
        java.util.Set<Integer> inodes = new java.util.TreeSet<>(dirty.keySet());
        if (durable) {
            inodes.addAll(unforced);
        }
        for (Integer ino : inodes) {
            try {
                store(ino, false, durable);
            } catch (RuntimeException e) {
                failed.add("inode " + Ino.format(ino) + ": " + e.getMessage());
            }
        }
        if (!failed.isEmpty()) {
            LOG.warn("write-back left {} inodes dirty: {}", failed.size(), failed.get(0));
        }
        return failed;
    }
}
