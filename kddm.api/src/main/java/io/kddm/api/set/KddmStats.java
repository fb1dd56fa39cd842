package io.kddm.api.set;

/**
 * What this node's kDDM has done since it started (what {@code kddm:stats}
 * prints): counters that only grow, and latency percentiles of its gets and grabs.
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
     * Latency percentiles in nanoseconds: upper bounds of log-scale buckets (within
     * 12.5 %), 0 while {@code count} is 0.
     */
    public record Latency(long count, long p50, long p90, long p99, long p999) {
    }
}
