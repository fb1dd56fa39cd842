package io.kddm.web.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;
import io.kddm.api.linker.SetFamily;
import io.kddm.impl.core.KddmService;
import io.kddm.impl.core.SimNetwork;

/**
 * In-process kDDM nodes over the core's simulated network (messages delayed at
 * random), each with the board's family and a cluster model, as the bundle
 * sets them up; and a plain in-memory family ({@value #FAMILY}) for workloads.
 * The models' clock is the test's ({@link #advance}), so rounds are called by the test.
 */
final class WebCluster implements AutoCloseable {
    static final String FAMILY = "test";

    static final IoLinker MEMORY = new IoLinker() {
        @Override
        public String id() {
            return "test-memory";
        }

        @Override
        public byte[] firstTouch(SetContext set, long objectId) {
            return new byte[0];
        }
    };

    static final SetFamily TEST = new SetFamily() {
        @Override
        public String name() {
            return FAMILY;
        }

        @Override
        public String ioLinker() {
            return MEMORY.id();
        }
    };

    final SimNetwork network;
    final List<KddmService> kddm = new ArrayList<>();
    final List<ClusterModel> models = new ArrayList<>();
    final AtomicLong clock = new AtomicLong(1_700_000_000_000L);

    WebCluster(int nodes, long seed) {
        network = new SimNetwork(seed, Duration.ofMillis(1));
        for (int id = 1; id <= nodes; id++) {
            network.node(id);
        }
        BoardFamily board = new BoardFamily();
        for (int id = 1; id <= nodes; id++) {
            SimNetwork.Node n = network.node(id);
            KddmService k = new KddmService(n, n.membership, Duration.ofSeconds(10));
            k.addFamily(TEST);
            k.addIoLinker(MEMORY);
            k.addFamily(board);
            k.addIoLinker(board);
            kddm.add(k);
            Collection<SetFamily> families = List.of(TEST, board);
            models.add(new ClusterModel(k, n.membership, () -> families, clock::get, Duration.ofSeconds(2),
                    Duration.ofSeconds(60)));
        }
    }

    KddmService kddm(int node) {
        return kddm.get(node - 1);
    }

    ClusterModel model(int node) {
        return models.get(node - 1);
    }

    /** A second passes, and each of {@code nodes} runs one round, in that order. */
    void rounds(int... nodes) {
        clock.addAndGet(1_000);
        for (int n : nodes) {
            model(n).round();
        }
    }

    @Override
    public void close() {
        models.forEach(ClusterModel::close);
        network.shutdown();
        kddm.forEach(KddmService::close);
        network.close();
    }
}
