package io.rptun.test.nuttx;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * NuttX's {@code vhost-rng} on the slave ({@code drivers/vhost/vhost-rng.c}): when a notification finds
 * buffers on the avail ring, each is filled with random bytes and returned with used len = its desc len,
 * with a kick per buffer unless the driver set NO_INTERRUPT. Buffers already waiting when the device is
 * created are served at the next notification, not before.
 */
public final class NuttxRngDevice {
    private final MemorySegment file;
    private final NuttxVirtqueue vq;
    private final Runnable notify;
    private final SecureRandom random = new SecureRandom();
    private final AtomicLong buffersServed = new AtomicLong();
    private final AtomicLong bytesServed = new AtomicLong();

    NuttxRngDevice(MemorySegment file, NuttxVirtqueue vq, Runnable notify) {
        this.file = file;
        this.vq = vq;
        this.notify = notify;
        vq.deviceEnableCallback();
    }

    public long buffersServed() {
        return buffersServed.get();
    }

    public long bytesServed() {
        return bytesServed.get();
    }

    /** {@code vhost_rng_handler} + {@code vhost_rng_work}. */
    void process() {
        synchronized (vq) {
            if (vq.navail() == 0) {
                return;
            }
            for (NuttxVirtqueue.Buffer b = vq.getFirstAvailBuffer(); b != null; b = vq.getFirstAvailBuffer()) {
                byte[] bytes = new byte[b.len()];
                random.nextBytes(bytes);
                MemorySegment.copy(bytes, 0, file, ValueLayout.JAVA_BYTE, b.offset(), bytes.length);
                vq.addConsumedBuffer(b.head(), b.len());
                buffersServed.incrementAndGet();
                bytesServed.addAndGet(b.len());
                if (vq.deviceMustNotify()) {
                    notify.run();
                }
            }
        }
    }
}
