package io.kddm.transport.mina;

import java.net.InetSocketAddress;

import io.kddm.api.transport.PeerStatus;

/** Dialing one peer address: the latest outcome and when to try again. */
final class Dial {
    private static final long FIRST_BACKOFF_NANOS = 100_000_000L;

    final InetSocketAddress address;
    volatile PeerStatus.State state = PeerStatus.State.CONNECTING;
    volatile String detail = "";
    /** The node found at the address, once known. */
    volatile int node;
    volatile boolean inFlight;
    private int failures;
    private long notBefore;

    Dial(InetSocketAddress address) {
        this.address = address;
    }

    synchronized boolean due(long now) {
        return !inFlight && now - notBefore >= 0;
    }

    synchronized void failed(PeerStatus.State state, String detail, long now, long maxBackoffNanos) {
        this.state = state;
        this.detail = detail;
        failures = Math.min(failures + 1, 20);
        notBefore = now + Math.min(maxBackoffNanos, FIRST_BACKOFF_NANOS << (failures - 1));
    }

    synchronized void succeeded(int node) {
        this.node = node;
        state = PeerStatus.State.CONNECTED;
        detail = "";
        failures = 0;
    }

    /** Try again no sooner than {@code delayNanos} from now. */
    synchronized void postpone(long now, long delayNanos) {
        notBefore = now + delayNanos;
    }
}
