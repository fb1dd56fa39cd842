package io.kddm.api.set;

/**
 * What a full heal of a home's replicated store did ({@link Kddm#healStores}).
 *
 * @param home       the node whose objects were compared
 * @param storeNodes the store nodes whose copies were compared with the home's, in order
 * @param checked    objects compared, summed over those store nodes
 * @param repaired   objects rewritten on a store node: its copy differed, or was missing
 * @since 1.7
 */
public record StoreHeal(int home, java.util.List<Integer> storeNodes, long checked, long repaired) {
    public StoreHeal {
        storeNodes = java.util.List.copyOf(storeNodes);
    }
}
