package io.kddm.api.set;

import java.util.List;

/**
 * What a node knows of a set.
 *
 * @param id       the set id
 * @param family   its family
 * @param ioLinker the IO linker id its family uses
 * @param nodes    the nodes homes are spread over (fixed when the set was made)
 * @param objects  objects with a copy on this node
 * @param bytes    bytes of those copies
 */
public record SetInfo(long id, String family, String ioLinker, List<Integer> nodes, int objects, long bytes) {
}
