package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgDevice.Role;
import io.rptun.core.rpmsg.RpmsgDevice.State;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.virtio.VringException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a device stops for good, kept out of {@link RpmsgDevice}: {@link #fail} is the one way into BROKEN (a
 * ring the peer corrupted, {@link #broken}), PEER_LOST ({@link RpmsgDevice#peerLost}) or CLOSED
 * ({@link #close}); the first call wins and the others return. It records the failure in {@link DeviceState}
 * under the device's lock, then, outside it, wakes every waiting sender and {@code awaitBound}, unbinds the
 * bound endpoints (their onUnbind, one callback at a time), and tells the service and TX-available
 * listeners. Logs under {@link RpmsgDevice}'s logger.
 *
 * <p>Threads: any; whichever thread finds the failure (the serving thread, a sending thread that found a
 * corrupt ring, the application closing or declaring the peer lost).
 */
final class DeviceShutdown {
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgDevice.class);

    private final RpmsgDevice device;
    private final DeviceState st;
    private final Role role;
    private final String name;
    /** The device's lock: the registry, the service listeners and the host's buffers are changed under it. */
    private final Object lock;
    private final EndpointRegistry registry;
    private final RpmsgNameService nameService;
    private final EndpointLifecycle endpointLifecycle;
    private final DeviceHooks hooks;
    private final TxWait txWait;
    /** The host's carveout buffers, freed on close; null on a remote. */
    private final @Nullable HostBuffers hostBuffers;

    DeviceShutdown(RpmsgDevice device, DeviceState st, Object lock, EndpointRegistry registry,
            RpmsgNameService nameService, EndpointLifecycle endpointLifecycle, DeviceHooks hooks, TxWait txWait,
            @Nullable HostBuffers hostBuffers) {
        this.device = device;
        this.st = st;
        this.role = device.role();
        this.name = device.options().name();
        this.lock = lock;
        this.registry = registry;
        this.nameService = nameService;
        this.endpointLifecycle = endpointLifecycle;
        this.hooks = hooks;
        this.txWait = txWait;
        this.hostBuffers = hostBuffers;
    }

    /** {@link RpmsgDevice#close()}. */
    void close() {
        nameService.markClosing();
        RpmsgLink l = st.link();
        if (st.state() == State.READY && l != null && l.has(RpmsgAddresses.F_NS)) {
            for (RpmsgEndpoint ep : device.endpoints()) {
                if (!ep.name().isEmpty()) {
                    try {
                        nameService.send(l, ep, RpmsgNsMessageLayout.DESTROY, RpmsgSender.TRY);
                    } catch (RpmsgException e) {
                        LOG.debug("{}: no NS destroy for {} on close: {}", name, ep, e.getMessage());
                    }
                }
            }
        }
        fail(State.CLOSED, new RpmsgException(Reason.DEVICE_CLOSED, name + " was closed"));
        for (RpmsgEndpoint ep : device.endpoints()) {
            endpointLifecycle.unregister(ep);
        }
        endpointLifecycle.awaitNoCallback();
        if (role == Role.HOST) {
            synchronized (lock) {
                Objects.requireNonNull(hostBuffers).freeAll();
            }
        }
    }

    /** Breaks the device for {@code e} and returns the exception to throw. */
    RpmsgException broken(VringException e) {
        fail(State.BROKEN, new RpmsgException(Reason.DEVICE_BROKEN, name + ": " + e.getMessage(), e));
        return st.unusable();
    }

    /** Stops the device for good with {@code why}, unless it already stopped (see the class comment). */
    void fail(State newState, RpmsgException why) {
        List<RpmsgEndpoint> bound = new ArrayList<>();
        List<RpmsgEndpoint> all;
        List<RpmsgServiceListener> watchers;
        synchronized (lock) {
            if (!st.stop(newState, why)) {
                return;
            }
            registry.forgetServices();
            watchers = hooks.serviceListeners();
            all = registry.all();
            for (RpmsgEndpoint e : all) {
                if (e.isBound()) {
                    bound.add(e);
                }
            }
        }
        LOG.debug("{}: {}", name, why.getMessage());
        txWait.signal();
        for (RpmsgEndpoint e : all) {
            e.wakeWaiters();
        }
        endpointLifecycle.unbindAll(bound);
        hooks.fireStopped(watchers, why);
        hooks.fireTxAvailable();
    }
}
