package io.kddm.impl.core;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import io.kddm.api.set.KddmStats;

/** Counters and latency histograms of one node's kDDM operations. */
public final class Stats {
    public final LongAdder gets = new LongAdder();
    public final LongAdder grabs = new LongAdder();
    public final LongAdder localHits = new LongAdder();
    public final LongAdder remoteFetches = new LongAdder();
    public final LongAdder firstTouches = new LongAdder();
    public final LongAdder invalidationsSent = new LongAdder();
    public final LongAdder invalidationsReceived = new LongAdder();
    public final LongAdder queueWaits = new LongAdder();
    public final LongAdder timeouts = new LongAdder();
    public final LongAdder failures = new LongAdder();
    /** Protocol paths, counted so that tests can show they were taken. */
    public final LongAdder acksBeforeObject = new LongAdder();
    public final LongAdder deferredInvalidations = new LongAdder();
    public final LongAdder ownerUpgrades = new LongAdder();
    public final LongAdder handoffs = new LongAdder();
    /** Requests a home refused because it had not opened the set (yet), and that were asked again. */
    public final LongAdder refusals = new LongAdder();
    /** Messages dropped because their sender was not in the installed view (or was an older incarnation). */
    public final LongAdder outsideView = new LongAdder();
    /** Objects flushed because the node was over its memory budget. */
    public final LongAdder budgetFlushes = new LongAdder();
    /** Operations that waited for a family or IO linker being updated, and got it. */
    public final LongAdder linkerWaits = new LongAdder();
    /** Linker calls skipped while it was being updated: notifications, and exports/imports of plain bytes. */
    public final LongAdder linkerSkips = new LongAdder();
    /** Backups sent by this node as owner (one per target acknowledged), and kept here for other owners. */
    public final LongAdder backupsSent = new LongAdder();
    public final LongAdder backupsKept = new LongAdder();
    /** Objects whose dead owner this home replaced by the newest surviving copy, and objects found lost. */
    public final LongAdder failovers = new LongAdder();
    public final LongAdder objectsLost = new LongAdder();
    /** Objects owned here backed up again because they had fewer backups than their family asks. */
    public final LongAdder reReplicated = new LongAdder();
    /**
     * Collection of old backups (R23): rounds this node started as owner, and
     * backups dropped here because an owner's newer version was kept on all its targets.
     */
    public final LongAdder backupCollections = new LongAdder();
    public final LongAdder backupsCollected = new LongAdder();
    /** Ranges of a home whose records this node rebuilt from claims, acting for it. */
    public final LongAdder homeRebuilds = new LongAdder();
    /** Stores a store node missed (recorded in the linker's heal index), and misses healed since. */
    public final LongAdder storesMissed = new LongAdder();
    public final LongAdder storesHealed = new LongAdder();
    /** STOREs and heals not written because this node stored a newer version of the object (S13). */
    public final LongAdder storesKeptNewer = new LongAdder();
    public final Latency getLatency = new Latency();
    public final Latency grabLatency = new Latency();

    /** A log-scale histogram: 8 buckets per power of two, from 64 ns to about 70 s. */
    public static final class Latency {
        private static final int SUB = KddmStats.Latency.SUB;
        private static final int MIN_SHIFT = KddmStats.Latency.MIN_SHIFT;
        private final AtomicLongArray buckets = new AtomicLongArray(KddmStats.Latency.BUCKETS);

        void record(long nanos) {
            buckets.incrementAndGet(index(Math.max(nanos, 1)));
        }

        private static int index(long v) {
            int shift = 63 - Long.numberOfLeadingZeros(v);
            if (shift < MIN_SHIFT) {
                return 0;
            }
            int sub = (int) ((v >>> (shift - 3)) & (SUB - 1));
            return Math.min((shift - MIN_SHIFT) * SUB + sub, 64 * SUB - 1);
        }

        private static long upper(int index) {
            return KddmStats.Latency.upperBound(index);
        }

        /** The counts of every bucket now, in the layout of {@link io.kddm.api.set.KddmStats.Latency}. */
        public long[] snapshot() {
            long[] out = new long[buckets.length()];
            for (int i = 0; i < out.length; i++) {
                out[i] = buckets.get(i);
            }
            return out;
        }

        public long count() {
            long n = 0;
            for (int i = 0; i < buckets.length(); i++) {
                n += buckets.get(i);
            }
            return n;
        }

        /** The upper bound of the bucket holding the given percentile, in nanoseconds (0 if empty). */
        public long percentile(double p) {
            long total = count();
            if (total == 0) {
                return 0;
            }
            long rank = (long) Math.ceil(total * p / 100.0);
            long seen = 0;
            for (int i = 0; i < buckets.length(); i++) {
                seen += buckets.get(i);
                if (seen >= rank) {
                    return upper(i);
                }
            }
            return upper(buckets.length() - 1);
        }
    }
}
