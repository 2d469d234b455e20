package io.rptun.reactive;

import io.rptun.core.RptunException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A reactive channel operation that failed for a reason of this layer, with the {@link Reason}. Failures of
 * the device itself (the remote was lost, the device closed, a ring broke) arrive as the core's
 * {@link io.rptun.core.rpmsg.RpmsgException} with its own reason (PEER_LOST, DEVICE_CLOSED, DEVICE_BROKEN).
 */
public final class RpmsgReactiveException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Reason {
        /** {@code open} timed out: the name service did not bind the endpoint in time (nobody serves the name). */
        OPEN_TIMEOUT,
        /** {@code receive()} was subscribed while another subscriber still receives (one at a time). */
        ALREADY_RECEIVING,
        /** The receiver fell behind past the bound under {@link ReceiveOverflow#ERROR}. */
        RECEIVE_OVERFLOW,
        /** The channel was closed (locally, or the remote destroyed its endpoint): nothing can be sent. */
        CHANNEL_CLOSED,
        /** A zero-copy writer returned a length below 0 or above the TX buffer's capacity. */
        BAD_WRITE_LENGTH
    }

    private final Reason reason;

    public RpmsgReactiveException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public RpmsgReactiveException(Reason reason, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    @Override
    public Reason reason() {
        return reason;
    }
}
