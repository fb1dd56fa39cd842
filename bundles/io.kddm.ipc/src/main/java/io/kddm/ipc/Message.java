package io.kddm.ipc;

/**
 * A message of a queue.
 *
 * @param type its type, &gt; 0
 * @param data its bytes
 */
public record Message(long type, byte[] data) {
}
