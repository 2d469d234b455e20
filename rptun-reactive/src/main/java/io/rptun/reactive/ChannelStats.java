package io.rptun.reactive;

/**
 * A channel's receive-side counters at one moment.
 *
 * @param held messages the channel holds zero-copy now (each an RX buffer kept from the remote)
 * @param copied messages it holds as heap copies now ({@link ReceiveOverflow#COPY})
 * @param maxHeld the most it ever held zero-copy at once: never above the bound
 * @param maxQueued the most messages (held and copied) it ever queued at once
 * @param dropped messages dropped ({@link ReceiveOverflow#DROP}, after {@link ReceiveOverflow#ERROR}, or
 *     arriving after a receiver cancelled and before the next one subscribed)
 * @param pauses how many times delivery was paused ({@link ReceiveOverflow#PAUSE}, or COPY at its limit)
 * @param delivered messages passed to receivers' {@code onNext}
 */
public record ChannelStats(int held, int copied, int maxHeld, int maxQueued, long dropped, long pauses,
        long delivered) {
}
