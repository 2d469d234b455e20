package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgException.Reason;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The name service of one device (address 0x35), as OpenAMP's {@code rpmsg_virtio_ns_callback} and NuttX's
 * two-phase extension: binds waiting endpoints to announced services, remembers announcements, calls the
 * bind hook, unbinds on NS destroy, and says what each local named endpoint announces. Runs on the serving
 * thread (inbound messages) or the creating thread (announcements).
 */
final class RpmsgNameService {
    private final RpmsgDevice device;
    private final EndpointRegistry registry;
    private final Object lock;

    RpmsgNameService(RpmsgDevice device, EndpointRegistry registry, Object lock) {
        this.device = device;
        this.registry = registry;
        this.lock = lock;
    }

    /** An inbound message to 0x35 of {@code len} payload bytes at {@code offset} of {@code data}. */
    void handle(RpmsgLink l, MemorySegment data, long offset, int src, int len) {
        if (!l.has(RpmsgAddresses.F_NS)) {
            device.drop(Reason.NS_DISABLED, "name-service message from " + RpmsgAddresses.format(src)
                    + " while F_NS is off", null);
            return;
        }
        if (len != RpmsgNsMessageLayout.SIZE) {
            device.drop(Reason.NS_WRONG_SIZE, "name-service message of " + len + " bytes from "
                    + RpmsgAddresses.format(src) + " (must be " + RpmsgNsMessageLayout.SIZE + ")", null);
            return;
        }
        MemorySegment msg = data.asSlice(offset, RpmsgNsMessageLayout.SIZE);
        String service = RpmsgNsMessageLayout.name(msg);
        int addr = RpmsgNsMessageLayout.addr(msg);
        int flags = RpmsgNsMessageLayout.flags(msg);
        boolean ackAllowed = l.has(RpmsgAddresses.F_ACK);
        if (addr == RpmsgAddresses.ANY || (flags == RpmsgNsMessageLayout.CREATE_ACK && !ackAllowed)
                || (flags != RpmsgNsMessageLayout.CREATE && flags != RpmsgNsMessageLayout.DESTROY
                        && flags != RpmsgNsMessageLayout.CREATE_ACK)) {
            device.drop(Reason.NS_MALFORMED, "name-service message '" + service + "' addr "
                    + RpmsgAddresses.format(addr) + " flags " + flags + (ackAllowed ? "" : " (F_ACK is off)"), null);
            return;
        }
        if (flags == RpmsgNsMessageLayout.DESTROY) {
            remoteDestroyed(service, addr);
        } else {
            remoteCreated(l, service, addr, flags == RpmsgNsMessageLayout.CREATE_ACK);
        }
    }

    private void remoteCreated(RpmsgLink l, String service, int addr, boolean ack) {
        RpmsgEndpoint match = null;
        boolean alreadyBound;
        List<RpmsgServiceListener> watchers = List.of();
        synchronized (lock) {
            if (registry.rememberService(service, addr)) {
                watchers = device.hooks().serviceListeners();
            }
            alreadyBound = !registry.boundTo(service, addr).isEmpty();
            if (!alreadyBound) {
                match = registry.waitingFor(service);
            }
        }
        device.hooks().fireServiceChange(watchers, service, addr, true);
        if (alreadyBound) {
            return;
        }
        if (match != null) {
            if (match.adopt(addr)) {
                device.fireBound(match);
            }
            // With F_ACK, NuttX always acknowledges, even when our own NS create went out too: a remote that
            // missed that create (its endpoint did not exist yet) binds from the acknowledgement.
            if (!ack && l.has(RpmsgAddresses.F_ACK)) {
                device.sendNsQuietly(l, match, RpmsgNsMessageLayout.CREATE_ACK);
            }
            return;
        }
        BindHook hook = device.options().bindHook();
        if (!ack && hook != null) {
            try {
                hook.bind(device, service, addr);
            } catch (RuntimeException | Error e) {
                device.callbackFailed(null, "bind hook for '" + service + "'", e);
            }
        }
    }

    private void remoteDestroyed(String service, int addr) {
        List<RpmsgEndpoint> unbound;
        List<RpmsgServiceListener> watchers = List.of();
        synchronized (lock) {
            if (registry.forgetService(service, addr)) {
                watchers = device.hooks().serviceListeners();
            }
            unbound = registry.boundTo(service, addr);
        }
        device.hooks().fireServiceChange(watchers, service, addr, false);
        for (RpmsgEndpoint e : unbound) {
            if (e.setDestination(RpmsgAddresses.ANY)) {
                device.fireUnbind(e);
            }
        }
    }

    /**
     * What a named endpoint tells the remote once the device is ready: an unbound one asks for a binding
     * (NS create); a bound one acknowledges with F_ACK (CREATE_ACK), or without it sends NS create too if
     * it was bound from an earlier announcement, so the remote's waiting endpoint binds.
     *
     * @throws RpmsgException when the message cannot be sent
     */
    void announce(RpmsgLink l, RpmsgEndpoint ep) {
        if (ep.name().isEmpty() || !l.has(RpmsgAddresses.F_NS) || ep.isDestroyed()) {
            return;
        }
        if (!ep.isBound()) {
            device.sendNs(l, ep, RpmsgNsMessageLayout.CREATE, device.sendTimeoutNanos());
        } else if (l.has(RpmsgAddresses.F_ACK)) {
            device.sendNs(l, ep, RpmsgNsMessageLayout.CREATE_ACK, device.sendTimeoutNanos());
        } else if (!ep.destinationGiven()) {
            device.sendNs(l, ep, RpmsgNsMessageLayout.CREATE, device.sendTimeoutNanos());
        }
    }
}
