package io.kddm.api.transport;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Handles the messages of one type.
 * <p>
 * Called on a transport I/O thread, in arrival order for each sender: it must
 * not block. Work that may wait hands the message to its own executor and
 * replies later through {@link Inbound#reply(byte[])}.
 */
@ConsumerType
@FunctionalInterface
public interface MessageHandler {
    void onMessage(Inbound message);
}
