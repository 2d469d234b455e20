package io.rptun.core.rpmsg;

import io.rptun.core.RptunException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An rpmsg operation that could not be done, with the {@link Reason}. A refused send never consumed a
 * TX buffer: whatever the caller had filled is back in the pool.
 */
public final class RpmsgException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Reason {
        /** The payload is larger than a TX buffer holds after its 16-byte header. Nothing touched a ring. */
        PAYLOAD_TOO_LARGE,
        /** No TX buffer became free within the send timeout. */
        NO_TX_BUFFER,
        /** {@code send} on an endpoint whose destination is still ANY. */
        NOT_BOUND,
        /** The endpoint was destroyed. */
        ENDPOINT_DESTROYED,
        /** The explicit source address is taken (or is the name service's). */
        ADDRESS_IN_USE,
        /** No dynamic address is left. */
        NO_ADDRESS,
        /** An endpoint name longer than 31 UTF-8 bytes, or holding a NUL. */
        BAD_NAME,
        /** The device has not finished its start-up handshake (a remote waits for DRIVER_OK). */
        NOT_READY,
        /** A ring was broken by the peer ({@link #getCause()} is the {@code VringException}). */
        DEVICE_BROKEN,
        /** The remote went away (died, reset, or was declared lost). */
        PEER_LOST,
        /** The device was closed locally. */
        DEVICE_CLOSED,
        /** The vdev is not an rpmsg vdev with two vrings, or its vrings or buffers do not fit the memory. */
        BAD_VDEV,
        /** The host's heap cannot hold the RX buffers. */
        HEAP_EXHAUSTED,
        /** The waiting thread was interrupted (its interrupt flag is set again). */
        INTERRUPTED,
        /**
         * A buffer shorter than the 16-byte header arrived (dropped), or a remote found a host RX buffer
         * smaller than the negotiated size when sending (given back to the host unused).
         */
        SHORT_BUFFER,
        /** Inbound: {@code hdr.len} runs past the end of the buffer. Dropped. */
        LENGTH_BEYOND_BUFFER,
        /** Inbound: no local endpoint has the destination address. Dropped. */
        UNKNOWN_DESTINATION,
        /** Inbound: a name-service message that is not exactly 40 bytes. Dropped. */
        NS_WRONG_SIZE,
        /** Inbound: a name-service message with unknown flags, address ANY, or an ACK while F_ACK is off. Dropped. */
        NS_MALFORMED,
        /** Inbound: a message to the name service while F_NS is off. Dropped. */
        NS_DISABLED,
        /** An endpoint callback threw; the exception is the cause. The device went on. */
        CALLBACK_FAILED
    }

    private final Reason reason;

    public RpmsgException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public RpmsgException(Reason reason, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    @Override
    public Reason reason() {
        return reason;
    }
}
