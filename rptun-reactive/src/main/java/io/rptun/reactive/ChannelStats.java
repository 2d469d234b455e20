package io.rptun.reactive;

/**
 * A channel's receive-side counters at one moment ({@link RpmsgChannel#stats()}). Counters only grow;
 * gauges ({@code held}, {@code copied}, {@code copiedBytes}, {@code pausing}) say how things are now, so that
 * a metrics binder can poll them.
 *
 * @param held messages the channel holds zero-copy now (each an RX buffer kept from the remote)
 * @param copied messages it holds as heap copies now ({@link ReceiveOverflow#COPY})
 * @param copiedBytes what those copies count against the copy budgets now: payload plus
 *     {@value ReactiveOptions#COPY_OVERHEAD} bytes each
 * @param maxHeld the most it ever held zero-copy at once: never above the bound (COPY may go one above it
 *     once, when other channels spend the device budget at the same moment)
 * @param maxQueued the most messages (held and copied) it ever queued at once
 * @param maxCopiedBytes the most {@code copiedBytes} ever: never above {@link ReactiveOptions#copyBudget()}
 * @param dropped messages dropped ({@link ReceiveOverflow#DROP}, after {@link ReceiveOverflow#ERROR}, or
 *     arriving after a receiver cancelled and before the next one subscribed)
 * @param pauses how many times this channel paused the device's delivery (a counter: each is a pause
 *     episode in which every endpoint of the link waited for this channel's receiver)
 * @param pausing true while it pauses the device's delivery now (a gauge)
 * @param delivered messages passed to receivers' {@code onNext}
 */
public record ChannelStats(int held, int copied, long copiedBytes, int maxHeld, int maxQueued, long maxCopiedBytes,
        long dropped, long pauses, boolean pausing, long delivered) {
}
