package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.virtio.VringBuffer;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The name service of one device (address 0x35), as OpenAMP's {@code rpmsg_virtio_ns_callback} and NuttX's
 * two-phase extension: binds waiting endpoints to announced services, remembers announcements, calls the
 * bind hook, unbinds on NS destroy, says what each local named endpoint announces, and sends the
 * name-service messages (through the {@link RpmsgSender}'s queued path). Runs on the serving thread (inbound
 * messages) or the thread that creates, destroys or closes (announcements, NS destroys). Logs under
 * {@link RpmsgDevice}'s logger.
 */
final class RpmsgNameService {
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgDevice.class);

    private final RpmsgDevice device;
    private final EndpointRegistry registry;
    private final Object lock;
    private final String name;
    /** Set first thing by {@link RpmsgDevice#close()}: no NS create or ack may follow the destroys it sends. */
    private volatile boolean closing;

    RpmsgNameService(RpmsgDevice device, EndpointRegistry registry, Object lock) {
        this.device = device;
        this.registry = registry;
        this.lock = lock;
        this.name = device.options().name();
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
                device.hooks().fireBound(match);
            }
            // With F_ACK, NuttX always acknowledges, even when our own NS create went out too: a remote that
            // missed that create (its endpoint did not exist yet) binds from the acknowledgement.
            if (!ack && l.has(RpmsgAddresses.F_ACK)) {
                sendQuietly(l, match, RpmsgNsMessageLayout.CREATE_ACK);
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
                device.hooks().fireUnbind(e);
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
            send(l, ep, RpmsgNsMessageLayout.CREATE, device.sender().sendTimeoutNanos());
        } else if (l.has(RpmsgAddresses.F_ACK)) {
            send(l, ep, RpmsgNsMessageLayout.CREATE_ACK, device.sender().sendTimeoutNanos());
        } else if (!ep.destinationGiven()) {
            send(l, ep, RpmsgNsMessageLayout.CREATE, device.sender().sendTimeoutNanos());
        }
    }

    /** Sends a name-service message for {@code ep}, waiting up to {@code timeoutNanos} for a TX buffer. */
    void send(RpmsgLink l, RpmsgEndpoint ep, int flags, long timeoutNanos) {
        RpmsgSender sender = device.sender();
        VringBuffer b = device.txPool().acquireTx(l, timeoutNanos);
        if (b == null) {
            throw new RpmsgException(Reason.NO_TX_BUFFER, name + ": no TX buffer for the name-service message of "
                    + ep);
        }
        if (b.capacity() < RpmsgHeaderLayout.SIZE + RpmsgNsMessageLayout.SIZE) {
            l.tx().release(b);
            throw sender.tooLarge(RpmsgNsMessageLayout.SIZE, b.capacity() - RpmsgHeaderLayout.SIZE);
        }
        RpmsgNsMessageLayout.write(b.segment().asSlice(RpmsgHeaderLayout.SIZE, RpmsgNsMessageLayout.SIZE), ep.name(),
                ep.address(), flags);
        // A create or an ack must not reach the ring after the endpoint's NS destroy (the peer would bind to
        // a dead address): every NS message is queued under the endpoint's monitor, which destroy takes to
        // mark it destroyed (and close to send its destroys after setting 'closing') before the destroy is
        // queued. Only the queueing is inside: the wait for a buffer is not.
        synchronized (ep) {
            if (flags != RpmsgNsMessageLayout.DESTROY && (ep.isDestroyed() || closing)) {
                l.tx().release(b);
                return;
            }
            sender.stageTx(l, b, ep.address(), RpmsgAddresses.NS_ADDR, RpmsgNsMessageLayout.SIZE);
        }
        sender.flushTx(l);
    }

    void sendQuietly(RpmsgLink l, RpmsgEndpoint ep, int flags) {
        try {
            send(l, ep, flags, device.sender().sendTimeoutNanos());
        } catch (RpmsgException e) {
            LOG.warn("{}: name-service message {} for {} not sent: {}", name, flags, ep, e.getMessage());
        }
    }

    /** From {@link RpmsgDevice#close()}, before it sends its NS destroys. */
    void markClosing() {
        closing = true;
    }
}
