package io.rptun.core.rpmsg;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What layers above a device listen to and count, kept out of {@link RpmsgDevice}: the name-service
 * listeners, the endpoints' onBound and onUnbind, the TX-available listeners, and the number of RX buffers
 * the application holds. Cheap when unused: each fire is one emptiness check.
 *
 * <p>Threads: listeners come and go from any thread. Each fire runs on the thread that found the event, never
 * under the device's lock: service changes on the serving thread; onBound and onUnbind under the dispatch
 * lock (the serving thread, a creating thread, or the thread that stops the device); TX-available after a
 * serving pass, a released TX buffer, or the stop; deviceStopped on the stopping thread.
 */
final class DeviceHooks {
    private final RpmsgDevice device;
    /** Changed under the device's lock, so that a listener added hears of exactly the changes after its snapshot. */
    private final List<RpmsgServiceListener> serviceListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> txListeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger heldRx = new AtomicInteger();

    DeviceHooks(RpmsgDevice device) {
        this.device = device;
    }

    /** Under the device's lock. */
    void addServiceListener(RpmsgServiceListener listener) {
        serviceListeners.add(listener);
    }

    /** Under the device's lock. */
    boolean removeServiceListener(RpmsgServiceListener listener) {
        return serviceListeners.remove(listener);
    }

    /** Under the device's lock, at a change: who hears of it. */
    List<RpmsgServiceListener> serviceListeners() {
        return serviceListeners.isEmpty() ? List.of() : List.copyOf(serviceListeners);
    }

    /** Outside the lock, on the serving thread: tells {@code listeners} of a created or destroyed service. */
    void fireServiceChange(List<RpmsgServiceListener> listeners, String service, int address, boolean created) {
        for (RpmsgServiceListener l : listeners) {
            try {
                if (created) {
                    l.serviceCreated(service, address);
                } else {
                    l.serviceDestroyed(service, address);
                }
            } catch (RuntimeException | Error e) {
                device.callbackFailed(null, "service listener", e);
            }
        }
    }

    void fireStopped(List<RpmsgServiceListener> listeners, RpmsgException why) {
        for (RpmsgServiceListener l : listeners) {
            try {
                l.deviceStopped(why);
            } catch (RuntimeException | Error e) {
                device.callbackFailed(null, "service listener", e);
            }
        }
    }

    /** An endpoint's onBound, unless it was destroyed; a throw is its callback failure. */
    void fireBound(RpmsgEndpoint ep) {
        if (ep.isDestroyed()) {
            return;
        }
        try {
            ep.listener().onBound(ep);
        } catch (RuntimeException | Error e) {
            device.callbackFailed(ep, "onBound", e);
        }
    }

    /** An endpoint's onUnbind, unless it was destroyed; a throw is its callback failure. */
    void fireUnbind(RpmsgEndpoint ep) {
        if (ep.isDestroyed()) {
            return;
        }
        try {
            ep.listener().onUnbind(ep);
        } catch (RuntimeException | Error e) {
            device.callbackFailed(ep, "onUnbind", e);
        }
    }

    void addTxListener(Runnable listener) {
        txListeners.add(listener);
    }

    boolean removeTxListener(Runnable listener) {
        return txListeners.remove(listener);
    }

    void fireTxAvailable() {
        if (txListeners.isEmpty()) {
            return;
        }
        for (Runnable r : txListeners) {
            try {
                r.run();
            } catch (RuntimeException | Error e) {
                device.callbackFailed(null, "TX-available listener", e);
            }
        }
    }

    void heldBufferTaken() {
        heldRx.incrementAndGet();
    }

    void heldBufferReleased() {
        heldRx.decrementAndGet();
    }

    int heldRxBuffers() {
        return heldRx.get();
    }
}
