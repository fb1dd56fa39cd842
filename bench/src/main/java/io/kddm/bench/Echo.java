package io.kddm.bench;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.kddm.api.transport.MessageTypes;
import io.kddm.transport.mina.MinaTransport;

/** The echo that transport round trips are measured with: a node replies with the request's own payload. */
final class Echo {
    private static final int TYPE = MessageTypes.SERVICES_FIRST;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private Echo() {
    }

    /** Makes {@code node} answer echo requests. */
    static void serve(MinaTransport node) {
        node.addHandler(TYPE, m -> m.reply(m.payload()));
    }

    /** One echo request from {@code client} to node {@code to}; completes with the reply. */
    static CompletableFuture<byte[]> request(MinaTransport client, int to, byte[] payload) {
        return client.request(to, TYPE, payload, TIMEOUT);
    }

    /** One round trip, the caller blocking on the reply (as a kDDM get's caller does). */
    static void call(MinaTransport client, int to, byte[] payload) throws Exception {
        request(client, to, payload).get();
    }
}
