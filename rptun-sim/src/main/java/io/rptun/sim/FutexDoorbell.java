package io.rptun.sim;

import io.rptun.core.virtio.Doorbell;
import io.rptun.core.virtio.PeerNotifier;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A doorbell between two processes that map the same {@link SimFile}: each side sleeps on its own
 * doorbell sequence word in the {@link SimHeader} and the peer rings it by incrementing that word, calling
 * {@code FUTEX_WAKE} only when the sleeper said it sleeps.
 *
 * <p>{@link #notify(int)} rings the <em>peer</em> (this is the {@link PeerNotifier} handed to the local
 * device); {@link #ring()} rings <em>this</em> side, for local wake-ups such as
 * {@code resumeDelivery}; {@link #await} is called by this side's one serving thread. The notify id is not
 * carried: a woken side scans all its vrings.
 *
 * <h2>Memory model: no lost wake-up</h2>
 * Two shared words per side, in that side's {@link SimHeader} block: {@code seq} (incremented by ringers)
 * and {@code sleeping} (written by the waiter only). The waiter remembers the last {@code seq} it saw in a
 * local shadow, {@code lastSeen}; a different value means it was rung.
 * <ul>
 * <li>Ringer: increment {@code seq} (an atomic read-modify-write), full fence, read {@code sleeping}; only
 *     if it is 1, {@code FUTEX_WAKE(seq)}.</li>
 * <li>Waiter, before sleeping: write {@code sleeping = 1}, full fence, read {@code seq}; if it differs from
 *     {@code lastSeen} it was rung and does not sleep; otherwise {@code FUTEX_WAIT(seq, lastSeen)}, then
 *     {@code sleeping = 0}.</li>
 * </ul>
 * This is Dekker's pattern: each side writes its own word and then reads the other's, with a full fence in
 * between (store-load ordering, which acquire/release alone does not give). So at least one of them sees
 * the other's write: either the ringer sees {@code sleeping == 1} and wakes the waiter, or the waiter sees
 * the new {@code seq} and does not sleep. The remaining window, a ring landing between the waiter's check
 * and its entry into the kernel, is closed by the futex itself: {@code FUTEX_WAIT} atomically re-checks
 * that {@code seq} still equals {@code lastSeen} and returns {@code EAGAIN} if not, and a wake that the
 * kernel sees after the waiter queued itself wakes it. Reading {@code seq} is a volatile (acquire) load and
 * the increment is a volatile read-modify-write, so everything the ringer wrote to the vrings before ringing
 * is visible to the waiter once it sees the new {@code seq}.
 *
 * <p>The first {@link #await} returns at once if this side's {@code seq} is not 0 (it was rung before
 * this doorbell existed): a spurious wake-up costs a scan of the vrings, a lost one a stall.
 *
 * <p>Before sleeping the waiter spins, yields and parks as its {@link IdleStrategy} says, so a busy pair
 * finds the peer awake and never pays for a {@code FUTEX_WAKE}.
 */
public final class FutexDoorbell implements Doorbell, PeerNotifier {
    /**
     * What a doorbell did so far.
     *
     * @param rings rings sent by this doorbell ({@code notify} to the peer and {@code ring} to itself)
     * @param futexWakes {@code FUTEX_WAKE} calls this doorbell made because the rung side was sleeping
     * @param futexWaits {@code FUTEX_WAIT} calls this side's waiter made
     * @param futexTimeouts of those, how many came back with {@code ETIMEDOUT}
     */
    public record Stats(long rings, long futexWakes, long futexWaits, long futexTimeouts) {
    }

    private final SimHeader header;
    private final SimHeader.Side mySide;
    private final IdleStrategy idle;
    private final MemorySegment mySeq;
    private final LongAdder rings = new LongAdder();
    private final LongAdder futexWakes = new LongAdder();
    private final LongAdder futexWaits = new LongAdder();
    private final LongAdder futexTimeouts = new LongAdder();
    private volatile boolean closed;
    private volatile @Nullable RuntimeException ringFailure;
    /** The last value of my seq the waiter saw: the waiter's local shadow, never read from shared memory. */
    private int lastSeen;
    /** The waiter's: the last wait slept in the futex until its timeout, unrung (the side is idle). */
    private boolean idleStreak;

    private FutexDoorbell(SimHeader header, SimHeader.Side mySide, IdleStrategy idle) {
        this.header = header;
        this.mySide = mySide;
        this.idle = idle;
        this.mySeq = header.seqWord(mySide);
    }

    /**
     * A doorbell for {@code mySide} over {@code header}'s side blocks.
     *
     * @throws SimException FUTEX_UNSUPPORTED unless futexes work here (Linux x86_64 or aarch64)
     */
    public static FutexDoorbell of(SimHeader header, SimHeader.Side mySide, IdleStrategy idle) {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(mySide, "mySide");
        Objects.requireNonNull(idle, "idle");
        Futex.requireSupported();
        return new FutexDoorbell(header, mySide, idle);
    }

    /** The side this doorbell waits for. */
    public SimHeader.Side side() {
        return mySide;
    }

    public IdleStrategy idle() {
        return idle;
    }

    /** Rings the peer, whatever the notify id. Never throws: a failure is kept in {@link #ringFailure()}. */
    @Override
    public void notify(int notifyId) {
        ringSide(mySide.peer());
    }

    /** Rings this side: the waiter wakes, or its next {@link #await} returns at once. Never throws. */
    @Override
    public void ring() {
        ringSide(mySide);
    }

    private void ringSide(SimHeader.Side side) {
        if (closed && side != mySide) {
            return;
        }
        try {
            header.incrementSeq(side);
            // The new seq must be visible before we read the sleeper's flag (Dekker, see the class comment).
            VarHandle.fullFence();
            if (header.isSleeping(side)) {
                futexWakes.increment();
                Futex.wake(header.seqWord(side), Integer.MAX_VALUE);
            }
            rings.increment();
        } catch (RuntimeException e) {
            // A PeerNotifier must not throw; most likely the file was unmapped during shutdown.
            ringFailure = e;
        }
    }

    /**
     * Waits until rung or until {@code timeout} passed, spinning, yielding and parking as the
     * {@link IdleStrategy} says before sleeping in the futex.
     *
     * @return true if rung; false on timeout, after {@link #close()}, or when the thread is interrupted
     *     (the futex sleep itself is not cut short by {@link Thread#interrupt()}, only by the timeout)
     */
    @Override
    public boolean await(Duration timeout) {
        return await(timeout, NO_POLLER);
    }

    /** True with {@link IdleStrategy#busySpin()}: {@link #await(Duration, Doorbell.Poller)} then only spins. */
    @Override
    public boolean spinsWithoutBlocking() {
        return idle.isBusySpin();
    }

    /**
     * Waits as {@link #await(Duration)} does, for a serving loop that keeps the peer's notifications off
     * while it is awake: spinning, yielding and parking look at {@code poller}'s rings as well as at this
     * side's ring word, {@link Doorbell.Poller#beforeBlocking()} runs before the futex sleep (the only stage
     * that needs the peer to ring) and {@link Doorbell.Poller#afterBlocking()} after it. A busy-spin
     * doorbell never blocks, so the peer never needs to ring it.
     *
     * <p>After a futex sleep that ran to its timeout unrung, the next wait goes straight back to the futex:
     * an idle side wakes once per timeout, not once per timeout plus a whole back-off of spins, yields and
     * parks. The first ring ends that.
     *
     * @return true if rung or work is waiting; false on timeout, after {@link #close()}, or when the thread
     *     is interrupted
     */
    @Override
    public boolean await(Duration timeout, Doorbell.Poller poller) {
        if (closed) {
            return false;
        }
        if (rung() || poller.hasWork()) {
            idleStreak = false;
            return !closed;
        }
        long deadline = deadline(timeout);
        if (idle.isBusySpin()) {
            return spinUntil(deadline, poller);
        }
        if (!idleStreak) {
            for (int i = 0; i < idle.spins(); i++) {
                Thread.onSpinWait();
                if (rung() || poller.hasWork()) {
                    return !closed;
                }
            }
            for (int i = 0; i < idle.yields(); i++) {
                Thread.yield();
                if (rung() || poller.hasWork()) {
                    return !closed;
                }
            }
            long park = idle.firstParkNanos();
            while (park > 0) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0 || closed || Thread.currentThread().isInterrupted()) {
                    return false;
                }
                LockSupport.parkNanos(this, Math.min(park, remaining));
                if (rung() || poller.hasWork()) {
                    return !closed;
                }
                if (park >= idle.maxParkNanos()) {
                    break;
                }
                park = Math.min(park * 2, idle.maxParkNanos());
            }
        }
        if (poller.beforeBlocking()) {
            idleStreak = false;
            return !closed;
        }
        boolean rung;
        try {
            rung = sleepUntil(deadline);
        } finally {
            poller.afterBlocking();
        }
        idleStreak = !rung && !closed && !Thread.currentThread().isInterrupted();
        return rung;
    }

    /** What a plain {@link #await(Duration)} polls: nothing but the ring word. */
    private static final Doorbell.Poller NO_POLLER = new Doorbell.Poller() {
        @Override
        public boolean hasWork() {
            return false;
        }

        @Override
        public boolean beforeBlocking() {
            return false;
        }

        @Override
        public void afterBlocking() {
        }
    };

    private boolean spinUntil(long deadline, Doorbell.Poller poller) {
        for (int i = 1; ; i++) {
            Thread.onSpinWait();
            if (rung() || poller.hasWork()) {
                return !closed;
            }
            if ((i & 0xFF) == 0 && (closed || System.nanoTime() - deadline >= 0
                    || Thread.currentThread().isInterrupted())) {
                return false;
            }
        }
    }

    private boolean sleepUntil(long deadline) {
        while (true) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0 || closed || Thread.currentThread().isInterrupted()) {
                return false;
            }
            header.setSleeping(mySide, true);
            try {
                // Our sleeping flag must be visible before we read seq (Dekker, see the class comment).
                VarHandle.fullFence();
                if (rung()) {
                    return !closed;
                }
                futexWaits.increment();
                Futex.WaitResult result = Futex.waitNanos(mySeq, lastSeen, remaining);
                if (result == Futex.WaitResult.TIMED_OUT) {
                    futexTimeouts.increment();
                }
            } finally {
                header.setSleeping(mySide, false);
            }
            if (rung()) {
                return !closed;
            }
        }
    }

    /** Reads my seq (volatile); a value other than the shadow means rung, and becomes the new shadow. */
    private boolean rung() {
        int seq = header.seq(mySide);
        if (seq != lastSeen) {
            lastSeen = seq;
            return true;
        }
        return false;
    }

    private static long deadline(Duration timeout) {
        long now = System.nanoTime();
        long nanos;
        try {
            nanos = Math.max(0, timeout.toNanos());
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        // Saturate: a deadline past Long.MAX_VALUE nanoseconds from now would wrap.
        return nanos > Long.MAX_VALUE / 2 ? now + Long.MAX_VALUE / 2 : now + nanos;
    }

    /** Counters for tests and diagnostics. */
    public Stats stats() {
        return new Stats(rings.sum(), futexWakes.sum(), futexWaits.sum(), futexTimeouts.sum());
    }

    /** The last exception a ring swallowed (rings never throw), or null. */
    public @Nullable RuntimeException ringFailure() {
        return ringFailure;
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Makes every later {@link #await} return false at once and wakes a waiter that sleeps now (by ringing
     * this side), so a serving thread can stop. Frees nothing: the words belong to the {@link SimFile}.
     * Idempotent; later notifies do nothing.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            ringSide(mySide);
        }
    }

    @Override
    public String toString() {
        return "FutexDoorbell[" + mySide + ", " + idle + ", " + stats() + (closed ? ", closed" : "") + "]";
    }
}
