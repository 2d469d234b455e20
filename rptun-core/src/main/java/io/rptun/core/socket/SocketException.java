package io.rptun.core.socket;

import io.rptun.core.RptunException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A socket operation that could not be done, or a connection that broke, with the {@link Reason}. A
 * protocol error of the peer breaks only the connection it came on: its endpoint is destroyed (the peer
 * sees it unbound) and the device and every other connection go on.
 */
public final class SocketException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Reason {
        /** The peer sent more data than our receive window had room for. */
        CREDIT_EXCEEDED,
        /** The peer acknowledged more bytes than we have sent (or went back further than its window). */
        ACK_BEYOND_SENT,
        /** The peer's SYNC announced a receive window of 0, or one above {@link SocketOptions#maxPeerWindow()}. */
        BAD_WINDOW,
        /**
         * A message whose lengths disagree: shorter than its command's header, a DATA whose {@code len} is not
         * what the message carries, a datagram whose prefix is not {@code len}, a SYNC or SHUTDOWN of the wrong
         * size, unknown SHUTDOWN bits.
         */
        MALFORMED,
        /** A message whose command is not SYNC, DATA or SHUTDOWN. */
        UNKNOWN_COMMAND,
        /** The peer sent data after it said (SHUTDOWN with SHUT_WR) that it would write no more. */
        DATA_AFTER_SHUTDOWN,
        /** A datagram larger than one TX buffer (less the 16 bytes of headers) or than the peer's window. */
        DATAGRAM_TOO_LARGE,
        /** Writing after our own {@code shutdownOutput()}. */
        OUTPUT_SHUT,
        /** Writing after the peer said (SHUTDOWN with SHUT_RD) that it reads no more: NuttX's EPIPE. */
        PEER_SHUT_INPUT,
        /** The peer's endpoint went away (NS destroy), the device stopped, or the listener refused us. */
        RESET,
        /** Nobody answered within the connect timeout. */
        CONNECT_TIMEOUT,
        /** The operation needs a stream socket, or a datagram socket. */
        WRONG_TYPE,
        /** The socket was closed locally. */
        CLOSED,
        /** The waiting thread was interrupted (its interrupt flag is set again). */
        INTERRUPTED,
        /** {@code writeAll} could not write everything within its timeout. */
        TIMED_OUT
    }

    private final Reason reason;

    public SocketException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public SocketException(Reason reason, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    @Override
    public Reason reason() {
        return reason;
    }

    /** True for the reasons that say the peer broke the protocol. */
    public boolean isProtocolError() {
        return switch (reason) {
            case CREDIT_EXCEEDED, ACK_BEYOND_SENT, BAD_WINDOW, MALFORMED, UNKNOWN_COMMAND, DATA_AFTER_SHUTDOWN -> true;
            default -> false;
        };
    }
}
