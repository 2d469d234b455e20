package io.rptun.test.nuttx;

import io.rptun.core.memory.WireLayouts;
import java.util.Map;
import java.util.TreeMap;

/**
 * The master's heap over the rest of a carveout after its vrings ({@code rptun_init_carveout}: NuttX runs
 * its own {@code mm} heap there). Positions are not part of the protocol, so this is a plain first-fit
 * allocator that leaves a 16-byte gap before each block, as a heap's chunk header would.
 */
public final class NuttxHeap {
    private static final long HEADER = 16;
    private final long start;
    private final long end;
    private final TreeMap<Long, Long> blocks = new TreeMap<>();

    public NuttxHeap(long start, long size) {
        this.start = start;
        this.end = start + size;
    }

    /** {@code mm_memalign(heap, align, size)}: a file offset, or -1 when nothing fits. */
    public synchronized long alloc(long size, long align) {
        long candidate = WireLayouts.alignUp(start + HEADER, align);
        for (Map.Entry<Long, Long> block : blocks.entrySet()) {
            if (candidate + size + HEADER <= block.getKey()) {
                break;
            }
            candidate = WireLayouts.alignUp(block.getKey() + block.getValue() + HEADER, align);
        }
        if (candidate + size > end) {
            return -1;
        }
        blocks.put(candidate, size);
        return candidate;
    }

    /** {@code mm_free}. */
    public synchronized void free(long offset) {
        if (blocks.remove(offset) == null) {
            throw new IllegalArgumentException("offset=" + offset + " was not allocated");
        }
    }

    public long start() {
        return start;
    }
}
