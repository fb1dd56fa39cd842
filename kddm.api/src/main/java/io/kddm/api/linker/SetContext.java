package io.kddm.api.linker;

import java.util.List;

/**
 * The set a linker call is about.
 *
 * @param setId     the set
 * @param family    its family
 * @param localNode the node the call happens on
 * @param nodes     the nodes the set's homes are spread over
 */
public record SetContext(long setId, String family, int localNode, List<Integer> nodes) {
}
