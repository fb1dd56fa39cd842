package io.kddm.kdfs;

import java.util.List;

/**
 * Space of the file system: the sum over the partitions of the nodes that answered.
 *
 * @param totalBytes  size of the native file systems holding the partitions
 * @param freeBytes   free space on them
 * @param inodes      entries in use
 * @param partitions  one line per node with a partition
 * @param unreachable nodes up in the cluster whose partition could not be asked
 */
public record StatFs(long totalBytes, long freeBytes, long inodes, List<Partition> partitions,
        List<Integer> unreachable) {

    /**
     * One node's partition.
     *
     * @param node       the node
     * @param totalBytes size of its native file system
     * @param freeBytes  free space there
     * @param inodes     entries stored there
     */
    public record Partition(int node, long totalBytes, long freeBytes, long inodes) {
    }
}
