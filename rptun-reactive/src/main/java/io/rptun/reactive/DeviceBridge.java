package io.rptun.reactive;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgServiceListener;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything the reactive layer needs from one {@link RpmsgDevice}, in one place: creating endpoints, the
 * name-service listener (device failures reach every channel), and the TX-available listener that wakes
 * senders waiting for a buffer. Another entry point (an {@code Rptun}, a device in another process) needs only
 * a device to build one of these.
 *
 * <p>Senders never wait on a thread: one with nothing to send into registers here ({@link #awaitTx}) and is
 * called back ({@link TxWaiter#txAvailable()}) from the core's TX-available listener, on the serving thread
 * or a releasing thread, or when the device stops. Each registered sender holds one
 * {@link RpmsgDevice#watchTx()} while it waits, so the peer notifies this side when it hands TX buffers back
 * (the core suppresses those notifications while nobody waits). The watch is taken before the sender is
 * registered and ended after it was deregistered, so an end never overtakes its start.
 *
 * <p>It also keeps what the channels of the layer share on the receive side under
 * {@link ReceiveOverflow#COPY}: the device copy budget ({@link ReactiveOptions#deviceCopyBudget()}) and the
 * count of RX buffers they hold zero-copy, at most half the device's (so several unread channels cannot take
 * the whole ring). Channels add on the serving thread and subtract on whichever thread drains them.
 */
final class DeviceBridge implements RpmsgServiceListener {
    /** A sender waiting for a TX buffer. */
    interface TxWaiter {
        /** True while registered (set by {@link #awaitTx}, cleared before the call back). */
        AtomicBoolean waiting();

        /** TX buffers may have come free: look again. Must not block. */
        void txAvailable();
    }

    private final RpmsgDevice device;
    private final Set<RpmsgChannel> channels = ConcurrentHashMap.newKeySet();
    /**
     * Registered senders, oldest first, under its own monitor. An {@code ArrayDeque} rather than a lock-free
     * queue: it grows once and then allocates nothing per wait (a sender short of TX buffers may wait once
     * per message). The lock is held only to add, remove or take one; call backs run outside it.
     */
    private final ArrayDeque<TxWaiter> txWaiters = new ArrayDeque<>();
    /** {@code txWaiters.size()}, written under its monitor, read without it for the O(1) check. */
    private volatile int txWaiterCount;
    private final Runnable txListener = this::wakeTxWaiters;
    private final AtomicBoolean disposed = new AtomicBoolean();
    private final long deviceCopyBudget;
    private final AtomicLong copiedBytes = new AtomicLong();
    private final AtomicInteger held = new AtomicInteger();

    DeviceBridge(RpmsgDevice device, ReactiveOptions options) {
        this.device = device;
        this.deviceCopyBudget = options.deviceCopyBudget();
        device.addServiceListener(this);
        device.addTxAvailableListener(txListener);
    }

    RpmsgDevice device() {
        return device;
    }

    /** A named endpoint for {@code channel}, announced to the remote; registered so device failures reach it. */
    RpmsgEndpoint createEndpoint(RpmsgChannel channel, String name, RpmsgListener listener) {
        channels.add(channel);
        try {
            return device.createEndpoint(name, listener);
        } catch (RuntimeException e) {
            channels.remove(channel);
            throw e;
        }
    }

    // ---------------------------------------------------------------- receive budgets (COPY)

    /** Takes {@code charge} bytes of the device copy budget if they fit, else nothing. */
    boolean tryCharge(long charge) {
        while (true) {
            long used = copiedBytes.get();
            if (used + charge > deviceCopyBudget) {
                return false;
            }
            if (copiedBytes.compareAndSet(used, used + charge)) {
                return true;
            }
        }
    }

    /** A copy that was charged left its channel. */
    void uncharge(long charge) {
        copiedBytes.addAndGet(-charge);
    }

    /** Bytes of the device copy budget left now. */
    long copyRoom() {
        return deviceCopyBudget - copiedBytes.get();
    }

    /** Bytes all the layer's channels hold in copies now (a gauge). */
    long copiedBytes() {
        return copiedBytes.get();
    }

    long deviceCopyBudget() {
        return deviceCopyBudget;
    }

    /** Takes one zero-copy hold if the layer's channels hold fewer than half the device's RX buffers. */
    boolean tryHold() {
        int limit = holdLimit();
        while (true) {
            int h = held.get();
            if (h >= limit) {
                return false;
            }
            if (held.compareAndSet(h, h + 1)) {
                return true;
            }
        }
    }

    /** Counts a hold past the limit (a channel that can neither hold within it nor copy). */
    void forceHold() {
        held.incrementAndGet();
    }

    /** A held message left its channel. */
    void unhold() {
        held.decrementAndGet();
    }

    boolean holdsFull() {
        return held.get() >= holdLimit();
    }

    private int holdLimit() {
        int rx = device.rxBuffers();
        return rx <= 0 ? Integer.MAX_VALUE : Math.max(1, rx / 2);
    }

    void forget(RpmsgChannel channel) {
        channels.remove(channel);
    }

    /**
     * Registers {@code waiter} for the next TX-available call, once. The caller looks for a buffer once more
     * afterwards: one that came back before the peer was asked to notify is found then.
     */
    void awaitTx(TxWaiter waiter) {
        if (waiter.waiting().get()) {
            return;
        }
        device.watchTx();
        if (waiter.waiting().compareAndSet(false, true)) {
            synchronized (txWaiters) {
                txWaiters.addLast(waiter);
                txWaiterCount = txWaiters.size();
            }
        } else {
            device.unwatchTx();
        }
    }

    void forget(TxWaiter waiter) {
        if (waiter.waiting().compareAndSet(true, false)) {
            synchronized (txWaiters) {
                txWaiters.removeFirstOccurrence(waiter);
                txWaiterCount = txWaiters.size();
            }
            device.unwatchTx();
        }
    }

    /**
     * Calls back every sender registered now; one that still finds no buffer registers again (at the end of
     * the line, after the ones registered now: each is called once per wake). An entry whose sender was
     * forgotten meanwhile (its flag already cleared) is skipped.
     */
    void wakeTxWaiters() {
        if (txWaiterCount == 0) {
            return; // the common case, after every serving pass: O(1)
        }
        for (int n = txWaiterCount; n > 0; n--) {
            TxWaiter w;
            synchronized (txWaiters) {
                w = txWaiters.pollFirst();
                txWaiterCount = txWaiters.size();
            }
            if (w == null) {
                return;
            }
            if (w.waiting().compareAndSet(true, false)) {
                try {
                    w.txAvailable();
                } finally {
                    // After the call back: a waiter that registers again keeps the peer's notifications on.
                    device.unwatchTx();
                }
            }
        }
    }

    @Override
    public void serviceCreated(String name, int address) {
        // Announcements have listeners of their own, one per subscriber.
    }

    @Override
    public void serviceDestroyed(String name, int address) {
    }

    /** The device stopped: every channel fails (open, receive, send) with the device's typed error. */
    @Override
    public void deviceStopped(RpmsgException why) {
        for (RpmsgChannel c : List.copyOf(channels)) {
            c.deviceStopped();
        }
        wakeTxWaiters();
    }

    /** Registers an announcements listener; returns the services known now (see the core's snapshot rule). */
    Map<String, Integer> watch(RpmsgServiceListener listener) {
        return device.addServiceListener(listener);
    }

    void unwatch(RpmsgServiceListener listener) {
        device.removeServiceListener(listener);
    }

    /** Unhooks from the device and closes every channel still open. */
    void dispose() {
        if (!disposed.compareAndSet(false, true)) {
            return;
        }
        for (RpmsgChannel c : List.copyOf(channels)) {
            c.dispose();
        }
        device.removeServiceListener(this);
        device.removeTxAvailableListener(txListener);
    }

    boolean isDisposed() {
        return disposed.get();
    }
}
