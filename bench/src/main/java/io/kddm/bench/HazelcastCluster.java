package io.kddm.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * The comparison peer: a Hazelcast community cluster of n members in this JVM,
 * on 127.0.0.1 only (TCP-IP join, multicast and auto-detection off, no phone
 * home, a cluster name of its own). Maps have no backup, as kDDM keeps a single
 * copy of an object's current value ({@link #BACKUPS}).
 */
final class HazelcastCluster implements AutoCloseable {
    /**
     * Backups per map entry. Hazelcast's default of one synchronous backup makes
     * every write wait for a second member; kDDM has no replica (an owner's death
     * loses its objects), so the like-for-like setting is none.
     */
    static final int BACKUPS = 0;

    final List<HazelcastInstance> members = new ArrayList<>();

    HazelcastCluster(int count) throws IOException, InterruptedException {
        this(count, BACKUPS);
    }

    /** @param backups synchronous backups per map entry */
    HazelcastCluster(int count, int backups) throws IOException, InterruptedException {
        String name = "kddm-bench-" + UUID.randomUUID();
        List<String> addresses = new ArrayList<>();
        int[] ports = new int[count];
        for (int i = 0; i < count; i++) {
            try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                ports[i] = probe.getLocalPort();
            }
            addresses.add("127.0.0.1:" + ports[i]);
        }
        for (int i = 0; i < count; i++) {
            Config c = new Config();
            c.setClusterName(name);
            c.addMapConfig(new MapConfig("*").setBackupCount(backups));
            c.setProperty("hazelcast.phone.home.enabled", "false");
            c.setProperty("hazelcast.socket.bind.any", "false");
            c.setProperty("hazelcast.logging.type", "slf4j");
            NetworkConfig n = c.getNetworkConfig();
            n.setPort(ports[i]).setPortAutoIncrement(false);
            n.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
            JoinConfig j = n.getJoin();
            j.getMulticastConfig().setEnabled(false);
            j.getAutoDetectionConfig().setEnabled(false);
            j.getTcpIpConfig().setEnabled(true).setMembers(addresses);
            members.add(Hazelcast.newHazelcastInstance(c));
        }
        for (HazelcastInstance m : members) {
            Figures.await("every Hazelcast member sees " + count + " members, partitions safe",
                    Duration.ofSeconds(30),
                    () -> m.getCluster().getMembers().size() == count && m.getPartitionService().isClusterSafe());
        }
    }

    <K, V> IMap<K, V> map(int member, String name) {
        return members.get(member - 1).getMap(name);
    }

    /** Whether {@code key}'s partition is owned by member {@code member} (1-based). */
    boolean ownedBy(int member, Object key) {
        HazelcastInstance m = members.get(member - 1);
        return m.getPartitionService().getPartition(key).getOwner().equals(m.getCluster().getLocalMember());
    }

    /** The first {@code n} integer keys from {@code from} owned by {@code member}. */
    List<Integer> keysOwnedBy(int member, int from, int n) {
        List<Integer> keys = new ArrayList<>(n);
        for (int k = from; keys.size() < n; k++) {
            if (ownedBy(member, k)) {
                keys.add(k);
            }
        }
        return keys;
    }

    @Override
    public void close() {
        members.forEach(HazelcastInstance::shutdown);
    }
}
