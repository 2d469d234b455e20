package io.rptun.core.virtio;

import io.rptun.core.memory.SharedRegion;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The driver's side of a {@link VirtqueuePort}: adds buffers to the avail ring and reaps them from the used
 * ring of one {@link VirtqueueDriver}. The buffers are the driver's own: {@link #addBuffer} makes a handle
 * for each (at most {@code num}), once, before the data path starts.
 *
 * <p>A SEND port offers read-only buffers and reaps them back into the free pool; a RECEIVE port posts
 * device-writable buffers and hands the reaped ones to the {@link VirtqueuePort.Receiver}.
 *
 * <h2>Threads</h2>
 * Everything here but {@link #addBuffer}, {@link #peerHasInbound()} and the notification flags runs on the
 * thread that owns the ring (the one that raised WIP in {@link VirtqueuePort}); {@link #addBuffer} is
 * synchronized, the flags are written under the port's notify lock, and {@link #peerHasInbound()} is a racy
 * hint any thread may read.
 */
final class VirtqueueDriverPort extends VirtqueuePort {
    private final VirtqueueDriver<VringBuffer> driver;
    private final SharedRegion region;
    /** Every handle {@link #addBuffer} made, so the port never has more than {@code num}. */
    private final List<VringBuffer> handles = new ArrayList<>();
    private final VirtqueueDriver.UsedHandler<VringBuffer> reapedToPool = this::reapedToPool;
    private final VirtqueueDriver.UsedHandler<VringBuffer> reapedToReceiver = this::reapedToReceiver;
    /** Owner only: the receiver of the {@link #receive} in progress, null between receives. */
    private @Nullable Receiver receiver;

    VirtqueueDriverPort(Mode mode, VirtqueueDriver<VringBuffer> driver, SharedRegion region, Notifier notifier) {
        super(mode, driver, notifier);
        this.driver = driver;
        this.region = Objects.requireNonNull(region, "region");
    }

    @Override
    public synchronized VringBuffer addBuffer(long offset, int capacity) {
        checkCanAddBuffer();
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity=" + capacity);
        }
        long da = region.descriptorAddressOf(offset);
        region.offsetOfDescriptorAddress(da, capacity);
        VringBuffer buffer = new VringBuffer(this, offset, da, capacity, region.segment().asSlice(offset, capacity));
        buffer.toUser();
        handles.add(buffer);
        return buffer;
    }

    @Override
    void checkCanAddBuffer() {
        if (handles.size() == queue.num()) {
            throw new IllegalStateException(queue.name() + " already has num=" + queue.num() + " buffers");
        }
    }

    @Override
    int receiveOwned(Receiver receiver, int max) {
        this.receiver = receiver;
        try {
            return driver.reap(reapedToReceiver, max);
        } finally {
            this.receiver = null;
        }
    }

    @Override
    boolean peerHasInbound() {
        return driver.hasUsed();
    }

    @Override
    void enablePeerNotifications() {
        driver.enableInterrupts(); // clears the flag, full fence
    }

    @Override
    void disablePeerNotifications() {
        driver.disableInterrupts();
    }

    @Override
    void refillOwnerFree() {
        if (driver.inFlight() > 0) {
            driver.reap(reapedToPool, Integer.MAX_VALUE);
        }
    }

    @Override
    int publishRing() {
        return driver.publish();
    }

    /** Owner only: one pending handle into the ring. */
    @Override
    void toRing(VringBuffer buffer) {
        boolean deviceWrites = mode == Mode.RECEIVE;
        long len = deviceWrites ? buffer.capacity : buffer.length;
        int head = driver.add(buffer.da, (int) len, deviceWrites, buffer);
        if (head == VirtqueueDriver.NO_DESCRIPTOR) {
            throw new IllegalStateException(queue.name() + ": no free descriptor for a submitted buffer");
        }
        buffer.head = head;
    }

    private void reapedToPool(VringBuffer buffer, int head, int len) {
        buffer.head = -1;
        pushOwnerFree(buffer);
    }

    private void reapedToReceiver(VringBuffer buffer, int head, int len) {
        buffer.head = -1;
        buffer.length = len;
        buffer.toUser();
        Objects.requireNonNull(receiver).onBuffer(buffer);
    }
}
