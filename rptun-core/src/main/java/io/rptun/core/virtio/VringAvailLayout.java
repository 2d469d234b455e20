package io.rptun.core.virtio;

import static io.rptun.core.memory.WireLayouts.LE_U16;

import io.rptun.core.memory.SharedAccess;
import java.lang.foreign.MemorySegment;

/**
 * {@code struct vring_avail}: the ring the driver offers buffers on, {@code 6 + 2·num} bytes.
 *
 * <pre>
 * +-------------------------------+-------------------------------+
 * |  flags (u16, NO_INTERRUPT 1)  |        idx (u16, free-running) |  0
 * +-------------------------------+-------------------------------+
 * |   ring[0] (u16 desc head)     |   ring[1]  ...   ring[num-1]  |  4
 * +-------------------------------+-------------------------------+
 * |   used_event (u16, unused: EVENT_IDX stays off)               |  4 + 2·num
 * +-------------------------------+
 * </pre>
 *
 * <p>Writer of every field: the driver. Reader: the device. {@code ring[slot]} is written plain and
 * published by the release store of {@code idx}; the device reads {@code idx} with acquire before
 * any slot. {@code flags} is the driver's "do not interrupt me" hint; the device reads it after a full
 * fence that orders its own {@code used.idx} store before the read (see {@link VirtqueueDevice}).
 */
public final class VringAvailLayout {
    public static final long FLAGS_OFFSET = 0;
    public static final long IDX_OFFSET = 2;
    public static final long RING_OFFSET = 4;
    /** Bytes of one ring slot. */
    public static final long ELEMENT_SIZE = 2;

    /** {@code VRING_AVAIL_F_NO_INTERRUPT}: the driver asks not to be notified of used buffers. */
    public static final int F_NO_INTERRUPT = 1;

    private VringAvailLayout() {
    }

    /** Offset of {@code used_event} from the avail ring's start. */
    public static long usedEventOffset(int num) {
        return RING_OFFSET + ELEMENT_SIZE * num;
    }

    /** {@code idx} with acquire: every slot and descriptor written before it is visible after. */
    public static int idxAcquire(MemorySegment vring, long avail) {
        return Short.toUnsignedInt(SharedAccess.getShortAcquire(vring, avail + IDX_OFFSET));
    }

    /** {@code idx} with release: the slots and descriptors written before it become visible with it. */
    public static void idxRelease(MemorySegment vring, long avail, int idx) {
        SharedAccess.putShortRelease(vring, avail + IDX_OFFSET, (short) idx);
    }

    /** {@code flags} with acquire. */
    public static int flagsAcquire(MemorySegment vring, long avail) {
        return Short.toUnsignedInt(SharedAccess.getShortAcquire(vring, avail + FLAGS_OFFSET));
    }

    /** {@code flags} with release. */
    public static void flagsRelease(MemorySegment vring, long avail, int flags) {
        SharedAccess.putShortRelease(vring, avail + FLAGS_OFFSET, (short) flags);
    }

    /** {@code ring[slot]}, plain (ordered by {@code idx}). */
    public static int ring(MemorySegment vring, long avail, int slot) {
        return Short.toUnsignedInt(vring.get(LE_U16, avail + RING_OFFSET + ELEMENT_SIZE * slot));
    }

    /** Writes {@code ring[slot]}, plain (published by the next {@code idx} release). */
    public static void ring(MemorySegment vring, long avail, int slot, int head) {
        vring.set(LE_U16, avail + RING_OFFSET + ELEMENT_SIZE * slot, (short) head);
    }
}
