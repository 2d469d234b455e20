package io.rptun.core.virtio;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The device's slices of the driver's buffers, by offset and length, so that taking a buffer does not
 * allocate a new {@link MemorySegment} each time. A driver pairs its buffers with descriptors however it
 * likes (Linux and OpenAMP reuse the most recently freed descriptor), so a cache per descriptor would miss
 * almost always; the buffers themselves are few and fixed (an rpmsg driver posts {@code num} of them
 * per ring). Open addressing with linear probing over arrays sized for {@code 2·num} distinct buffers;
 * when a driver uses more than that, the cache starts over rather than grow. Not thread-safe: the
 * port's ring owner is its only user.
 */
final class SliceCache {
    private static final long EMPTY = -1;

    private final MemorySegment shared;
    private final long[] offsets;
    private final long[] lengths;
    private final MemorySegment[] slices;
    private final int mask;
    private final int limit;
    private int size;

    SliceCache(MemorySegment shared, int num) {
        this.shared = shared;
        int capacity = Integer.highestOneBit(Math.max(16, num * 4) - 1) << 1;
        offsets = new long[capacity];
        lengths = new long[capacity];
        slices = new MemorySegment[capacity];
        mask = capacity - 1;
        limit = capacity / 2;
        Arrays.fill(offsets, EMPTY);
    }

    /** The slice {@code [offset, offset + length)} of the shared segment (already checked to lie inside). */
    MemorySegment slice(long offset, long length) {
        int i = index(offset);
        while (offsets[i] != EMPTY) {
            if (offsets[i] == offset && lengths[i] == length) {
                return slices[i];
            }
            i = (i + 1) & mask;
        }
        if (size == limit) {
            Arrays.fill(offsets, EMPTY);
            Arrays.fill(slices, null);
            size = 0;
            i = index(offset);
        }
        MemorySegment slice = shared.asSlice(offset, length);
        offsets[i] = offset;
        lengths[i] = length;
        slices[i] = slice;
        size++;
        return slice;
    }

    /** Entries held now. */
    int size() {
        return size;
    }

    private int index(long offset) {
        return (int) ((offset * 0x9E37_79B9_7F4A_7C15L) >>> 40) & mask;
    }
}
