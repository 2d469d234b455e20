package io.rptun.core.socket;

import static io.rptun.core.socket.SocketMessageLayout.CMD_DATA;
import static io.rptun.core.socket.SocketMessageLayout.CMD_SHUTDOWN;
import static io.rptun.core.socket.SocketMessageLayout.CMD_SYNC;
import static io.rptun.core.socket.SocketMessageLayout.DATAGRAM_PREFIX_BYTES;
import static io.rptun.core.socket.SocketMessageLayout.DATA_HEADER_BYTES;
import static io.rptun.core.socket.SocketMessageLayout.SHUTDOWN_BYTES;
import static io.rptun.core.socket.SocketMessageLayout.SHUT_RD;
import static io.rptun.core.socket.SocketMessageLayout.SHUT_WR;
import static io.rptun.core.socket.SocketMessageLayout.SYNC_BYTES;

import io.rptun.core.socket.SocketException.Reason;
import java.lang.foreign.MemorySegment;
import org.jspecify.annotations.Nullable;

/**
 * The state of one connection: the receive window, the positions of both directions (NuttX's {@code
 * sendpos}, {@code ackpos}, {@code recvpos}, {@code lastpos}) and the ends, and the checks that take an
 * inbound message into it. Not thread-safe: every access is under {@link RpmsgSocket}'s lock. All positions
 * are u32 counters held in ints; differences are taken modulo 2^32, which is unambiguous since neither
 * window exceeds 2^30.
 */
final class SocketState {
    /** What one inbound message did. {@code bad} says what was wrong, without naming the socket. */
    record Outcome(@Nullable SocketException bad, boolean arrived, boolean credited, boolean ended,
            boolean discarded) {
        static final Outcome NOTHING = new Outcome(null, false, false, false, false);

        boolean changed() {
            return arrived || credited || ended || discarded;
        }

        static Outcome bad(Reason reason, String what) {
            return new Outcome(new SocketException(reason, what), false, false, false, false);
        }
    }

    final ReceiveWindow window;
    /** The peer's window from its SYNC; 0 until then. */
    int peerWindow;
    @Nullable SocketCredentials peerCredentials;
    /** Bytes (with datagram prefixes) we have sent: {@code sendpos}. */
    int sendPos;
    /** The peer's latest position, what it acknowledged of ours: {@code ackpos}. */
    int ackPos;
    /** Our read position when we last acknowledged (alone or on a DATA): {@code lastpos}. */
    int lastAck;
    boolean syncSent;
    boolean peerShutOutput;
    boolean peerShutInput;
    boolean outputShut;
    boolean inputShut;
    /** The peer's endpoint went away (NS destroy, the device stopped). */
    boolean unbound;
    boolean closed;
    @Nullable SocketException failure;

    SocketState(int receiveBuffer) {
        this.window = new ReceiveWindow(receiveBuffer);
    }

    /** What we may send now: the peer's window less what it has not acknowledged; 0 before its SYNC. */
    int credit() {
        return peerWindow == 0 ? 0 : Math.max(0, peerWindow - (sendPos - ackPos));
    }

    /** True when no more data will arrive. */
    boolean inputEnded() {
        return peerShutOutput || unbound || inputShut;
    }

    /** True when more than half the window was read since we last acknowledged (NuttX's wake-up rule). */
    boolean ackDue() {
        return window.consumed() - lastAck > window.capacity() / 2;
    }

    /** Takes a message of {@code len} bytes in (the serving thread, under the lock). */
    Outcome apply(MemorySegment msg, int len, SocketOptions options) {
        if (len < 4) {
            return Outcome.bad(Reason.MALFORMED, "a message of " + len + " bytes (no command)");
        }
        int cmd = SocketMessageLayout.cmd(msg);
        return switch (cmd) {
            case CMD_SYNC -> sync(msg, len, options);
            case CMD_DATA -> data(msg, len, options.type());
            case CMD_SHUTDOWN -> shutdown(msg, len);
            default -> Outcome.bad(Reason.UNKNOWN_COMMAND, "command " + Integer.toUnsignedString(cmd));
        };
    }

    private Outcome sync(MemorySegment msg, int len, SocketOptions options) {
        if (len != SYNC_BYTES) {
            return Outcome.bad(Reason.MALFORMED, "a SYNC of " + len + " bytes (must be " + SYNC_BYTES + ")");
        }
        int size = SocketMessageLayout.syncSize(msg);
        if (size == 0 || Integer.compareUnsigned(size, options.maxPeerWindow()) > 0) {
            return Outcome.bad(Reason.BAD_WINDOW, "a SYNC announcing a window of " + Integer.toUnsignedString(size)
                    + " bytes (1 to " + options.maxPeerWindow() + " believed)");
        }
        // A later SYNC may change the window (NuttX takes it too); credit() never goes below 0 for it.
        peerWindow = size;
        peerCredentials = new SocketCredentials(SocketMessageLayout.syncPid(msg), SocketMessageLayout.syncUid(msg),
                SocketMessageLayout.syncGid(msg));
        return new Outcome(null, false, true, false, false);
    }

    private Outcome data(MemorySegment msg, int len, SocketType type) {
        if (len < DATA_HEADER_BYTES) {
            return Outcome.bad(Reason.MALFORMED, "a DATA of " + len + " bytes (the header alone is "
                    + DATA_HEADER_BYTES + ")");
        }
        int pos = SocketMessageLayout.dataPos(msg);
        long dataLen = Integer.toUnsignedLong(SocketMessageLayout.dataLen(msg));
        int body = len - DATA_HEADER_BYTES;
        int ack = takeAck(pos);
        if (ack == ACK_BAD) {
            return Outcome.bad(Reason.ACK_BEYOND_SENT, "an acknowledgement of position "
                    + Integer.toUnsignedString(pos) + " with " + Integer.toUnsignedString(sendPos) + " sent and "
                    + Integer.toUnsignedString(ackPos) + " acknowledged");
        }
        boolean credited = ack == ACK_MOVED;
        if (body == 0) {
            if (dataLen != 0) {
                return Outcome.bad(Reason.MALFORMED, "a DATA saying len " + dataLen + " with no bytes");
            }
            return new Outcome(null, false, credited, false, false);
        }
        if (type == SocketType.STREAM && body != dataLen) {
            return Outcome.bad(Reason.MALFORMED, "a stream DATA saying len " + dataLen + " carrying " + body
                    + " bytes");
        }
        if (type == SocketType.DATAGRAM && (body != dataLen + DATAGRAM_PREFIX_BYTES
                || Integer.toUnsignedLong(SocketMessageLayout.datagramPrefix(msg)) != dataLen)) {
            return Outcome.bad(Reason.MALFORMED, "a datagram DATA saying len " + dataLen + " carrying " + body
                    + " bytes (must be len + 4, with the prefix equal to len)");
        }
        if (peerShutOutput) {
            return Outcome.bad(Reason.DATA_AFTER_SHUTDOWN, body + " bytes after the peer's SHUT_WR");
        }
        // Against what we last acknowledged, not what was read since: the peer's credit is only that.
        int granted = window.capacity() - (window.consumed() + window.available() - lastAck);
        if (body > granted) {
            return Outcome.bad(Reason.CREDIT_EXCEEDED, body + " bytes with " + granted + " of our "
                    + window.capacity() + "-byte window granted");
        }
        window.write(msg, DATA_HEADER_BYTES, body);
        if (inputShut) {
            window.discard(); // counted as read, so that the acknowledgements go on
            return new Outcome(null, false, credited, false, true);
        }
        return new Outcome(null, true, credited, false, false);
    }

    private static final int ACK_SAME = 0;
    private static final int ACK_MOVED = 1;
    private static final int ACK_BAD = -1;

    /**
     * Takes the peer's position {@code pos}. Forward by at most what we sent moves it on; back by at most
     * the peer's window is an older acknowledgement that crossed a newer one (NuttX can send them so, from
     * two threads) and is ignored; anything else is a protocol error.
     */
    private int takeAck(int pos) {
        int advance = pos - ackPos;
        int outstanding = sendPos - ackPos;
        if (advance >= 0 && advance <= outstanding) {
            ackPos = pos;
            return advance > 0 ? ACK_MOVED : ACK_SAME;
        }
        return advance < 0 && -advance <= peerWindow ? ACK_SAME : ACK_BAD;
    }

    private Outcome shutdown(MemorySegment msg, int len) {
        if (len != SHUTDOWN_BYTES) {
            return Outcome.bad(Reason.MALFORMED, "a SHUTDOWN of " + len + " bytes (must be " + SHUTDOWN_BYTES + ")");
        }
        int how = SocketMessageLayout.shutdownHow(msg);
        if (how == 0 || (how & ~(SHUT_RD | SHUT_WR)) != 0) {
            return Outcome.bad(Reason.MALFORMED, "a SHUTDOWN with how=" + Integer.toUnsignedString(how));
        }
        if ((how & SHUT_WR) != 0) {
            peerShutOutput = true;
        }
        if ((how & SHUT_RD) != 0) {
            peerShutInput = true;
        }
        return new Outcome(null, false, false, true, false);
    }
}
