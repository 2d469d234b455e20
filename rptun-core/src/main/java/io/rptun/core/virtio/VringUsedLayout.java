package io.rptun.core.virtio;

import static io.rptun.core.memory.WireLayouts.LE_U32;

import io.rptun.core.memory.SharedAccess;
import java.lang.foreign.MemorySegment;

/**
 * {@code struct vring_used} with its {@code struct vring_used_elem} entries: the ring the device
 * returns buffers on, {@code 6 + 8·num} bytes.
 *
 * <pre>
 * +-------------------------------+-------------------------------+
 * |   flags (u16, NO_NOTIFY 1)    |        idx (u16, free-running) |  0
 * +-------------------------------+-------------------------------+
 * |              ring[0].id (u32, head of the returned chain)     |  4
 * +---------------------------------------------------------------+
 * |              ring[0].len (u32, bytes the device wrote)        |  8
 * +---------------------------------------------------------------+
 * |              ...  ring[num-1]                                 |
 * +-------------------------------+-------------------------------+
 * |  avail_event (u16, unused)    |                                  4 + 8·num
 * +-------------------------------+
 * </pre>
 *
 * <p>Writer of every field: the device. Reader: the driver, which reads {@code idx} with acquire
 * before any element and treats every element as untrusted ({@link VirtqueueDriver}). {@code flags} is
 * the device's "do not kick me" hint, read by the driver after a full fence.
 */
public final class VringUsedLayout {
    public static final long FLAGS_OFFSET = 0;
    public static final long IDX_OFFSET = 2;
    public static final long RING_OFFSET = 4;
    /** Bytes of one {@code vring_used_elem}. */
    public static final long ELEMENT_SIZE = 8;
    /** Offset of {@code id} inside an element. */
    public static final long ELEMENT_ID_OFFSET = 0;
    /** Offset of {@code len} inside an element. */
    public static final long ELEMENT_LEN_OFFSET = 4;

    /** {@code VRING_USED_F_NO_NOTIFY}: the device asks not to be kicked for new avail buffers. */
    public static final int F_NO_NOTIFY = 1;

    private VringUsedLayout() {
    }

    /** Offset of {@code avail_event} from the used ring's start. */
    public static long availEventOffset(int num) {
        return RING_OFFSET + ELEMENT_SIZE * num;
    }

    /** {@code idx} with acquire: every element written before it is visible after. */
    public static int idxAcquire(MemorySegment vring, long used) {
        return Short.toUnsignedInt(SharedAccess.getShortAcquire(vring, used + IDX_OFFSET));
    }

    /** {@code idx} with release: the elements written before it become visible with it. */
    public static void idxRelease(MemorySegment vring, long used, int idx) {
        SharedAccess.putShortRelease(vring, used + IDX_OFFSET, (short) idx);
    }

    /** {@code flags} with acquire. */
    public static int flagsAcquire(MemorySegment vring, long used) {
        return Short.toUnsignedInt(SharedAccess.getShortAcquire(vring, used + FLAGS_OFFSET));
    }

    /** {@code flags} with release. */
    public static void flagsRelease(MemorySegment vring, long used, int flags) {
        SharedAccess.putShortRelease(vring, used + FLAGS_OFFSET, (short) flags);
    }

    /** {@code ring[slot].id}, plain (ordered by {@code idx}). */
    public static int id(MemorySegment vring, long used, int slot) {
        return vring.get(LE_U32, used + RING_OFFSET + ELEMENT_SIZE * slot + ELEMENT_ID_OFFSET);
    }

    /** {@code ring[slot].len}, plain (ordered by {@code idx}). */
    public static int len(MemorySegment vring, long used, int slot) {
        return vring.get(LE_U32, used + RING_OFFSET + ELEMENT_SIZE * slot + ELEMENT_LEN_OFFSET);
    }

    /** Writes {@code ring[slot]}, plain (published by the next {@code idx} release). */
    public static void element(MemorySegment vring, long used, int slot, int id, int len) {
        long element = used + RING_OFFSET + ELEMENT_SIZE * slot;
        vring.set(LE_U32, element + ELEMENT_ID_OFFSET, id);
        vring.set(LE_U32, element + ELEMENT_LEN_OFFSET, len);
    }
}
