package io.rptun.reactive;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link RpmsgReactive} channels behave. Immutable; start from {@link #defaults()} and change fields
 * with the {@code withXxx} methods.
 *
 * @param receiveBound messages a channel holds zero-copy (RX buffers kept from the remote) while its
 *     receiver has no demand; must be below the device's RX ring size ({@code RpmsgDevice.rxBuffers()}),
 *     checked when a channel opens
 * @param overflow what happens to a message past that bound (default lossless: {@link ReceiveOverflow#PAUSE})
 * @param copyLimit for {@link ReceiveOverflow#COPY}: messages copied to the heap past the bound before
 *     delivery pauses
 * @param sendPrefetch how many elements a {@code send} requests from its publisher ahead of TX buffers (it
 *     requests more as they are sent, and never holds more than this many unsent)
 * @param openTimeout how long {@link RpmsgReactive#open(String)} waits for the name service to bind
 */
public record ReactiveOptions(int receiveBound, ReceiveOverflow overflow, int copyLimit, int sendPrefetch,
        Duration openTimeout) {

    /** Checks the values. */
    public ReactiveOptions {
        Objects.requireNonNull(overflow, "overflow");
        Objects.requireNonNull(openTimeout, "openTimeout");
        if (receiveBound < 1) {
            throw new IllegalArgumentException("receiveBound=" + receiveBound);
        }
        if (copyLimit < 0) {
            throw new IllegalArgumentException("copyLimit=" + copyLimit);
        }
        if (sendPrefetch < 1) {
            throw new IllegalArgumentException("sendPrefetch=" + sendPrefetch);
        }
        if (openTimeout.isNegative()) {
            throw new IllegalArgumentException("openTimeout=" + openTimeout);
        }
    }

    /** Bound 16, PAUSE, copy limit 256, prefetch 16, open timeout 10 s. */
    public static ReactiveOptions defaults() {
        return new ReactiveOptions(16, ReceiveOverflow.PAUSE, 256, 16, Duration.ofSeconds(10));
    }

    public ReactiveOptions withReceiveBound(int value) {
        return new ReactiveOptions(value, overflow, copyLimit, sendPrefetch, openTimeout);
    }

    public ReactiveOptions withOverflow(ReceiveOverflow value) {
        return new ReactiveOptions(receiveBound, value, copyLimit, sendPrefetch, openTimeout);
    }

    public ReactiveOptions withCopyLimit(int value) {
        return new ReactiveOptions(receiveBound, overflow, value, sendPrefetch, openTimeout);
    }

    public ReactiveOptions withSendPrefetch(int value) {
        return new ReactiveOptions(receiveBound, overflow, copyLimit, value, openTimeout);
    }

    public ReactiveOptions withOpenTimeout(Duration value) {
        return new ReactiveOptions(receiveBound, overflow, copyLimit, sendPrefetch, value);
    }
}
