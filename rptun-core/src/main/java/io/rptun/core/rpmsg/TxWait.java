package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.VringException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How a send waits for a TX buffer ({@link TxPool#acquireTx}), kept out of {@link RpmsgDevice}. Two kinds of waiter:
 * <ul>
 *   <li><b>The serving thread</b>, in a callback that sends (the dispatch lock is its own): nobody else
 *       would serve the device while it waits, so between two looks for a buffer it gives the peer's RX
 *       buffers back (their messages copied aside, {@link RpmsgInbound#drainToBacklog}: published and kicked
 *       before every pause), then pauses on the serving loop's doorbell
 *       ({@link Notifications#pauseInCallback}), which also takes the peer's kicks off it. A send that times
 *       out here is reported as the endpoint's callback failure, whether or not the callback catches it.</li>
 *   <li><b>Any other thread</b>: sleeps on a condition that every serving pass signals (the pass that the
 *       peer's kick for returned buffers starts), 10 ms at most between looks.</li>
 * </ul>
 * Both ask the peer for kicks on returned TX buffers while they wait ({@link Notifications#watchTx()}); a
 * non-serving sender only after a first short wait without (see {@link #await}).
 */
final class TxWait {
    private static final long DISPATCHER_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SENDER_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** A non-serving sender's first wait, before it asks the peer to kick for returned buffers. */
    private static final long FIRST_WAIT_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private final RpmsgDevice device;
    private final RpmsgInbound inbound;
    private final Notifications notifications;
    private final ReentrantLock dispatchLock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private final AtomicInteger waiters = new AtomicInteger();

    TxWait(RpmsgDevice device, RpmsgInbound inbound, Notifications notifications, ReentrantLock dispatchLock) {
        this.device = device;
        this.inbound = inbound;
        this.notifications = notifications;
        this.dispatchLock = dispatchLock;
    }

    /**
     * A TX buffer, waiting up to {@code timeoutNanos} for one.
     *
     * @throws RpmsgException NO_TX_BUFFER after the timeout; INTERRUPTED; the device's failure if it stops
     */
    VringBuffer await(TxPool pool, RpmsgLink l, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        boolean serving = dispatchLock.isHeldByCurrentThread();
        // The serving thread asks for the peer's kicks at once: they end its pauses. Another thread first
        // waits one short while without: against a peer that answers (an echo), every serving pass the
        // answers start wakes it anyway, and a peer that kicks once per returned buffer (OpenAMP's C
        // programs do) would otherwise double the kicks, and the wake-ups, of a busy link.
        boolean watching = serving;
        if (watching) {
            notifications.watchTx();
        }
        waiters.incrementAndGet();
        try {
            while (true) {
                if (device.state() != RpmsgDevice.State.READY) {
                    throw device.unusable();
                }
                VringBuffer b = pool.acquireOnce(l);
                if (b != null) {
                    return b;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    RpmsgException timedOut = new RpmsgException(Reason.NO_TX_BUFFER, device.options().name()
                            + ": no TX buffer came free within " + Duration.ofNanos(timeoutNanos) + " (the "
                            + device.peerName() + " has not returned any)");
                    if (serving) {
                        inbound.sendTimedOut(timedOut);
                    }
                    throw timedOut;
                }
                if (serving) {
                    try {
                        if (inbound.drainToBacklog(l)) {
                            continue;
                        }
                    } catch (VringException e) {
                        throw device.broken(e);
                    }
                    notifications.pauseInCallback(Math.min(remaining, DISPATCHER_WAIT_NANOS));
                    continue;
                }
                lock.lock();
                try {
                    if (device.state() == RpmsgDevice.State.READY && l.tx().freeBuffers() == 0 && !l.tx().hasInbound()) {
                        freed.awaitNanos(Math.min(remaining, watching ? SENDER_WAIT_NANOS : FIRST_WAIT_NANOS));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RpmsgException(Reason.INTERRUPTED, device.options().name()
                            + ": interrupted waiting for a TX buffer");
                } finally {
                    lock.unlock();
                }
                if (!watching) {
                    watching = true;
                    notifications.watchTx();
                }
            }
        } finally {
            if (watching) {
                notifications.unwatchTx();
            }
            waiters.decrementAndGet();
        }
    }

    /** Wakes every non-serving waiter to look again (after a serving pass, or when the device stops). */
    void signal() {
        if (waiters.get() > 0) {
            lock.lock();
            try {
                freed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
