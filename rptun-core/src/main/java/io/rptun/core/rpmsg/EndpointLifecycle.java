package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgDevice.State;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How endpoints come and go, kept out of {@link RpmsgDevice}: creating one (registered under the device's
 * lock, announced to the remote, told of a binding from an announcement that came first), destroying one
 * (unregistered, an NS destroy for a named one, and no callback of it running once destroy returns), and
 * unbinding every bound one when the device stops. The {@link EndpointRegistry} holds them; the
 * {@link RpmsgNameService} binds them; {@link DeviceHooks} runs their onBound and onUnbind.
 *
 * <p>Threads: any application thread (create, destroy), the thread that stops the device (unbind). Endpoint
 * callbacks run only under the dispatch lock, one at a time: a binding told here takes it, and a destroy
 * takes it once to wait out a callback still running (unless it is that callback's own thread).
 */
final class EndpointLifecycle {
    private final RpmsgDevice device;
    private final DeviceState st;
    private final EndpointRegistry registry;
    private final RpmsgNameService nameService;
    private final DeviceHooks hooks;
    /** The device's lock: the registry is changed under it. */
    private final Object lock;
    private final ReentrantLock dispatchLock;

    EndpointLifecycle(RpmsgDevice device, DeviceState st, EndpointRegistry registry, RpmsgNameService nameService,
            DeviceHooks hooks, Object lock, ReentrantLock dispatchLock) {
        this.device = device;
        this.st = st;
        this.registry = registry;
        this.nameService = nameService;
        this.hooks = hooks;
        this.lock = lock;
        this.dispatchLock = dispatchLock;
    }

    /** {@link RpmsgDevice#createEndpoint(String, int, int, RpmsgListener)}. */
    RpmsgEndpoint create(String name, int src, int dst, RpmsgListener listener) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(listener, "listener");
        try {
            RpmsgNsMessageLayout.nameBytes(name);
        } catch (IllegalArgumentException e) {
            throw new RpmsgException(Reason.BAD_NAME, e.getMessage(), e);
        }
        RpmsgEndpoint ep;
        int remembered;
        synchronized (lock) {
            st.checkAlive();
            ep = registry.register(device, name, src, dst, listener);
            // Read under the lock: once it is released the name service may bind the endpoint itself (and
            // call onBound), which must not be taken for a binding from a remembered announcement.
            remembered = dst == RpmsgAddresses.ANY ? ep.destination() : RpmsgAddresses.ANY;
        }
        int changes = ep.destinationChanges();
        RpmsgLink l = st.link();
        if (st.state() == State.READY && l != null) {
            try {
                nameService.announce(l, ep);
            } catch (RpmsgException e) {
                unregister(ep);
                throw e;
            }
        }
        if (remembered != RpmsgAddresses.ANY) {
            // Bound from an announcement that came first: tell the listener like any other binding, one
            // callback at a time, unless the name service changed the destination meanwhile (it then told
            // the listener itself).
            dispatchLock.lock();
            try {
                if (ep.destinationChanges() == changes) {
                    hooks.fireBound(ep);
                }
            } finally {
                dispatchLock.unlock();
            }
        }
        return ep;
    }

    /** Marks {@code ep} destroyed and frees its address; false if it already was. */
    boolean unregister(RpmsgEndpoint ep) {
        synchronized (lock) {
            return registry.unregister(ep);
        }
    }

    /** {@link RpmsgEndpoint#destroy()}: unregistered, an NS destroy for a named one, no callback running after. */
    void destroy(RpmsgEndpoint ep) {
        if (!unregister(ep)) {
            return;
        }
        RpmsgLink l = st.link();
        if (st.state() == State.READY && l != null && !ep.name().isEmpty() && l.has(RpmsgAddresses.F_NS)) {
            nameService.sendQuietly(l, ep, RpmsgNsMessageLayout.DESTROY);
        }
        awaitNoCallback();
    }

    /** Returns once no callback is running (callbacks run only under the dispatch lock). */
    void awaitNoCallback() {
        if (!dispatchLock.isHeldByCurrentThread()) {
            dispatchLock.lock();
            dispatchLock.unlock();
        }
    }

    /** The device stopped: each of {@code bound} that still had a destination loses it and hears onUnbind. */
    void unbindAll(List<RpmsgEndpoint> bound) {
        dispatchLock.lock();
        try {
            for (RpmsgEndpoint e : bound) {
                if (e.setDestination(RpmsgAddresses.ANY)) {
                    hooks.fireUnbind(e);
                }
            }
        } finally {
            dispatchLock.unlock();
        }
    }
}
