package io.rptun.core.rpmsg;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.LongAdder;

/**
 * NuttX's {@code rpmsg ping} protocol ({@code drivers/rpmsg/rpmsg_ping.c}), so a Java side can answer a
 * NuttX peer's ping and ping it back. Both sides create an endpoint named {@value #NAME}; a message is a
 * packed little-endian header {@code {u32 cmd; u32 len; u64 cookie}} and then data:
 * <ul>
 * <li>{@link #SEND}: answer with the same bytes and cmd {@link #ACK};</li>
 * <li>{@link #SEND_CHECK}: the data must be {@link #CHECK_DATA} bytes; zero them and answer {@link #ACK};</li>
 * <li>{@link #SEND_NOACK}: no answer;</li>
 * <li>{@link #ACK}: the answer; the cookie is the sender's, unchanged.</li>
 * </ul>
 * The peer is untrusted: the header's {@code len} is only reported, the message's real length is what is
 * read and answered, and a message shorter than the header is dropped.
 */
public final class RpmsgPing {
    /** The endpoint name both sides use. */
    public static final String NAME = "rpmsg-ping";
    /** Answer with ACK. */
    public static final int SEND = 1;
    /** Check the data, then answer with ACK. */
    public static final int SEND_CHECK = 2;
    /** No answer. */
    public static final int SEND_NOACK = 3;
    /** The answer. */
    public static final int ACK = 4;
    /** The fill byte a checked ping carries. */
    public static final byte CHECK_DATA = (byte) 0xEE;
    /** {@code cmd}, {@code len}, {@code cookie}. */
    public static final int HEADER_SIZE = 16;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RpmsgPing() {
    }

    /** What a responder saw: pings answered, checked pings whose data was wrong, messages too short. */
    public static final class Counters {
        private final LongAdder answered = new LongAdder();
        private final LongAdder badData = new LongAdder();
        private final LongAdder malformed = new LongAdder();
        private final LongAdder unanswered = new LongAdder();

        public long answered() {
            return answered.sum();
        }

        public long badData() {
            return badData.sum();
        }

        public long malformed() {
            return malformed.sum();
        }

        /** SEND_NOACK pings taken. */
        public long unanswered() {
            return unanswered.sum();
        }
    }

    /**
     * The responder NuttX puts on every device: answers SEND and SEND_CHECK to the sender, from the
     * callback (zero-copy: the answer is written straight into a TX buffer).
     */
    public static RpmsgListener responder(Counters counters) {
        return (ep, msg) -> {
            int len = msg.length();
            if (len < HEADER_SIZE) {
                counters.malformed.increment();
                return;
            }
            MemorySegment in = msg.payload();
            int cmd = in.get(U32, 0);
            if (cmd == SEND_NOACK) {
                counters.unanswered.increment();
                return;
            }
            if (cmd != SEND && cmd != SEND_CHECK) {
                return;
            }
            boolean bad = false;
            if (cmd == SEND_CHECK) {
                for (long i = HEADER_SIZE; i < len; i++) {
                    if (in.get(ValueLayout.JAVA_BYTE, i) != CHECK_DATA) {
                        bad = true;
                        break;
                    }
                }
            }
            RpmsgTxBuffer tx = ep.txBuffer();
            MemorySegment out = tx.payload();
            int n = (int) Math.min(len, out.byteSize());
            MemorySegment.copy(in, 0, out, 0, n);
            out.set(U32, 0, ACK);
            if (cmd == SEND_CHECK && n > HEADER_SIZE) {
                out.asSlice(HEADER_SIZE, n - HEADER_SIZE).fill((byte) 0);
            }
            if (bad) {
                counters.badData.increment();
            }
            counters.answered.increment();
            tx.sendTo(msg.src(), n);
        };
    }

    /** Writes a ping of {@code len} bytes (at least the header) into {@code out}; returns its length. */
    public static int write(MemorySegment out, int cmd, int len, long cookie) {
        int n = (int) Math.min(Math.max(len, HEADER_SIZE), out.byteSize());
        out.set(U32, 0, cmd);
        out.set(U32, 4, n);
        out.set(U64, 8, cookie);
        MemorySegment data = out.asSlice(HEADER_SIZE, n - HEADER_SIZE);
        data.fill(cmd == SEND_CHECK ? CHECK_DATA : 0);
        return n;
    }

    /** The cmd of a ping message (0 if shorter than a header). */
    public static int cmd(RpmsgMessage msg) {
        return msg.length() < HEADER_SIZE ? 0 : msg.payload().get(U32, 0);
    }

    /** The cookie of a ping message (0 if shorter than a header). */
    public static long cookie(RpmsgMessage msg) {
        return msg.length() < HEADER_SIZE ? 0 : msg.payload().get(U64, 8);
    }

    /** True if a checked ping's answer has its data zeroed, as NuttX's responder does. */
    public static boolean dataZeroed(RpmsgMessage msg) {
        MemorySegment p = msg.payload();
        for (long i = HEADER_SIZE; i < msg.length(); i++) {
            if (p.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }
}
