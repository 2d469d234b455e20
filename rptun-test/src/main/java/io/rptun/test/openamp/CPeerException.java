package io.rptun.test.openamp;

/** Why a model of OpenAMP's C programs gave up; {@link #reason()} says which, the message says where. */
public final class CPeerException extends RuntimeException {
    /** What went wrong. */
    public enum Reason {
        /** No kick came within the stall limit while the model waited for one: the pair is stuck. */
        STALLED,
        /** The other side closed its end of the socket. */
        PEER_GONE,
        /** The other side wrote something impossible into a ring. */
        BAD_RING,
        /** An echo came back with other bytes, another length or out of order. */
        WRONG_ECHO,
        /** The C echo remote's blocking send found no TX buffer for 15 s. */
        SEND_TIMED_OUT
    }

    private final Reason reason;

    public CPeerException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
