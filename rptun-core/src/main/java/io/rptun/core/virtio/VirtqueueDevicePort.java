package io.rptun.core.virtio;

import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.VringException.Reason;
import java.util.Objects;

/**
 * The device's side of a {@link VirtqueuePort}: takes the buffers the driver offered from the avail ring of
 * one {@link VirtqueueDevice} and returns them on the used ring. The buffers are the driver's, so there is
 * no {@link #addBuffer}: each descriptor head gets one handle the first time it arrives, re-pointed at the
 * buffer the head carries each later time (the slice comes from a {@link SliceCache}, so steady state
 * allocates nothing).
 *
 * <p>A SEND port takes device-writable buffers into the free pool, for the user to fill; a RECEIVE port
 * hands read-only buffers the driver filled to the {@link VirtqueuePort.Receiver}. A buffer that comes the
 * other way round, or as a chain, breaks the queue.
 *
 * <h2>Threads</h2>
 * Everything here but {@link #peerHasInbound()} and the notification flags runs on the thread that owns the
 * ring (the one that raised WIP in {@link VirtqueuePort}); the flags are written under the port's notify
 * lock, and {@link #peerHasInbound()} is a racy hint any thread may read.
 */
final class VirtqueueDevicePort extends VirtqueuePort {
    private final VirtqueueDevice device;
    /** Owner only: the handle of each descriptor head, created the first time the head arrives. */
    private final VringBuffer[] deviceHandles;
    /** Owner only: the chain {@link VirtqueueDevice#take} just filled. */
    private final DescriptorChain chain;
    private final SliceCache slices;

    VirtqueueDevicePort(Mode mode, VirtqueueDevice device, SharedRegion region, Notifier notifier) {
        super(mode, device, notifier);
        this.device = device;
        int num = device.num();
        this.deviceHandles = new VringBuffer[num];
        this.slices = new SliceCache(Objects.requireNonNull(region, "region").segment(), num);
        this.chain = new DescriptorChain(num);
    }

    @Override
    public VringBuffer addBuffer(long offset, int capacity) {
        checkCanAddBuffer();
        throw new AssertionError("unreachable");
    }

    @Override
    void checkCanAddBuffer() {
        throw new IllegalStateException(queue.name() + ": the device uses the driver's buffers");
    }

    @Override
    int receiveOwned(Receiver receiver, int max) {
        int count = 0;
        while (count < max && device.take(chain)) {
            VringBuffer buffer = deviceHandle();
            buffer.toUser();
            count++;
            receiver.onBuffer(buffer);
        }
        return count;
    }

    @Override
    boolean peerHasInbound() {
        return device.hasAvailable();
    }

    @Override
    void enablePeerNotifications() {
        device.setNotificationsFlag(true); // clears the flag, full fence
    }

    @Override
    void disablePeerNotifications() {
        device.disableNotifications();
    }

    @Override
    void refillOwnerFree() {
        while (ownerFreeCount < ownerFree.length && device.take(chain)) {
            pushOwnerFree(deviceHandle());
        }
    }

    @Override
    int publishRing() {
        return device.publishUsed();
    }

    /** Owner only: one pending handle into the ring. */
    @Override
    void toRing(VringBuffer buffer) {
        device.putUsed(buffer.head, buffer.length);
        buffer.head = -1;
    }

    /** Owner only: the handle for the chain just taken, checked to be a single buffer going the right way. */
    private VringBuffer deviceHandle() {
        if (chain.size() != 1) {
            throw device.fail(Reason.UNEXPECTED_CHAIN, chain.head(), chain.size(), "avail buffer with head "
                    + chain.head() + " is a chain of " + chain.size() + " descriptors");
        }
        boolean writable = chain.isWritable(0);
        if (writable != (mode == Mode.SEND)) {
            throw device.fail(Reason.WRONG_DIRECTION, chain.head(), writable ? 1 : 0, "descriptor " + chain.head()
                    + (writable ? " is device-writable on a queue the device reads"
                            : " is read-only on a queue the device writes"));
        }
        int head = chain.head();
        VringBuffer buffer = deviceHandles[head];
        long length = chain.length(0);
        long offset = chain.offset(0);
        if (buffer == null) {
            buffer = new VringBuffer(this, offset, chain.da(0), length, slices.slice(offset, length));
            deviceHandles[head] = buffer;
        } else if (buffer.offset != offset || buffer.capacity != length) {
            // The driver paired this descriptor with another buffer than last time: find that buffer's slice.
            buffer.rebind(offset, chain.da(0), length, slices.slice(offset, length));
        } else {
            buffer.da = chain.da(0); // the same buffer again: its slice stands
        }
        buffer.head = head;
        buffer.length = mode == Mode.SEND ? 0 : (int) Math.min(length, Integer.MAX_VALUE);
        return buffer;
    }
}
