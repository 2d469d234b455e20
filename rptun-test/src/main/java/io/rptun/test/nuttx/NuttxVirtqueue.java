package io.rptun.test.nuttx;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringDescLayout;
import io.rptun.core.virtio.VringLayout;
import io.rptun.core.virtio.VringUsedLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * One split virtqueue as OpenAMP's {@code virtqueue.c} drives it in NuttX, in one of its two roles, over
 * the NuttX file. Descriptor addresses are pa's: the driver writes {@code base + offset}; the device
 * subtracts {@code base} and checks the whole buffer lies in the file before it touches it (NuttX would
 * not check; a model stops with {@link NuttxModelException} instead).
 *
 * <p>Driver ({@code virtqueue_add_buffer} / {@code virtqueue_get_buffer}): writes descriptors and avail
 * slots, then publishes {@code avail.idx} with release; reads {@code used.idx} with acquire before any
 * used element. Device ({@code virtqueue_get_first_avail_buffer} / {@code virtqueue_add_consumed_buffer}):
 * the mirror image. Each side keeps local shadows of the indices it owns and of how far it consumed.
 * Not thread-safe: its owner holds a lock, as OpenAMP callers hold {@code rdev->lock}.
 */
public final class NuttxVirtqueue {
    /** A buffer taken from the ring: descriptor head, file offset, length. */
    public record Buffer(int head, long offset, int len) {
    }

    private final String name;
    private final MemorySegment file;
    private final NuttxTable.VringPlace place;
    private final boolean driver;
    private final long base;
    private final int mask;
    // driver shadows
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final long[] outstanding;
    private int availIdx;
    private int usedConsumed;
    // device shadows
    private int availConsumed;
    private int usedIdx;

    private NuttxVirtqueue(String name, MemorySegment file, NuttxTable.VringPlace place, boolean driver, long base) {
        this.name = name;
        this.file = file;
        this.place = place;
        this.driver = driver;
        this.base = base;
        this.mask = place.num() - 1;
        this.outstanding = new long[place.num()];
        Arrays.fill(outstanding, -1);
    }

    /**
     * The driver's queue: clears the vring ({@code vring_size} bytes, as {@code virtio_create_virtqueues}
     * does for a driver) and chains the free descriptors ({@code vq_ring_init}).
     */
    public static NuttxVirtqueue driver(String name, MemorySegment file, NuttxTable.VringPlace place, long base) {
        NuttxVirtqueue vq = new NuttxVirtqueue(name, file, place, true, base);
        file.asSlice(place.da(), VringLayout.byteSize(place.num(), place.align())).fill((byte) 0);
        for (int i = 0; i < place.num(); i++) {
            file.set(WireLayouts.LE_U16,
                    place.desc() + VringDescLayout.SIZE * i + VringDescLayout.NEXT_OFFSET,
                    (short) (i + 1 < place.num() ? i + 1 : 0x8000));
            vq.free.add(i);
        }
        return vq;
    }

    /**
     * The device's queue over rings a driver placed and cleared; nothing is written. Its shadows start at 0,
     * as a fresh OpenAMP virtqueue's do: buffers the driver posted before DRIVER_OK are all there to take.
     */
    public static NuttxVirtqueue device(String name, MemorySegment file, NuttxTable.VringPlace place, long base) {
        return new NuttxVirtqueue(name, file, place, false, base);
    }

    public String name() {
        return name;
    }

    public NuttxTable.VringPlace place() {
        return place;
    }

    public int num() {
        return place.num();
    }

    // ------------------------------------------------------------------ driver

    /** Free descriptors ({@code vq_free_cnt}). */
    public int freeCount() {
        return free.size();
    }

    /**
     * {@code virtqueue_add_buffer} of one buffer at file offset {@code offset}: {@code writable} for a
     * buffer the device fills (RX, entropy). False when no descriptor is free.
     */
    public boolean addBuffer(long offset, int len, boolean writable) {
        checkDriver();
        Integer head = free.poll();
        if (head == null) {
            return false;
        }
        long desc = place.desc() + VringDescLayout.SIZE * head;
        VringDescLayout.write(file, desc, base + offset, len, writable ? VringDescLayout.F_WRITE : 0,
                VringDescLayout.next(file, desc));
        outstanding[head] = offset;
        VringAvailLayout.ring(file, place.avail(), availIdx & mask, head);
        availIdx = (availIdx + 1) & 0xFFFF;
        // The descriptor and the avail slot must be visible before the new avail.idx (release store).
        VringAvailLayout.idxRelease(file, place.avail(), availIdx);
        return true;
    }

    /** Used buffers not consumed yet ({@code virtqueue_nused}). */
    public int nused() {
        checkDriver();
        return (VringUsedLayout.idxAcquire(file, place.used()) - usedConsumed) & 0xFFFF;
    }

    /**
     * {@code virtqueue_get_buffer}: the next used buffer (its offset is the one the driver gave, never
     * what the device claims), or null. The element's id must name an outstanding descriptor.
     */
    public Buffer getBuffer() {
        checkDriver();
        int idx = VringUsedLayout.idxAcquire(file, place.used());
        int pending = (idx - usedConsumed) & 0xFFFF;
        if (pending == 0) {
            return null;
        }
        if (pending > place.num()) {
            throw new NuttxModelException(name + ": used.idx " + idx + " is " + pending + " ahead of "
                    + usedConsumed + " with only " + place.num() + " descriptors");
        }
        int slot = usedConsumed & mask;
        int id = VringUsedLayout.id(file, place.used(), slot);
        int len = VringUsedLayout.len(file, place.used(), slot);
        if (id < 0 || id >= place.num() || outstanding[id] < 0) {
            throw new NuttxModelException(name + ": used element " + slot + " names descriptor "
                    + Integer.toUnsignedString(id) + ", which is not outstanding");
        }
        usedConsumed = (usedConsumed + 1) & 0xFFFF;
        long offset = outstanding[id];
        outstanding[id] = -1;
        free.push(id);
        return new Buffer(id, offset, len);
    }

    /** {@code virtqueue_disable_cb} as driver: {@code avail.flags |= NO_INTERRUPT}. */
    public void driverDisableCallback() {
        checkDriver();
        int flags = VringAvailLayout.flagsAcquire(file, place.avail());
        VringAvailLayout.flagsRelease(file, place.avail(), flags | VringAvailLayout.F_NO_INTERRUPT);
    }

    /** {@code vq_ring_must_notify} as driver: the device has not set {@code used.flags NO_NOTIFY}. */
    public boolean driverMustNotify() {
        VarHandle.fullFence();
        return (VringUsedLayout.flagsAcquire(file, place.used()) & VringUsedLayout.F_NO_NOTIFY) == 0;
    }

    // ------------------------------------------------------------------ device

    /** Avail buffers not taken yet ({@code virtqueue_navail}). */
    public int navail() {
        checkDevice();
        return (VringAvailLayout.idxAcquire(file, place.avail()) - availConsumed) & 0xFFFF;
    }

    /**
     * {@code virtqueue_get_first_avail_buffer}: the next buffer the driver offered, its pa translated to a
     * file offset and checked to lie, whole, inside the file; or null.
     */
    public Buffer getFirstAvailBuffer() {
        checkDevice();
        int idx = VringAvailLayout.idxAcquire(file, place.avail());
        int pending = (idx - availConsumed) & 0xFFFF;
        if (pending == 0) {
            return null;
        }
        if (pending > place.num()) {
            throw new NuttxModelException(name + ": avail.idx " + idx + " is " + pending + " ahead of "
                    + availConsumed + " with only " + place.num() + " descriptors");
        }
        int head = VringAvailLayout.ring(file, place.avail(), availConsumed & mask);
        if (head >= place.num()) {
            throw new NuttxModelException(name + ": avail slot names descriptor " + head + " of " + place.num());
        }
        long desc = place.desc() + VringDescLayout.SIZE * head;
        long pa = VringDescLayout.addr(file, desc);
        long len = Integer.toUnsignedLong(VringDescLayout.len(file, desc));
        long offset = pa - base;
        if (Long.compareUnsigned(pa, base) < 0 || offset > NuttxSimFile.SIZE || len > NuttxSimFile.SIZE - offset) {
            throw new NuttxModelException(name + ": descriptor " + head + " pa 0x" + Long.toHexString(pa) + " len "
                    + len + " is outside the file (base 0x" + Long.toHexString(base) + ", " + NuttxSimFile.SIZE
                    + " bytes)");
        }
        availConsumed = (availConsumed + 1) & 0xFFFF;
        return new Buffer(head, offset, (int) len);
    }

    /** {@code virtqueue_add_consumed_buffer}: returns descriptor {@code head} with used len {@code len}. */
    public void addConsumedBuffer(int head, int len) {
        checkDevice();
        VringUsedLayout.element(file, place.used(), usedIdx & mask, head, len);
        usedIdx = (usedIdx + 1) & 0xFFFF;
        // The used element must be visible before the new used.idx (release store).
        VringUsedLayout.idxRelease(file, place.used(), usedIdx);
    }

    /** {@code virtqueue_disable_cb} as device: {@code used.flags |= NO_NOTIFY}. */
    public void deviceDisableCallback() {
        checkDevice();
        int flags = VringUsedLayout.flagsAcquire(file, place.used());
        VringUsedLayout.flagsRelease(file, place.used(), flags | VringUsedLayout.F_NO_NOTIFY);
    }

    /** {@code virtqueue_enable_cb} as device: {@code used.flags &= ~NO_NOTIFY}. */
    public void deviceEnableCallback() {
        checkDevice();
        int flags = VringUsedLayout.flagsAcquire(file, place.used());
        VringUsedLayout.flagsRelease(file, place.used(), flags & ~VringUsedLayout.F_NO_NOTIFY);
    }

    /** {@code vq_ring_must_notify} as device: the driver has not set {@code avail.flags NO_INTERRUPT}. */
    public boolean deviceMustNotify() {
        VarHandle.fullFence();
        return (VringAvailLayout.flagsAcquire(file, place.avail()) & VringAvailLayout.F_NO_INTERRUPT) == 0;
    }

    /** Whether a notification finds work here (NuttX's patched {@code remoteproc_get_notification}). */
    public boolean hasWork() {
        return driver ? nused() > 0 : navail() > 0;
    }

    private void checkDriver() {
        if (!driver) {
            throw new IllegalStateException(name + " is a device queue");
        }
    }

    private void checkDevice() {
        if (driver) {
            throw new IllegalStateException(name + " is a driver queue");
        }
    }
}
