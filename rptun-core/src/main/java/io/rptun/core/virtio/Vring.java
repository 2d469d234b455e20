package io.rptun.core.virtio;

import io.rptun.core.memory.SharedRegion;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One split virtqueue's memory: {@code num} descriptors and used-ring alignment {@code align}, laid out
 * from byte 0 of {@link #memory()} as {@link VringLayout} says. Immutable and thread-safe; says nothing
 * about who owns which index (that is {@link VirtqueueDriver} and {@link VirtqueueDevice}).
 */
public final class Vring {
    private final MemorySegment memory;
    private final int num;
    private final long align;
    private final long availOffset;
    private final long usedOffset;

    private Vring(MemorySegment memory, int num, long align, long usedOffset) {
        this.memory = memory;
        this.num = num;
        this.align = align;
        this.availOffset = VringLayout.availOffset(num);
        this.usedOffset = usedOffset;
    }

    /**
     * The vring whose base is byte 0 of {@code memory}. The used ring is aligned on its absolute address
     * ({@link VringLayout#usedOffsetAt}), as {@code vring_init} does: the same place whenever the base is
     * aligned, and the place a C peer computes when it is not (NuttX's simulator).
     *
     * @throws IllegalArgumentException if num or align is not a power of two (num up to 32768), or
     *     {@code memory} is shorter than the vring
     */
    public static Vring of(MemorySegment memory, int num, long align) {
        Objects.requireNonNull(memory, "memory");
        long used = VringLayout.usedOffsetAt(memory.address(), num, align);
        long size = used + VringLayout.usedSize(num);
        if (memory.byteSize() < size) {
            throw new IllegalArgumentException("memory size=0x" + Long.toHexString(memory.byteSize())
                    + " < vring size=0x" + Long.toHexString(size) + " for num=" + num + " align=0x"
                    + Long.toHexString(align));
        }
        return new Vring(memory.asSlice(0, size), num, align, used);
    }

    /**
     * The vring at device address {@code da} of {@code region}, its whole extent checked to lie inside.
     *
     * @throws io.rptun.core.memory.AddressException if the vring does not lie inside the region
     * @throws IllegalArgumentException for a bad num or align
     */
    public static Vring at(SharedRegion region, long da, int num, long align) {
        MemorySegment base = region.sliceDa(da, VringLayout.byteSize(num, align));
        long size = VringLayout.byteSizeAt(base.address(), num, align);
        return of(size == base.byteSize() ? base : region.sliceDa(da, size), num, align);
    }

    /** Zeroes every byte of the vring: both index pairs, all flags, every descriptor. */
    public void clear() {
        memory.fill((byte) 0);
    }

    /** The vring's bytes: {@link VringLayout#byteSize(int, long)} of them from an aligned base. */
    public MemorySegment memory() {
        return memory;
    }

    /** The number of descriptors, a power of two. */
    public int num() {
        return num;
    }

    /** The used ring's alignment. */
    public long align() {
        return align;
    }

    /** Offset of descriptor {@code index} in {@link #memory()}. */
    long desc(int index) {
        return VringDescLayout.SIZE * index;
    }

    /** Offset of the avail ring in {@link #memory()}. */
    long avail() {
        return availOffset;
    }

    /** Offset of the used ring in {@link #memory()}. */
    long used() {
        return usedOffset;
    }

    @Override
    public String toString() {
        return "Vring[num=" + num + ", align=0x" + Long.toHexString(align) + ", size=0x"
                + Long.toHexString(memory.byteSize()) + "]";
    }
}
