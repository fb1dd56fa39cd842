package io.kddm.impl.core;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.kddm.api.linker.HomePolicy;
import io.kddm.api.linker.SetContext;
import io.kddm.api.set.KddmException;
import io.kddm.api.set.SetIds;

/** A set as this node knows it: what it is, the objects held here, and the objects homed here. */
final class SetState {
    final long id;
    final String family;
    /** The nodes homes are spread over, sorted; fixed when the set was made. */
    final List<Integer> nodes;
    final SetContext context;
    final Map<Long, ObjectEntry> objects = new ConcurrentHashMap<>();
    final Map<Long, ManagerEntry> managed = new ConcurrentHashMap<>();
    volatile boolean destroyed;
    /** Homes (nominal) whose objects' records this node is rebuilding from claims: none served meanwhile (R16). */
    final Map<Integer, HomeRebuild.Range> rebuilding = new ConcurrentHashMap<>();
    /**
     * Homes (nominal) whose objects' records this node keeps as their acting home,
     * rebuilt or being rebuilt; a home message for a range it acts for and is not
     * in here starts its rebuild (R21). Changed holding the set itself.
     */
    final java.util.Set<Integer> actingFor = ConcurrentHashMap.newKeySet();
    /**
     * Per home (nominal) this node acts for: the members whose claims, and so whose heal of this node (S5), came
     * since it acts for it, or since they joined; a replicated store of three or more counts only them (S14).
     */
    final Map<Integer, java.util.Set<Integer>> healedBy = new ConcurrentHashMap<>();

    SetState(long id, String family, List<Integer> nodes, int localNode) {
        this.id = id;
        this.family = family;
        this.nodes = List.copyOf(nodes);
        this.context = new SetContext(id, family, localNode, this.nodes);
    }

    ObjectEntry entry(long objectId) {
        return objects.computeIfAbsent(objectId, ObjectEntry::new);
    }

    ManagerEntry managerEntry(long objectId) {
        return managed.computeIfAbsent(objectId, ManagerEntry::new);
    }

    /** The creator of the set, or the first listed node for a well-known set. */
    int creator() {
        int node = SetIds.node(id);
        return node != 0 ? node : nodes.get(0);
    }

    /**
     * The home of an object under a policy; {@code linkerChoice} is used by
     * {@link HomePolicy#LINKER}. Where the policy gives none, homes are spread
     * round robin over {@link #nodes}; but every node opens a well-known set with
     * the nodes it happens to know then, so that would not be the same home on
     * every node: there it is an error.
     */
    int home(HomePolicy policy, long objectId, int linkerChoice) {
        boolean wellKnown = SetIds.wellKnown(id);
        switch (policy) {
            case NODE_BITS -> {
                int node = (int) ((objectId >>> 24) & 0xFF);
                if (node != 0) {
                    return node;
                }
            }
            case FIXED -> {
                return creator();
            }
            case LINKER -> {
                if (wellKnown ? linkerChoice >= 1 && linkerChoice <= 255 : nodes.contains(linkerChoice)) {
                    return linkerChoice;
                }
            }
            default -> {
            }
        }
        if (wellKnown) {
            throw new KddmException("object " + objectId + " of well-known set " + SetIds.format(id)
                    + " has no home of its own: its id must carry the home node in bits 24..31 (NODE_BITS), "
                    + "or its linker must name one (LINKER)");
        }
        return nodes.get((int) (objectId % nodes.size()));
    }
}
