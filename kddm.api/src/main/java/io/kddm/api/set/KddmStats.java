package io.kddm.api.set;

/**
 * What this node's kDDM has done since it started (what {@code kddm:stats}
 * prints): counters that only grow, and latency histograms of its gets and grabs.
 *
 * @param gets                   gets and tryGets asked here
 * @param grabs                  grabs and tryGrabs asked here
 * @param localHits              of those, served from a copy already here
 * @param remoteFetches          of those, that fetched the object from another node
 * @param invalidationsSent      invalidations this node sent as owner
 * @param invalidationsReceived  invalidations of copies here
 * @param queueWaits             requests that waited behind another holder
 * @param timeouts               operations that gave up after their timeout
 * @param failures               operations that failed otherwise
 * @param bytesHeld              bytes of the copies held here now
 * @param get                    latency of the gets
 * @param grab                   latency of the grabs
 */
public record KddmStats(long gets, long grabs, long localHits, long remoteFetches, long invalidationsSent,
        long invalidationsReceived, long queueWaits, long timeouts, long failures, long bytesHeld, Latency get,
        Latency grab) {

    /**
     * A latency histogram: {@code buckets[i]} operations took at most
     * {@link #upperBound upperBound(i)} nanoseconds (and more than bucket i-1's bound);
     * 8 log-scale buckets per power of two from 64 ns, so a percentile is within 12.5 %.
     * Two snapshots give the percentiles of what happened between them ({@link #since}).
     */
    public record Latency(long[] buckets) {
        /** Buckets per power of two. */
        public static final int SUB = 8;
        /** The first bucket holds everything up to 2^MIN_SHIFT ns. */
        public static final int MIN_SHIFT = 6;
        /** How many buckets a histogram has. */
        public static final int BUCKETS = 64 * SUB;

        public Latency {
            if (buckets.length != BUCKETS) {
                throw new IllegalArgumentException(BUCKETS + " buckets, not " + buckets.length);
            }
            buckets = buckets.clone();
        }

        @Override
        public long[] buckets() {
            return buckets.clone();
        }

        /** The largest latency counted in bucket {@code index}, in nanoseconds. */
        public static long upperBound(int index) {
            int shift = index / SUB + MIN_SHIFT;
            int sub = index % SUB;
            return ((long) (SUB + sub + 1)) << (shift - 3);
        }

        public long count() {
            long n = 0;
            for (long b : buckets) {
                n += b;
            }
            return n;
        }

        /** The upper bound of the bucket holding percentile {@code p} (0..100), in nanoseconds; 0 if empty. */
        public long percentile(double p) {
            long total = count();
            if (total == 0) {
                return 0;
            }
            long rank = Math.max(1, (long) Math.ceil(total * p / 100.0));
            long seen = 0;
            for (int i = 0; i < BUCKETS; i++) {
                seen += buckets[i];
                if (seen >= rank) {
                    return upperBound(i);
                }
            }
            return upperBound(BUCKETS - 1);
        }

        /** What was counted after {@code earlier}, a snapshot of the same histogram. */
        public Latency since(Latency earlier) {
            long[] d = new long[BUCKETS];
            for (int i = 0; i < BUCKETS; i++) {
                d[i] = Math.max(0, buckets[i] - earlier.buckets[i]);
            }
            return new Latency(d);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Latency l && java.util.Arrays.equals(buckets, l.buckets);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(buckets);
        }

        @Override
        public String toString() {
            return "Latency[count=" + count() + ", p50=" + percentile(50) + ", p99=" + percentile(99) + "]";
        }
    }
}
