package io.kddm.api.transport;

import org.osgi.annotation.versioning.ProviderType;

/** A message received from another node. */
@ProviderType
public interface Inbound {

    /** The sending node. */
    int sender();

    int type();

    /** The payload; owned by the receiver. */
    byte[] payload();

    /** Whether the sender waits for {@link #reply(byte[])} or {@link #fail(String)}. */
    boolean isRequest();

    /** Answers a request; may be called from any thread, at most once. */
    void reply(byte[] payload);

    /** Fails a request with a reason the requester sees in a {@link RemoteFailureException}. */
    void fail(String reason);
}
