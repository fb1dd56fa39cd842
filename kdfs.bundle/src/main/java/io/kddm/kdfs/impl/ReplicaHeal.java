package io.kddm.kdfs.impl;

import java.util.ArrayList;
import java.util.List;

import io.kddm.api.set.Kddm;
import io.kddm.api.set.StoreHeal;
import io.kddm.kdfs.Errno;
import io.kddm.kdfs.KdfsException;

/**
 * {@code kdfs:heal}, as Gluster's {@code volume heal}: {@code info} says what
 * the heal index of this node's partition holds (the stores another replica
 * missed, healed by kDDM as it comes back); {@code full} has kDDM compare every
 * object of each partition this node stores, as home or replica, with the
 * home's copy and rewrite the replicas' copies that differ or are missing
 * ({@link Kddm#healStores}): what no heal record says (a disk replaced, an
 * entry deleted or damaged by hand, a record lost) is made whole.
 */
final class ReplicaHeal {
    private ReplicaHeal() {
    }

    /**
     * Runs {@code kdfs:heal ARGS} on this node.
     *
     * @throws KdfsException EINVAL for words other than one {@code info} or {@code full}, or nothing to heal
     *                       here; EIO if unmounted, or a partition could not be healed (naming why)
     */
    static String command(Kddm kddm, Mount mount, String... args) {
        if (args.length > 1) {
            throw new KdfsException(Errno.EINVAL, "kdfs:heal takes one word, info or full, not '"
                    + String.join(" ", args) + "'");
        }
        String what = args.length == 0 ? "info" : args[0];
        return switch (what) {
            case "info" -> mount.heal().map(HealIndex::describe).orElseThrow(() -> new KdfsException(Errno.EINVAL,
                    "node " + mount.node() + " has no partition mounted: its heal index is on its partition"));
            case "full" -> full(kddm, mount);
            default -> throw new KdfsException(Errno.EINVAL, "kdfs:heal takes info or full, not '" + what + "'");
        };
    }

    /** Every partition this node stores (its own first, then those it keeps a replica of), healed in full. */
    static String full(Kddm kddm, Mount mount) {
        int self = mount.node();
        if (!mount.mounted()) {
            throw new KdfsException(Errno.EIO, "kDFS is not mounted on node " + self + " (kdfs:mount): "
                    + "kdfs:heal full compares the partitions it stores");
        }
        Volume volume = mount.volume();
        if (mount.partition().isEmpty()) {
            throw new KdfsException(Errno.EINVAL, "node " + self + " is diskless: it stores no partition, "
                    + "run kdfs:heal full on a partition node");
        }
        if (volume.replicas() == 1) {
            throw new KdfsException(Errno.EINVAL, "the file system keeps 1 replica of each partition: nothing to "
                    + "compare (mkfs.kdfs --replicas 2 or 3 makes them)");
        }
        List<Integer> homes = new ArrayList<>();
        homes.add(self);
        homes.addAll(volume.replicated(self));
        StringBuilder out = new StringBuilder();
        List<String> failed = new ArrayList<>();
        long checked = 0;
        long repaired = 0;
        for (int home : homes) {
            try {
                StoreHeal h = mount.op(() -> kddm.healStores(home));
                checked += h.checked();
                repaired += h.repaired();
                out.append("partition ").append(home).append(" (home node ").append(home).append(", compared on node")
                        .append(h.storeNodes().size() == 1 ? " " : "s ")
                        .append(h.storeNodes().toString().replaceAll("[\\[\\]]", "")).append("): ")
                        .append(h.checked()).append(" objects checked, ").append(h.repaired()).append(" repaired\n");
            } catch (KdfsException e) {
                String why = e.getMessage(); // (without its errno: the whole message gets one)
                failed.add("partition " + home + ": " + why.substring(why.indexOf(": ") + 2));
            }
        }
        if (!failed.isEmpty()) {
            throw new KdfsException(Errno.EIO, "kdfs:heal full could not heal " + String.join("; ", failed)
                    + (out.length() == 0 ? "" : " (healed: " + out.toString().trim().replace('\n', ';') + ")"));
        }
        return out.append("full heal: ").append(checked).append(" objects checked, ").append(repaired)
                .append(" repaired\n").toString();
    }
}
