package io.rptun.core.virtio;

import io.rptun.core.memory.WireLayouts;

/**
 * Where the three parts of a split virtqueue ({@code struct vring}, OpenAMP {@code virtio_ring.h}, Linux
 * {@code vring_init} / {@code vring_size}) sit relative to the vring's base, for {@code num} descriptors
 * and used-ring alignment {@code align}. Static placement only: reading and writing the rings is the
 * vring data path's job.
 *
 * <pre>
 * base + 0                     desc table: num x vring_desc (16 bytes each)
 * +-----------------------------------------------------------------+
 * | addr (u64)                       | len (u32)   | flags | next    |  desc[0]
 * +-----------------------------------------------------------------+
 * | ...                                                             |  desc[num - 1]
 * +-----------------------------------------------------------------+
 * base + 16·num                avail ring (written by the driver)
 * +-----------------------------------------------------------------+
 * | flags (u16) | idx (u16) | ring[0] (u16) ... ring[num-1] | used_event (u16) |
 * +-----------------------------------------------------------------+
 * (zero padding up to the next multiple of align)
 * base + align_up(16·num + 4 + 2·num + 2, align)   used ring (written by the device)
 * +-----------------------------------------------------------------+
 * | flags (u16) | idx (u16) | ring[0] {id u32, len u32} ... ring[num-1] | avail_event (u16) |
 * +-----------------------------------------------------------------+
 * base + byteSize(num, align)
 * </pre>
 *
 * <p>The used ring is aligned relative to the base, so the base itself must be a multiple of
 * {@code align} for both sides to agree (Linux aligns the absolute address). For num 256 and align
 * 0x1000 the used ring starts at 0x2000 and the vring takes 0x2806 bytes.
 */
public final class VringLayout {
    /** {@code sizeof(struct vring_desc)}: addr u64, len u32, flags u16, next u16. */
    public static final int DESC_SIZE = 16;
    /** The largest num: {@code idx} fields are free-running u16 counters, so num must stay below 2^16. */
    public static final int MAX_NUM = 32768;
    /** avail ring: flags u16, idx u16 before the ring, used_event u16 after it. */
    private static final long AVAIL_FIXED = 6;
    /** One avail ring slot, a u16 descriptor index. */
    private static final long AVAIL_ELEMENT_SIZE = 2;
    /** used ring: flags u16, idx u16 before the ring, avail_event u16 after it. */
    private static final long USED_FIXED = 6;
    /** One used ring slot, {@code struct vring_used_elem {u32 id; u32 len;}}. */
    private static final long USED_ELEMENT_SIZE = 8;

    private VringLayout() {
    }

    /**
     * Checks a descriptor count.
     *
     * @return {@code num}
     * @throws IllegalArgumentException {@code "num=..."} unless num is a power of two up to {@link #MAX_NUM}
     */
    public static int checkNum(int num) {
        if (!WireLayouts.isPowerOfTwo(num) || num > MAX_NUM) {
            throw new IllegalArgumentException("num=" + num + " (must be a power of two up to " + MAX_NUM + ")");
        }
        return num;
    }

    /**
     * Checks a used-ring alignment.
     *
     * @return {@code align}
     * @throws IllegalArgumentException {@code "align=..."} unless align is a power of two
     */
    public static long checkAlign(long align) {
        if (!WireLayouts.isPowerOfTwo(align)) {
            throw new IllegalArgumentException("align=" + align + " (must be a power of two)");
        }
        return align;
    }

    /** Offset of the descriptor table from the vring's base: always 0. */
    public static long descOffset(int num) {
        checkNum(num);
        return 0;
    }

    /** Offset of the avail ring: right after the descriptor table, {@code 16·num}. */
    public static long availOffset(int num) {
        return (long) DESC_SIZE * checkNum(num);
    }

    /** Bytes of the avail ring: {@code 6 + 2·num} (flags, idx, ring, used_event). */
    public static long availSize(int num) {
        return AVAIL_FIXED + AVAIL_ELEMENT_SIZE * checkNum(num);
    }

    /** Offset of the used ring: {@code align_up(16·num + 4 + 2·num + 2, align)}. */
    public static long usedOffset(int num, long align) {
        return WireLayouts.alignUp(availOffset(num) + availSize(num), checkAlign(align));
    }

    /**
     * Offset of the used ring from a vring base at absolute address {@code base}, as Linux's and OpenAMP's
     * {@code vring_init} place it: the end of the avail ring aligned up <em>as an address</em>. Equal to
     * {@link #usedOffset(int, long)} when the base is aligned; NuttX's simulator puts vrings at carveout
     * starts that are only 4-byte aligned (da 0x201CC), where the used ring moves by up to {@code align - 1}.
     */
    public static long usedOffsetAt(long base, int num, long align) {
        long availEnd = base + availOffset(num) + availSize(num);
        return WireLayouts.alignUp(availEnd, checkAlign(align)) - base;
    }

    /** Bytes the whole vring takes from a base at absolute address {@code base} (see {@link #usedOffsetAt}). */
    public static long byteSizeAt(long base, int num, long align) {
        return usedOffsetAt(base, num, align) + usedSize(num);
    }

    /** Bytes of the used ring: {@code 6 + 8·num} (flags, idx, ring, avail_event). */
    public static long usedSize(int num) {
        return USED_FIXED + USED_ELEMENT_SIZE * checkNum(num);
    }

    /**
     * Bytes the whole vring takes, Linux's {@code vring_size(num, align)}:
     * {@code align_up(16·num + 6 + 2·num, align) + 6 + 8·num}. Not rounded up to {@code align} at its end.
     */
    public static long byteSize(int num, long align) {
        return usedOffset(num, align) + usedSize(num);
    }
}
