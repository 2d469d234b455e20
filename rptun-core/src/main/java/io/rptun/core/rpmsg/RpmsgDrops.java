package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgException.Reason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a device does with a message it does not deliver, kept out of {@link RpmsgDevice}: counts it by
 * {@link Reason} (for {@link RpmsgStats#dropped()}), logs it, and tells the {@link DropListener}; and the same
 * for a callback that threw, which fails that message only. A dropped message never stops the device.
 * Logs under {@link RpmsgDevice}'s logger, as it did before it moved here.
 *
 * <p>Threads: any (mostly the serving thread; a sending thread for a remote's short TX buffer); the counters
 * are atomic, the listener runs on the thread that dropped.
 */
final class RpmsgDrops {
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgDevice.class);

    private final RpmsgDevice device;
    private final String name;
    private final AtomicLongArray drops = new AtomicLongArray(Reason.values().length);

    RpmsgDrops(RpmsgDevice device) {
        this.device = device;
        this.name = device.options().name();
    }

    void drop(Reason reason, String what, @Nullable Throwable cause) {
        drops.incrementAndGet(reason.ordinal());
        RpmsgException e = new RpmsgException(reason, name + ": dropped: " + what, cause);
        LOG.debug("{}", e.getMessage());
        DropListener listener = device.options().dropListener();
        if (listener != null) {
            try {
                listener.dropped(device, e);
            } catch (RuntimeException ex) {
                LOG.warn("{}: drop listener threw", name, ex);
            }
        }
    }

    /**
     * A callback threw (or a send inside it timed out): counted on the endpoint and as a
     * {@link Reason#CALLBACK_FAILED} drop, logged at WARN with the endpoint's name the first time for that
     * endpoint and at DEBUG after that (a listener that fails on every message must not flood the log),
     * and the serving thread goes on. Only a {@link VirtualMachineError} is rethrown.
     */
    void callbackFailed(@Nullable RpmsgEndpoint ep, String callback, Throwable e) {
        if (e instanceof VirtualMachineError vme) {
            throw vme;
        }
        boolean first = ep == null || ep.countCallbackFailure();
        if (first) {
            LOG.warn("{}: {} of {} failed (logged once per endpoint; counted in callbackFailures()), the device"
                    + " keeps serving", name, callback, ep, e);
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("{}: {} of {} failed again: {}", name, callback, ep, e.toString());
        }
        drop(Reason.CALLBACK_FAILED, callback + " of " + ep + " threw " + e, e);
    }

    /** The drops so far, by reason (reasons never counted left out). */
    Map<Reason, Long> counts() {
        Map<Reason, Long> dropped = new EnumMap<>(Reason.class);
        for (Reason r : Reason.values()) {
            long n = drops.get(r.ordinal());
            if (n != 0) {
                dropped.put(r, n);
            }
        }
        return dropped;
    }
}
