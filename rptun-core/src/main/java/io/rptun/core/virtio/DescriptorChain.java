package io.rptun.core.virtio;

import io.rptun.core.memory.SharedRegion;
import java.lang.foreign.MemorySegment;

/**
 * A buffer the device took from the avail ring: one descriptor or a chain of them, every address
 * already translated and checked to lie inside the shared region. A reusable view:
 * {@link VirtqueueDevice#take(DescriptorChain)} overwrites it, so copy what you need before the next take.
 * Not thread-safe.
 */
public final class DescriptorChain {
    private final int[] index;
    private final long[] da;
    private final long[] offset;
    private final long[] length;
    private final boolean[] writable;
    private int head = -1;
    private int size;
    private long totalLength;

    /** A view able to hold chains of up to {@code num} descriptors. */
    public DescriptorChain(int num) {
        VringLayout.checkNum(num);
        index = new int[num];
        da = new long[num];
        offset = new long[num];
        length = new long[num];
        writable = new boolean[num];
    }

    void reset(int head) {
        this.head = head;
        size = 0;
        totalLength = 0;
    }

    void add(int desc, long descDa, long descOffset, long descLength, boolean descWritable) {
        index[size] = desc;
        da[size] = descDa;
        offset[size] = descOffset;
        length[size] = descLength;
        writable[size] = descWritable;
        totalLength += descLength;
        size++;
    }

    int capacity() {
        return index.length;
    }

    /** The head descriptor's index: what the device returns in {@code used.id}. */
    public int head() {
        return head;
    }

    /** The number of descriptors in the chain (at least one). */
    public int size() {
        return size;
    }

    /** The descriptor index of the {@code i}-th buffer of the chain. */
    public int descriptor(int i) {
        return index[checkIndex(i)];
    }

    /** The {@code i}-th buffer's device address as the driver wrote it. */
    public long da(int i) {
        return da[checkIndex(i)];
    }

    /** The {@code i}-th buffer's offset in the shared region's segment. */
    public long offset(int i) {
        return offset[checkIndex(i)];
    }

    /** The {@code i}-th buffer's length in bytes (an unsigned 32-bit value). */
    public long length(int i) {
        return length[checkIndex(i)];
    }

    /** True when the device may write the {@code i}-th buffer (VRING_DESC_F_WRITE). */
    public boolean isWritable(int i) {
        return writable[checkIndex(i)];
    }

    /** The sum of every buffer's length: the most the device may report in {@code used.len}. */
    public long totalLength() {
        return totalLength;
    }

    /** The bytes of the {@code i}-th buffer in {@code region} (a new slice; allocates). */
    public MemorySegment segment(SharedRegion region, int i) {
        return region.segment().asSlice(offset(i), length(i));
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("i=" + i + " size=" + size);
        }
        return i;
    }

    @Override
    public String toString() {
        return "DescriptorChain[head=" + head + ", size=" + size + ", totalLength=" + totalLength + "]";
    }
}
