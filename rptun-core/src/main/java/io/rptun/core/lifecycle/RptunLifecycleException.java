package io.rptun.core.lifecycle;

import io.rptun.core.RptunException;

/** A lifecycle operation could not be done; {@link #reason()} says why. */
public final class RptunLifecycleException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Reason {
        /** The operation needs another state (the message names the current one). */
        WRONG_STATE,
        /** The device is not available: the link is not RUNNING. */
        NOT_RUNNING,
        /** Both sides were not up within the ready timeout. */
        READY_TIMEOUT,
        /** The peer did not acknowledge a mailbox command in time. */
        MAILBOX_TIMEOUT,
        /** The table has no command mailbox (an OpenAMP table): the command cannot reach the peer. */
        NO_MAILBOX,
        /** Laying out, attaching or booting failed (the cause says how). */
        START_FAILED,
        /** The peer is gone. */
        PEER_LOST,
        /** Closed. */
        CLOSED,
        /** Interrupted while waiting. */
        INTERRUPTED,
    }

    private final Reason reason;

    public RptunLifecycleException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public RptunLifecycleException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    @Override
    public Reason reason() {
        return reason;
    }
}
