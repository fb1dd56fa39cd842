/**
 * kDFS, the symmetric distributed file system built on kDDM sets.
 * <p>
 * Not implemented yet: the module exists so that the reactor has the layout of
 * ARCHITECTURE.md. It is not part of the runtime until it holds code.
 */
package io.kddm.kdfs;
