package io.rptun.core.nuttx;

import java.time.Duration;
import java.util.Objects;

/**
 * What {@link NuttxPing#ping} sends: NuttX's {@code rpmsg ping <times> <len> <ack> <sleep>}.
 *
 * @param times pings to send, one after the other (at least 1)
 * @param length message length in bytes, header included; raised to 17 and cut to the TX buffer's payload;
 *     with {@link NuttxPing#RANDOMLEN} the upper bound (exclusive) of a random length, as NuttX's {@code nrand}
 * @param flags NuttX's {@code <ack>} argument: any of {@link NuttxPing#ACK}, {@link NuttxPing#CHECK},
 *     {@link NuttxPing#RANDOMLEN} (0 to 7)
 * @param sleep the pause after each ping
 * @param answerTimeout how long to wait for each answer (NuttX waits for ever; a stall detector here)
 */
public record PingRequest(int times, int length, int flags, Duration sleep, Duration answerTimeout) {
    /** The answer timeout {@link #of} gives. */
    public static final Duration DEFAULT_ANSWER_TIMEOUT = Duration.ofSeconds(10);

    public PingRequest {
        Objects.requireNonNull(sleep, "sleep");
        Objects.requireNonNull(answerTimeout, "answerTimeout");
        if (times < 1) {
            throw new IllegalArgumentException("times=" + times);
        }
        if (length < 0 || (length == 0 && (flags & NuttxPing.RANDOMLEN) != 0)) {
            throw new IllegalArgumentException("length=" + length);
        }
        if ((flags & ~NuttxPing.FLAGS_MASK) != 0) {
            throw new IllegalArgumentException("flags=" + flags + " (ACK 1, CHECK 2, RANDOMLEN 4)");
        }
        if (sleep.isNegative() || answerTimeout.isNegative()) {
            throw new IllegalArgumentException("sleep=" + sleep + ", answerTimeout=" + answerTimeout);
        }
    }

    /** {@code rpmsg ping <times> <length> <flags> <sleep>} with the default answer timeout. */
    public static PingRequest of(int times, int length, int flags, Duration sleep) {
        return new PingRequest(times, length, flags, sleep, DEFAULT_ANSWER_TIMEOUT);
    }

    /** The same with another answer timeout. */
    public PingRequest withAnswerTimeout(Duration value) {
        return new PingRequest(times, length, flags, sleep, value);
    }
}
