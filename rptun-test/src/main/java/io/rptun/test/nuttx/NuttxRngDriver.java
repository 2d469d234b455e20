package io.rptun.test.nuttx;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * NuttX's {@code virtio-rng} driver on the master ({@code drivers/virtio/virtio-rng.c}): nothing is posted
 * until someone reads {@code /dev/random}; a read allocates a zeroed buffer in the vdev's carveout heap
 * (16-aligned), adds it as device-writable, kicks, waits for the device to return it, and copies
 * {@code used.len} bytes out ({@code virtio_rng_done} trusts that length; this model caps it at the
 * buffer and counts the excess).
 */
public final class NuttxRngDriver {
    private final String name;
    private final MemorySegment file;
    private final NuttxVirtqueue vq;
    private final NuttxHeap heap;
    private final Runnable notify;
    private final Map<Long, CompletableFuture<Integer>> pending = new ConcurrentHashMap<>();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong overlongReturns = new AtomicLong();

    NuttxRngDriver(String name, MemorySegment file, NuttxVirtqueue vq, NuttxHeap heap, Runnable notify) {
        this.name = name;
        this.file = file;
        this.vq = vq;
        this.heap = heap;
        this.notify = notify;
    }

    /** Reads completed. */
    public long reads() {
        return reads.get();
    }

    /** Random bytes the device returned, over all reads. */
    public long bytesReceived() {
        return bytesReceived.get();
    }

    /** Returns whose used.len exceeded the buffer. */
    public long overlongReturns() {
        return overlongReturns.get();
    }

    /** {@code read(/dev/random, len)}: blocks until the device fills the buffer ({@code stall} bounds it). */
    public byte[] read(int len, Duration stall) {
        long buffer = heap.alloc(len, 16);
        if (buffer < 0) {
            throw new NuttxModelException(name + ": carveout heap has no " + len + " bytes");
        }
        file.asSlice(buffer, len).fill((byte) 0);
        CompletableFuture<Integer> done = new CompletableFuture<>();
        pending.put(buffer, done);
        try {
            synchronized (vq) {
                if (!vq.addBuffer(buffer, len, true)) {
                    throw new NuttxModelException(name + ": no free descriptor");
                }
                if (vq.driverMustNotify()) {
                    notify.run();
                }
            }
            int got = done.get(stall.toNanos(), TimeUnit.NANOSECONDS);
            if (got > len) {
                overlongReturns.incrementAndGet();
                got = len;
            }
            byte[] out = new byte[got];
            MemorySegment.copy(file, ValueLayout.JAVA_BYTE, buffer, out, 0, got);
            reads.incrementAndGet();
            bytesReceived.addAndGet(got);
            return out;
        } catch (TimeoutException e) {
            throw new NuttxModelException(name + ": the device did not return the buffer within " + stall);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NuttxModelException("interrupted");
        } finally {
            pending.remove(buffer);
            if (done.isDone()) {
                heap.free(buffer);
            }
        }
    }

    /** {@code virtio_rng_done}: completes every returned buffer. */
    void process() {
        synchronized (vq) {
            if (vq.nused() == 0) {
                return;
            }
            for (NuttxVirtqueue.Buffer b = vq.getBuffer(); b != null; b = vq.getBuffer()) {
                CompletableFuture<Integer> done = pending.get(b.offset());
                if (done != null) {
                    done.complete(b.len());
                }
            }
        }
    }
}
