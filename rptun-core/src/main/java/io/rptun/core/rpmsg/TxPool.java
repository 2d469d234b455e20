package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgDevice.Role;
import io.rptun.core.rpmsg.RpmsgDevice.State;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.VringException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Where a device's TX buffers come from, kept out of {@link RpmsgSender}: the TX port's free pool; on the
 * host, more buffers carved from the heap while the TX ring has descriptors for them (OpenAMP grows its pool
 * the same way, lazily); on a remote, the host's buffers checked against the negotiated size; and, for a
 * send that may wait, {@link TxWait}. The held fast paths of {@link RpmsgSender} take buffers from the ring
 * they hold themselves and come here only to grow the host's pool.
 *
 * <p>Threads: any sending thread, the serving thread included (a send from a callback, the name service).
 * Lock-free but for the host's growth, which takes the device's lock, at most once per TX descriptor in the
 * device's life.
 */
final class TxPool {
    private final RpmsgDevice device;
    private final DeviceState st;
    private final Role role;
    private final TxWait txWait;
    /** The device's lock: the host grows its pool under it. */
    private final Object lock;
    /** The host's carveout buffers (each TX buffer grown is remembered there); null on a remote. */
    private final @Nullable HostBuffers hostBuffers;
    private final AtomicInteger txAllocated = new AtomicInteger();

    TxPool(RpmsgDevice device, DeviceState st, TxWait txWait, Object lock, @Nullable HostBuffers hostBuffers) {
        this.device = device;
        this.st = st;
        this.role = device.role();
        this.txWait = txWait;
        this.lock = lock;
        this.hostBuffers = hostBuffers;
    }

    /** Host: TX buffers carved from the heap so far. */
    int txAllocated() {
        return txAllocated.get();
    }

    /** A TX buffer: one free now, else (unless {@code timeoutNanos} is {@link RpmsgSender#TRY}) waiting for one. */
    @Nullable VringBuffer acquireTx(RpmsgLink l, long timeoutNanos) {
        VringBuffer b = acquireOnce(l);
        if (b != null || timeoutNanos == RpmsgSender.TRY) {
            return b;
        }
        return txWait.await(this, l, timeoutNanos);
    }

    /** A free TX buffer right now (the host grows its pool first), or null. */
    @Nullable VringBuffer acquireOnce(RpmsgLink l) {
        try {
            VringBuffer b = l.tx().acquire();
            if (role == Role.HOST) {
                return b != null ? b : growTx(l);
            }
            // Remote: the host chose these buffers. One smaller than the negotiated size would sit in the free
            // pool for ever (every send too big for it), so it goes straight back to the host, unused.
            // At most num looks: a host that posts nothing else cannot keep this thread here.
            int looks = l.tx().queue().num();
            while (b != null && b.capacity() < l.txBufferSize()) {
                device.drop(Reason.SHORT_BUFFER, "the host posted a " + b.capacity() + "-byte RX buffer; the negotiated"
                        + " size is " + l.txBufferSize(), null);
                b.length(0);
                l.tx().submit(b);
                b = --looks > 0 ? l.tx().acquire() : null;
            }
            return b;
        } catch (VringException e) {
            throw device.broken(e);
        }
    }

    /** Host: carves another TX buffer from the heap while the TX ring has descriptors for it (OpenAMP does the same, lazily). */
    @Nullable VringBuffer growTx(RpmsgLink l) {
        int num = l.tx().queue().num();
        if (txAllocated.get() >= num) {
            return null;
        }
        synchronized (lock) {
            if (txAllocated.get() >= num || st.state() != State.READY) {
                return null;
            }
            HostBuffers hb = Objects.requireNonNull(hostBuffers);
            VringBuffer b = l.tx().allocateBuffer(hb.heap(), l.txBufferSize());
            if (b != null) {
                txAllocated.incrementAndGet();
                hb.add(b.offset());
            }
            return b;
        }
    }
}
