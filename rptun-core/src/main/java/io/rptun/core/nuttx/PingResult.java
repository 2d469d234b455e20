package io.rptun.core.nuttx;

import java.time.Duration;

/**
 * What {@link NuttxPing#ping} measured, as NuttX prints it: times, buffer and last send length, avg, min
 * and max of each ping's time (the round trip with ACK, the send alone without), and the rate.
 *
 * @param times pings sent
 * @param answered answers received (0 without ACK)
 * @param mismatched answers whose length, command, cookie or bytes were not what was sent
 * @param bufferLength the TX buffer's payload capacity (NuttX's {@code buffer_len})
 * @param lastLength the last ping's length (NuttX's {@code send_len})
 * @param bytes every ping's length added up
 * @param min the shortest ping
 * @param avg the mean
 * @param max the longest
 */
public record PingResult(int times, int answered, int mismatched, int bufferLength, int lastLength, long bytes,
        Duration min, Duration avg, Duration max) {
    /** NuttX's rate: {@code send_len * 8} bits per {@code avg}, in Mbit/s. */
    public double rateMbits() {
        long nanos = Math.max(1, avg.toNanos());
        return lastLength * 8.0 * 1e9 / nanos / 1e6;
    }
}
