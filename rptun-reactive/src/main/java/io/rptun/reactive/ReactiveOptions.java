package io.rptun.reactive;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link RpmsgReactive} channels behave. Immutable; start from {@link #defaults()} and change fields
 * with the {@code withXxx} methods.
 *
 * <p>The defaults keep one unread channel from stopping the link: past {@link #receiveBound()} a channel
 * copies what arrives to the heap and gives the RX buffer back at once ({@link ReceiveOverflow#COPY}), up to
 * {@link #copyBudget()} bytes for the channel and {@link #deviceCopyBudget()} bytes for all the channels of
 * the layer together; only past those does the channel pause the device's delivery (every endpoint waits,
 * see {@link ReceiveOverflow#PAUSE}). Each copied message counts its payload plus
 * {@value #COPY_OVERHEAD} bytes against both budgets, so even empty messages are bounded.
 *
 * @param receiveBound messages a channel holds zero-copy (RX buffers kept from the remote) while its
 *     receiver has no demand; must be below the device's RX ring size ({@code RpmsgDevice.rxBuffers()}),
 *     checked when a channel opens
 * @param overflow what happens to a message past that bound (default {@link ReceiveOverflow#COPY}: lossless,
 *     other channels keep flowing until the copy budgets are spent)
 * @param copyBudget for {@link ReceiveOverflow#COPY}: heap bytes one channel may hold in copies before it
 *     pauses delivery (default {@value #DEFAULT_COPY_BUDGET}, 256 KiB)
 * @param deviceCopyBudget for {@link ReceiveOverflow#COPY}: heap bytes all the channels of one
 *     {@link RpmsgReactive} together may hold in copies; a channel that would go past it pauses delivery
 *     (default {@value #DEFAULT_DEVICE_COPY_BUDGET}, 4 MiB)
 * @param sendPrefetch how many elements a {@code send} requests from its publisher ahead of TX buffers (it
 *     requests more as they are sent, and never holds more than this many unsent)
 * @param openTimeout how long {@link RpmsgReactive#open(String)} waits for the name service to bind
 */
public record ReactiveOptions(int receiveBound, ReceiveOverflow overflow, long copyBudget, long deviceCopyBudget,
        int sendPrefetch, Duration openTimeout) {

    /**
     * Bytes each copied message counts against the copy budgets on top of its payload: what a copy costs on
     * the heap besides its bytes (the message, its heap segment and that segment's scope, the array header
     * and padding, its queue slot). Measured at about 155 bytes with compressed references (the reliability
     * suite's {@code UnreadChannelMemoryTest}), rounded up, so that a budget bounds the heap the copies take.
     */
    public static final int COPY_OVERHEAD = 160;
    /** {@link #copyBudget()} of {@link #defaults()}: 256 KiB, about 400 full 496-byte messages, 1,500 of 16 bytes. */
    public static final long DEFAULT_COPY_BUDGET = 256L << 10;
    /** {@link #deviceCopyBudget()} of {@link #defaults()}: 4 MiB, sixteen channels at their full budget. */
    public static final long DEFAULT_DEVICE_COPY_BUDGET = 4L << 20;

    /** Checks the values. */
    public ReactiveOptions {
        Objects.requireNonNull(overflow, "overflow");
        Objects.requireNonNull(openTimeout, "openTimeout");
        if (receiveBound < 1) {
            throw new IllegalArgumentException("receiveBound=" + receiveBound);
        }
        if (copyBudget < 0) {
            throw new IllegalArgumentException("copyBudget=" + copyBudget);
        }
        if (deviceCopyBudget < 0) {
            throw new IllegalArgumentException("deviceCopyBudget=" + deviceCopyBudget);
        }
        if (sendPrefetch < 1) {
            throw new IllegalArgumentException("sendPrefetch=" + sendPrefetch);
        }
        if (openTimeout.isNegative()) {
            throw new IllegalArgumentException("openTimeout=" + openTimeout);
        }
    }

    /** Bound 16, COPY with budgets of 256 KiB per channel and 4 MiB per device, prefetch 16, open timeout 10 s. */
    public static ReactiveOptions defaults() {
        return new ReactiveOptions(16, ReceiveOverflow.COPY, DEFAULT_COPY_BUDGET, DEFAULT_DEVICE_COPY_BUDGET, 16,
                Duration.ofSeconds(10));
    }

    /**
     * {@link #defaults()} fitted to {@code device}: the bound is at most half its RX buffers, so a device
     * with small rings (NuttX's simulator has 8 buffers a side) gets a bound of 4 instead of a refusal.
     */
    public static ReactiveOptions defaultsFor(io.rptun.core.rpmsg.RpmsgDevice device) {
        ReactiveOptions d = defaults();
        int rx = device.rxBuffers();
        return rx <= 0 || d.receiveBound() < rx / 2 + 1 ? d : d.withReceiveBound(Math.max(1, rx / 2));
    }

    public ReactiveOptions withReceiveBound(int value) {
        return new ReactiveOptions(value, overflow, copyBudget, deviceCopyBudget, sendPrefetch, openTimeout);
    }

    public ReactiveOptions withOverflow(ReceiveOverflow value) {
        return new ReactiveOptions(receiveBound, value, copyBudget, deviceCopyBudget, sendPrefetch, openTimeout);
    }

    /** Heap bytes one channel may hold in copies (COPY) before it pauses delivery. */
    public ReactiveOptions withCopyBudget(long bytes) {
        return new ReactiveOptions(receiveBound, overflow, bytes, deviceCopyBudget, sendPrefetch, openTimeout);
    }

    /** Heap bytes all the channels of one layer may hold in copies (COPY) together. */
    public ReactiveOptions withDeviceCopyBudget(long bytes) {
        return new ReactiveOptions(receiveBound, overflow, copyBudget, bytes, sendPrefetch, openTimeout);
    }

    public ReactiveOptions withSendPrefetch(int value) {
        return new ReactiveOptions(receiveBound, overflow, copyBudget, deviceCopyBudget, value, openTimeout);
    }

    public ReactiveOptions withOpenTimeout(Duration value) {
        return new ReactiveOptions(receiveBound, overflow, copyBudget, deviceCopyBudget, sendPrefetch, value);
    }
}
