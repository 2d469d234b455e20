package io.rptun.test.nuttx;

import java.time.Duration;

/**
 * How a NuttX model runs. The defaults are NuttX's own: the work item looks every 10 ms (one tick of
 * {@code sim:rpserver} / {@code sim:rpproxy}), a slave retries vdevs whose driver is not ready every second
 * ({@code RPTUN_RETRY_PERIOD_US}), the boot handshake waits in 1 ms polls for as long as {@code bootStall}
 * (NuttX waits for ever; a model gives up and faults, as a stall detector).
 *
 * @param pollPeriod  the work item's period ({@code SIM_RPTUN_WORK_DELAY})
 * @param retryPeriod the slave's wait between attempts to create the vdevs not yet DRIVER_OK
 * @param bootStall   the longest wait for the peer's handshake
 * @param base        the master's "virtual address" of its mapping, written to {@code base}: every pa is
 *                    {@code base + offset}
 * @param entropy     whether the master registers its two virtio-rng drivers (NuttX always does)
 */
public record NuttxModelOptions(Duration pollPeriod, Duration retryPeriod, Duration bootStall, long base,
        boolean entropy) {
    /** A plausible x86-64 mmap address. */
    public static final long DEFAULT_BASE = 0x7f3a_0000_0000L;

    public static NuttxModelOptions defaults() {
        return new NuttxModelOptions(Duration.ofMillis(10), Duration.ofSeconds(1), Duration.ofMinutes(10),
                DEFAULT_BASE, true);
    }

    public NuttxModelOptions withPollPeriod(Duration value) {
        return new NuttxModelOptions(value, retryPeriod, bootStall, base, entropy);
    }

    public NuttxModelOptions withRetryPeriod(Duration value) {
        return new NuttxModelOptions(pollPeriod, value, bootStall, base, entropy);
    }

    public NuttxModelOptions withBootStall(Duration value) {
        return new NuttxModelOptions(pollPeriod, retryPeriod, value, base, entropy);
    }

    public NuttxModelOptions withBase(long value) {
        return new NuttxModelOptions(pollPeriod, retryPeriod, bootStall, value, entropy);
    }

    public NuttxModelOptions withEntropy(boolean value) {
        return new NuttxModelOptions(pollPeriod, retryPeriod, bootStall, base, value);
    }
}
