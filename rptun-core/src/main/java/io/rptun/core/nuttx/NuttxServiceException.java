package io.rptun.core.nuttx;

import io.rptun.core.RptunException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A NuttX service operation that could not be done, or a message from the peer that was dropped (the
 * services count those per {@link Reason} in a {@link ServiceDrops} and never throw them on the serving
 * thread).
 */
public final class NuttxServiceException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Reason {
        /** Inbound: shorter than the service's fixed header. Dropped. */
        SHORT_MESSAGE,
        /** Inbound: a length or count field disagrees with the message's real length. */
        BAD_LENGTH,
        /** Inbound: a command this side does not know. Dropped (ping: answered as NuttX does, see there). */
        UNKNOWN_COMMAND,
        /** Inbound: a response nobody waits for (unknown or late cookie, or nothing in flight). Dropped. */
        UNEXPECTED_RESPONSE,
        /** Inbound: a ping response whose bytes differ from the request's, or a checked ping whose fill is wrong. */
        BAD_DATA,
        /** Outbound: the answer could not be sent (no TX buffer in time, the peer went away). */
        SEND_FAILED,
        /** No answer came within the deadline. */
        NO_ANSWER,
        /** The service's endpoint is not bound to the peer's yet. */
        NOT_BOUND,
        /** The service was closed, or its device stopped. */
        CLOSED,
        /** The waiting thread was interrupted (its interrupt flag is set again). */
        INTERRUPTED
    }

    private final Reason reason;

    public NuttxServiceException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public NuttxServiceException(Reason reason, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    @Override
    public Reason reason() {
        return reason;
    }
}
