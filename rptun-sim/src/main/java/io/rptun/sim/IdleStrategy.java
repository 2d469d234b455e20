package io.rptun.sim;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link FutexDoorbell} waiter passes the time before it sleeps in the kernel: spin, then yield, then
 * park with growing steps, then sleep in the futex.
 *
 * <p>Each stage trades latency for CPU. Spinning answers a ring within nanoseconds but burns a core;
 * yielding lets the ringer run when both share a core; short parks cover gaps of a few hundred microseconds
 * without a syscall on the ringer's side; the futex sleep costs the ringer a {@code FUTEX_WAKE} syscall and
 * the waiter a wake-up of several microseconds, but uses no CPU at all. Only the last stage makes the
 * ringer pay, which is why the earlier stages exist: a busy pair never calls {@code FUTEX_WAKE}.
 */
public final class IdleStrategy {
    private static final IdleStrategy BACKOFF = new IdleStrategy(100, 10, Duration.ofNanos(1_000),
            Duration.ofMillis(1), false);
    private static final IdleStrategy BUSY_SPIN = new IdleStrategy(0, 0, Duration.ZERO, Duration.ZERO, true);

    private final int spins;
    private final int yields;
    private final long firstParkNanos;
    private final long maxParkNanos;
    private final boolean busySpin;

    private IdleStrategy(int spins, int yields, Duration firstPark, Duration maxPark, boolean busySpin) {
        this.spins = spins;
        this.yields = yields;
        this.firstParkNanos = firstPark.toNanos();
        this.maxParkNanos = maxPark.toNanos();
        this.busySpin = busySpin;
    }

    /**
     * The default: 100 spins, 10 yields, then parks of 1 µs doubling up to 1 ms, then the futex.
     *
     * <p>100 {@link Thread#onSpinWait()} calls take a few microseconds: enough for a peer that answers
     * at once on another core (a ping-pong round trip). Ten yields give a peer on the same core its turn
     * (the 2-core CI machine runs both JVMs and more). The parks (1, 2, 4, ... 1024 µs: eleven steps, a
     * couple of milliseconds in all, more since the kernel rounds short sleeps up) absorb the gaps of a
     * bursty exchange without making the ringer pay a syscall. A side idle for longer than that sleeps in the
     * futex and costs nothing until rung.
     */
    public static IdleStrategy backoff() {
        return BACKOFF;
    }

    /**
     * Spins and nothing else: never yields, never parks, never sleeps, so the ringer never calls
     * {@code FUTEX_WAKE}. The lowest latency; burns a whole core for as long as it waits.
     */
    public static IdleStrategy busySpin() {
        return BUSY_SPIN;
    }

    /**
     * Explicit stages: {@code spins} spins, {@code yields} yields, then parks from {@code firstPark} doubling
     * up to {@code maxPark} (no parks when {@code firstPark} is zero), then the futex. {@code of(0, 0, ZERO,
     * ZERO)} goes straight to the futex.
     */
    public static IdleStrategy of(int spins, int yields, Duration firstPark, Duration maxPark) {
        Objects.requireNonNull(firstPark, "firstPark");
        Objects.requireNonNull(maxPark, "maxPark");
        if (spins < 0 || yields < 0 || firstPark.isNegative() || maxPark.compareTo(firstPark) < 0) {
            throw new IllegalArgumentException("spins=" + spins + ", yields=" + yields + ", firstPark=" + firstPark
                    + ", maxPark=" + maxPark);
        }
        return new IdleStrategy(spins, yields, firstPark, maxPark, false);
    }

    public int spins() {
        return spins;
    }

    public int yields() {
        return yields;
    }

    public Duration firstPark() {
        return Duration.ofNanos(firstParkNanos);
    }

    public Duration maxPark() {
        return Duration.ofNanos(maxParkNanos);
    }

    /** True for {@link #busySpin()}. */
    public boolean isBusySpin() {
        return busySpin;
    }

    long firstParkNanos() {
        return firstParkNanos;
    }

    long maxParkNanos() {
        return maxParkNanos;
    }

    @Override
    public String toString() {
        return busySpin ? "IdleStrategy[busySpin]" : "IdleStrategy[spins=" + spins + ", yields=" + yields
                + ", parks " + firstPark() + ".." + maxPark() + ", then futex]";
    }
}
