package io.rptun.core.rpmsg;

import io.rptun.core.virtio.Doorbell;
import io.rptun.core.virtio.VringException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Virtio notification suppression for a device driven by a serving loop ({@link RpmsgDevice#awaitWork}),
 * kept out of {@link RpmsgDevice}. Without it every batch the peer publishes rings this side's doorbell,
 * even while this side is wide awake and polling: an atomic increment and a full fence on the peer's
 * side, a cache line moving between cores, and for a sleeping side a futex wake that finds nothing left
 * to do. Linux's virtio_rpmsg and OpenAMP suppress the same way, through the same flags.
 *
 * <ul>
 *   <li><b>RX</b> (the ring the peer sends on): off while the serving thread is awake; switched on (then a
 *       recheck of the ring, Dekker-style against the peer's publish, fence and flag read) only just before
 *       it blocks in the doorbell, and off again once it wakes. Before that, the loop keeps looking at the
 *       rings for 20 us (yielding), so a busy peer's next message is caught without a kick or a wake-up.
 *       A busy-spinning loop never switches it on.</li>
 *   <li><b>TX</b> (the peer handing back buffers this side sent in): off unless somebody waits for a TX
 *       buffer ({@link #watchTx()}: a blocked {@code send}, the reactive layer's waiting senders); the
 *       first watcher switches it on and rechecks, the last one off.</li>
 * </ul>
 * Until a serving loop first calls {@link #await}, the flags stay as the rings start (notify always), so a
 * device served by a loop of the application's own, woken by kicks, behaves as before.
 */
final class Notifications implements Doorbell.Poller {
    /** How long {@link #await} keeps looking at the rings before it blocks in the doorbell. */
    private static final long LOOK_BEFORE_BLOCKING_NANOS = 20_000;
    private final RpmsgDevice device;
    private final AtomicInteger txInterest = new AtomicInteger();
    private final Object txLock = new Object();
    /** Set once a serving loop waits through {@link #await}: from then on the flags are managed. */
    private volatile boolean managed;
    /** Whether the TX ring's notifications are on; under {@link #txLock}. */
    private boolean txOn = true;
    /**
     * The serving loop's doorbell and thread, recorded by {@link #await}: written by the serving thread, read
     * by it in {@link #pauseInCallback}; volatile so that another thread reads a consistent pair or null.
     */
    private volatile @Nullable Doorbell servingBell;
    private volatile @Nullable Thread servingThread;
    /** Times a wait of the serving thread ended because the doorbell was rung; serving thread only, read racily. */
    private volatile long rung;
    /** Serving thread only: the link whose RX notifications this side switched off, or null. */
    private @Nullable RpmsgLink rxQuiet;

    Notifications(RpmsgDevice device) {
        this.device = device;
    }

    /** The serving loop's wait: see {@link RpmsgDevice#awaitWork}. */
    boolean await(Doorbell bell, Duration timeout) {
        if (servingBell != bell || servingThread != Thread.currentThread()) {
            servingThread = Thread.currentThread();
            servingBell = bell;
        }
        RpmsgLink l = device.readyLinkOrNull();
        if (l == null) {
            return counted(bell.await(timeout));
        }
        if (!managed) {
            managed = true;
            applyTx();
        }
        if (rxQuiet != l) {
            if (!switchRx(l, false)) {
                return true; // the ring is broken: the next process() says so
            }
            rxQuiet = l;
        }
        // A short look before the doorbell (with the peer's notifications still off): a peer that is busy
        // sends again within microseconds, and catching that here saves it a kick and this side a
        // wake-up; a peer that kicks once per message (OpenAMP's C programs) otherwise costs one of each per
        // message at any rate below this side's. Yielding, so that on a small machine the peer gets the CPU.
        // Not before a busy-spin doorbell: it polls the rings itself and never blocks, and a yield (a system
        // call) would leave new work unseen for microseconds, after every time this side caught up.
        if (!bell.spinsWithoutBlocking()) {
            long until = System.nanoTime() + LOOK_BEFORE_BLOCKING_NANOS;
            do {
                if (device.hasPendingWork()) {
                    return true;
                }
                Thread.yield();
            } while (System.nanoTime() - until < 0);
        }
        return counted(bell.await(timeout, this));
    }

    /** Counts a wait that ended with the doorbell rung (several rings while awake count once). */
    private boolean counted(boolean wasRung) {
        if (wasRung) {
            rung = rung + 1; // one writer, the serving thread: a plain increment of a volatile is exact
        }
        return wasRung;
    }

    /** Waits of the serving thread that a ring ended (see {@link RpmsgStats#notificationsReceived()}). */
    long rung() {
        return rung;
    }

    /**
     * The pause of a callback that waits for a TX buffer, between two looks at the rings. On the serving
     * loop's own thread it waits on the serving loop's doorbell instead of sleeping blind: that takes the
     * peer's kicks off the doorbell while the callback waits (a peer that writes one byte per kick into a
     * socket, as OpenAMP's Linux programs do with a blocking {@code send}, stops dead when nobody reads
     * them and the socket buffer fills, and then never returns the buffers this side waits for), and it
     * wakes as soon as the peer kicks for the buffers it returned. A kick taken here is not lost: the
     * serving loop looks at every ring again before it next sleeps. Any other thread (or before a serving
     * loop first waited through {@link #await}) parks.
     */
    void pauseInCallback(long nanos) {
        Doorbell b = servingBell;
        if (b != null && servingThread == Thread.currentThread()) {
            counted(b.await(Duration.ofNanos(nanos)));
        } else {
            LockSupport.parkNanos(this, nanos);
        }
    }

    @Override
    public boolean hasWork() {
        return device.hasPendingWork();
    }

    @Override
    public boolean beforeBlocking() {
        RpmsgLink l = rxQuiet;
        if (l != null) {
            rxQuiet = null;
            // Clears the flag and fences: the recheck below then sees whatever the peer published before
            // it could see the flag cleared, and what it publishes after that comes with a ring.
            if (!switchRx(l, true)) {
                return true;
            }
        }
        return device.hasPendingWork();
    }

    @Override
    public void afterBlocking() {
        RpmsgLink l = device.readyLinkOrNull();
        if (l != null && switchRx(l, false)) {
            rxQuiet = l;
        }
    }

    /** False if the RX ring turned out broken: that is for the next serving pass to find and report. */
    private static boolean switchRx(RpmsgLink l, boolean on) {
        try {
            if (on) {
                l.rx().enableNotifications();
            } else {
                l.rx().disableNotifications();
            }
            return true;
        } catch (VringException e) {
            return false;
        }
    }

    /**
     * Somebody waits for a TX buffer: the peer should notify this side when it hands buffers back.
     *
     * @return true if buffers may already be back (the serving thread was woken to tell the waiters)
     */
    boolean watchTx() {
        if (txInterest.getAndIncrement() == 0 && managed) {
            return applyTx();
        }
        return false;
    }

    /** The matching end of {@link #watchTx()}. */
    void unwatchTx() {
        int left = txInterest.decrementAndGet();
        if (left < 0) {
            txInterest.incrementAndGet();
            throw new IllegalStateException("unwatchTx() without watchTx()");
        }
        if (left == 0 && managed) {
            applyTx();
        }
    }

    /** True once a serving loop waited through {@link #await} with the device READY. */
    boolean isManaged() {
        return managed;
    }

    /** Makes the TX flag match the interest; true if switching it on found buffers already back. */
    private boolean applyTx() {
        synchronized (txLock) {
            RpmsgLink l = device.readyLinkOrNull();
            if (l == null) {
                return false;
            }
            boolean want = txInterest.get() > 0;
            if (want == txOn) {
                return false;
            }
            txOn = want;
            try {
                if (!want) {
                    l.tx().disableNotifications();
                    return false;
                }
                if (!l.tx().enableNotifications()) {
                    return false;
                }
            } catch (VringException e) {
                // Broken: whoever uses the ring next gets the typed error; wake the waiters so they do.
                device.wakeServing();
                return true;
            }
            // Buffers came back while the flag was off, so no ring will say so: wake the serving thread,
            // whose pass tells every waiter (a waiter's own look may lose the ring to another thread).
            device.wakeServing();
            return true;
        }
    }
}
