package io.rptun.test.openamp;

import io.rptun.core.virtio.Vring;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringDescLayout;
import io.rptun.core.virtio.VringLayout;
import io.rptun.core.virtio.VringUsedLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One vring as OpenAMP's {@code virtqueue.c} drives it, in either role, written from its behaviour (not
 * from its code, and not from rptun's own {@code VirtqueuePort}): one buffer at a time, an index store per
 * buffer, a full fence before every kick decision, and the kick decision read from the peer's flag only
 * ({@code VIRTIO_RING_F_EVENT_IDX} off). Only the layout accessors are shared with rptun.
 *
 * <ul>
 *   <li>Driver: {@link #addBuffer} ({@code virtqueue_add_buffer}: a descriptor from the free list, the avail
 *       slot, a fence, {@code avail.idx + 1}); {@link #getBuffer} ({@code virtqueue_get_buffer}: one used
 *       element, its descriptor back on the free list).</li>
 *   <li>Device: {@link #getAvailableBuffer} ({@code virtqueue_get_available_buffer}); {@link #addConsumedBuffer}
 *       ({@code virtqueue_add_consumed_buffer}: the used element, a fence, {@code used.idx + 1}).</li>
 *   <li>Both: {@link #mustNotify} ({@code vq_ring_must_notify} after {@code virtqueue_kick}'s fence) and
 *       {@link #disableCallbacks} ({@code virtqueue_disable_cb}: the own suppression flag).</li>
 * </ul>
 * The peer (rptun under test) is checked like OpenAMP checks it, a little harder: an index that jumps,
 * a descriptor number out of range or an address outside the file throws {@link CPeerException} with
 * {@link CPeerException.Reason#BAD_RING}. Not thread-safe: the C program's one thread owns it.
 */
final class CVirtqueue {
    private final String name;
    private final MemorySegment ring;
    private final long fileSize;
    private final int num;
    private final int mask;
    private final long avail;
    private final long used;
    private final boolean driver;

    // Driver state: a stack of free descriptors, what each outstanding one carries, the shadow indices.
    private final int[] freeStack;
    private int freeCount;
    private final boolean[] outstanding;
    private final long[] descAddr;
    private final int[] descLen;
    private int availIdx;
    private int usedConsumed;

    // Device state: the avail index taken up to, the used index written up to.
    private int availConsumed;
    private int usedIdx;

    /** What the last {@link #getBuffer} or {@link #getAvailableBuffer} returned: address and length. */
    private long lastAddr;
    private int lastLen;

    CVirtqueue(String name, Vring vring, long fileSize, boolean driver) {
        this.name = name;
        this.ring = vring.memory();
        this.fileSize = fileSize;
        this.num = vring.num();
        this.mask = num - 1;
        this.avail = VringLayout.availOffset(num);
        this.used = VringLayout.usedOffset(num, vring.align());
        this.driver = driver;
        this.freeStack = new int[num];
        this.outstanding = new boolean[num];
        this.descAddr = new long[num];
        this.descLen = new int[num];
        if (driver) {
            // rpmsg_init_vdev (driver role) zeroes the vring before it uses it.
            vring.clear();
            for (int i = num - 1; i >= 0; i--) {
                freeStack[freeCount++] = i;
            }
        }
    }

    int num() {
        return num;
    }

    /** Driver: descriptors not in the rings. */
    int freeDescriptors() {
        return freeCount;
    }

    /**
     * Driver: offers one buffer ({@code addr} is a file offset; identity addresses), device-writable or not.
     *
     * @return the descriptor, or -1 when none is free
     */
    int addBuffer(long addr, int len, boolean deviceWrites) {
        if (freeCount == 0) {
            return -1;
        }
        int d = freeStack[--freeCount];
        VringDescLayout.write(ring, desc(d), addr, len,
                deviceWrites ? VringDescLayout.F_WRITE : 0, 0);
        outstanding[d] = true;
        descAddr[d] = addr;
        descLen[d] = len;
        VringAvailLayout.ring(ring, avail, availIdx & mask, d);
        availIdx = (availIdx + 1) & 0xFFFF;
        // The descriptor and the avail slot must be visible before the new avail.idx (release store).
        VringAvailLayout.idxRelease(ring, avail, availIdx);
        return d;
    }

    /**
     * Driver: takes one used element, if the device published one.
     *
     * @return the descriptor (its buffer's address and the used length in {@link #lastAddr()} /
     *     {@link #lastLen()}), or -1 when the used ring holds nothing new
     */
    int getBuffer() {
        // Acquire: the used element written before used.idx is visible after.
        int idx = VringUsedLayout.idxAcquire(ring, used);
        if (idx == usedConsumed) {
            return -1;
        }
        int outstandingCount = num - freeCount;
        if (((idx - usedConsumed) & 0xFFFF) > outstandingCount) {
            throw bad("used.idx went from " + usedConsumed + " to " + idx + " with " + outstandingCount
                    + " buffers outstanding");
        }
        int slot = usedConsumed & mask;
        int id = VringUsedLayout.id(ring, used, slot);
        int len = VringUsedLayout.len(ring, used, slot);
        if (id < 0 || id >= num || !outstanding[id]) {
            throw bad("used.ring[" + slot + "].id=" + id + " is not an outstanding descriptor");
        }
        if (Integer.toUnsignedLong(len) > descLen[id]) {
            throw bad("used.ring[" + slot + "].len=" + Integer.toUnsignedString(len) + " > the buffer's " + descLen[id]);
        }
        usedConsumed = (usedConsumed + 1) & 0xFFFF;
        outstanding[id] = false;
        freeStack[freeCount++] = id;
        lastAddr = descAddr[id];
        lastLen = len;
        return id;
    }

    /**
     * Device: takes the next buffer the driver offered.
     *
     * @return its head descriptor (address and length in {@link #lastAddr()} / {@link #lastLen()}), or -1
     */
    int getAvailableBuffer() {
        // Acquire: the slot and descriptor written before avail.idx are visible after.
        int idx = VringAvailLayout.idxAcquire(ring, avail);
        if (idx == availConsumed) {
            return -1;
        }
        if (((idx - availConsumed) & 0xFFFF) > num) {
            throw bad("avail.idx went from " + availConsumed + " to " + idx + ", more than num=" + num);
        }
        int head = VringAvailLayout.ring(ring, avail, availConsumed & mask);
        if (head < 0 || head >= num) {
            throw bad("avail.ring[" + (availConsumed & mask) + "]=" + head + " is not below num=" + num);
        }
        long desc = desc(head);
        long addr = VringDescLayout.addr(ring, desc);
        long len = Integer.toUnsignedLong(VringDescLayout.len(ring, desc));
        if (addr < 0 || len > fileSize || addr > fileSize - len) {
            throw bad("descriptor " + head + " addr=0x" + Long.toHexString(addr) + " len=" + len
                    + " is not inside the file");
        }
        availConsumed = (availConsumed + 1) & 0xFFFF;
        lastAddr = addr;
        lastLen = (int) len;
        return head;
    }

    /** Device: returns buffer {@code head} with {@code len} bytes written, published at once. */
    void addConsumedBuffer(int head, int len) {
        VringUsedLayout.element(ring, used, usedIdx & mask, head, len);
        usedIdx = (usedIdx + 1) & 0xFFFF;
        // The used element must be visible before the new used.idx (release store).
        VringUsedLayout.idxRelease(ring, used, usedIdx);
    }

    /**
     * {@code virtqueue_kick}'s decision: a full fence (this side's new index must be visible before it reads
     * the peer's flag), then the peer's flag: a driver kicks unless {@code used.flags} has NO_NOTIFY, a
     * device unless {@code avail.flags} has NO_INTERRUPT.
     */
    boolean mustNotify() {
        VarHandle.fullFence();
        if (driver) {
            return (VringUsedLayout.flagsAcquire(ring, used) & VringUsedLayout.F_NO_NOTIFY) == 0;
        }
        return (VringAvailLayout.flagsAcquire(ring, avail) & VringAvailLayout.F_NO_INTERRUPT) == 0;
    }

    /**
     * {@code virtqueue_disable_cb}: asks the peer not to notify this side about this vring (a driver sets
     * NO_INTERRUPT in {@code avail.flags}, a device NO_NOTIFY in {@code used.flags}).
     */
    void disableCallbacks() {
        if (driver) {
            VringAvailLayout.flagsRelease(ring, avail, VringAvailLayout.F_NO_INTERRUPT);
        } else {
            VringUsedLayout.flagsRelease(ring, used, VringUsedLayout.F_NO_NOTIFY);
        }
    }

    long lastAddr() {
        return lastAddr;
    }

    int lastLen() {
        return lastLen;
    }

    private CPeerException bad(String what) {
        return new CPeerException(CPeerException.Reason.BAD_RING, name + ": " + what);
    }

    @Override
    public String toString() {
        return name + (driver ? "[driver avail.idx=" + availIdx + " used consumed=" + usedConsumed + " free="
                + freeCount : "[device avail consumed=" + availConsumed + " used.idx=" + usedIdx)
                + " peer avail.idx=" + VringAvailLayout.idxAcquire(ring, avail) + " used.idx="
                + VringUsedLayout.idxAcquire(ring, used) + " avail.flags=" + VringAvailLayout.flagsAcquire(ring, avail)
                + " used.flags=" + VringUsedLayout.flagsAcquire(ring, used) + "]";
    }

    /** Offset of descriptor {@code d}: the table is at byte 0 of the vring. */
    private static long desc(int d) {
        return (long) d * VringDescLayout.SIZE;
    }
}
