package io.rptun.sim;

import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.DescriptorChain;
import io.rptun.core.virtio.VirtqueueDevice;
import io.rptun.core.virtio.Vring;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The device side of a virtio entropy device ({@code VIRTIO_ID_ENTROPY}, one vring), as NuttX's proxy serves
 * it ({@code vhost-rng}): every buffer the driver makes available is filled with random bytes and returned
 * on the used ring with its length. The driver's descriptors are checked by {@link VirtqueueDevice} (inside
 * the buffer window, a well-formed chain) before a byte is written; a broken queue stops being served.
 *
 * <p>Threads: {@link #serve} from one thread at a time.
 */
final class VhostRng {
    private final VirtqueueDevice queue;
    private final SharedRegion region;
    private final DescriptorChain chain;
    private final SecureRandom random = new SecureRandom();
    private final AtomicLong bytesServed = new AtomicLong();
    private byte[] scratch = new byte[256];

    VhostRng(String name, Vring vring, SharedRegion region, long buffersFrom, long buffersTo) {
        this.queue = new VirtqueueDevice(name, vring, region, buffersFrom, buffersTo);
        this.region = region;
        this.chain = new DescriptorChain(vring.num());
    }

    /**
     * Fills and returns every buffer the driver made available.
     *
     * @return true if any buffer was returned (the driver should be notified)
     * @throws io.rptun.core.virtio.VringException if the driver's ring is corrupt (the queue is broken)
     */
    boolean serve() {
        if (queue.isBroken()) {
            return false;
        }
        int served = 0;
        while (queue.take(chain)) {
            long written = 0;
            for (int i = 0; i < chain.size(); i++) {
                if (!chain.isWritable(i)) {
                    continue;
                }
                MemorySegment buffer = chain.segment(region, i);
                int len = (int) Math.min(buffer.byteSize(), Integer.MAX_VALUE);
                if (scratch.length < len) {
                    scratch = new byte[len];
                }
                random.nextBytes(scratch);
                MemorySegment.copy(MemorySegment.ofArray(scratch), 0, buffer, 0, len);
                written += len;
            }
            queue.putUsed(chain.head(), written);
            bytesServed.addAndGet(written);
            served++;
        }
        if (served > 0) {
            queue.publishUsed();
        }
        return served > 0;
    }

    /** Random bytes given to the driver so far. */
    long bytesServed() {
        return bytesServed.get();
    }
}
