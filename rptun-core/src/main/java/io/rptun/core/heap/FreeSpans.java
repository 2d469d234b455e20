package io.rptun.core.heap;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The general allocator's free memory: maximal runs of free granules, kept twice, by start (to coalesce a
 * returned run with its neighbours) and by length then start (for best fit). Counts in granules,
 * numbered from the heap's first granule. Not thread-safe: {@link CarveoutHeap} calls it under its lock.
 *
 * <p>Invariant: the spans are disjoint, none is empty, and no two touch (a returned run is merged with
 * the spans just before and after it).
 */
final class FreeSpans {
    /** Absolute granule number of granule 0 ({@code base / granule}): alignment is absolute. */
    private final long phase;
    /** start &rarr; length. */
    private final TreeMap<Integer, Integer> byStart = new TreeMap<>();
    /** {@code length << 32 | start}: ordered by length, then by start. */
    private final TreeSet<Long> byLength = new TreeSet<>();

    /** All of {@code [0, granules)} free. */
    FreeSpans(long phase, int granules) {
        this.phase = phase;
        if (granules > 0) {
            put(0, granules);
        }
    }

    /**
     * Takes a run for up to {@code maxCount} consecutive blocks of {@code length} granules, the first
     * starting at an absolute granule number that is a multiple of {@code align}, from the shortest span
     * that holds one such block (the lowest of equal ones). As many blocks as that span holds, up to
     * {@code maxCount}, are taken; when {@code maxCount > 1}, {@code length} must be a multiple of
     * {@code align} so that every block is aligned.
     *
     * @param length granules per block, positive
     * @param align a power of two, in granules
     * @param maxCount how many blocks at most, positive
     * @return {@code start << 32 | count}, or -1 when no span holds one block
     */
    long take(int length, long align, int maxCount) {
        Iterator<Long> candidates = byLength.tailSet((long) length << 32, true).iterator();
        while (candidates.hasNext()) {
            long key = candidates.next();
            int spanLength = (int) (key >>> 32);
            int spanStart = (int) key;
            long misalign = (phase + spanStart) & (align - 1);
            long gap = misalign == 0 ? 0 : align - misalign;
            if (gap > spanLength - length) {
                continue;
            }
            int count = (int) Math.min(maxCount, (spanLength - gap) / length);
            int start = spanStart + (int) gap;
            int end = start + count * length;
            remove(spanStart, spanLength);
            if (gap > 0) {
                put(spanStart, (int) gap);
            }
            if (end < spanStart + spanLength) {
                put(end, spanStart + spanLength - end);
            }
            return (long) start << 32 | count;
        }
        return -1;
    }

    /** Returns {@code [start, start + length)}, which must be disjoint from every span, merging neighbours. */
    void add(int start, int length) {
        int from = start;
        int to = start + length;
        Map.Entry<Integer, Integer> before = byStart.lowerEntry(start);
        if (before != null) {
            int beforeEnd = before.getKey() + before.getValue();
            assert beforeEnd <= start : "span " + before + " overlaps returned run at " + start;
            if (beforeEnd == start) {
                remove(before.getKey(), before.getValue());
                from = before.getKey();
            }
        }
        Map.Entry<Integer, Integer> after = byStart.ceilingEntry(start);
        if (after != null) {
            assert after.getKey() >= to : "span " + after + " overlaps returned run at " + start;
            if (after.getKey() == to) {
                remove(after.getKey(), after.getValue());
                to += after.getValue();
            }
        }
        put(from, to - from);
    }

    /** The length of the longest span, 0 if none. */
    int largest() {
        return byLength.isEmpty() ? 0 : (int) (byLength.last() >>> 32);
    }

    /** How many spans there are. */
    int count() {
        return byStart.size();
    }

    private void put(int start, int length) {
        byStart.put(start, length);
        byLength.add((long) length << 32 | start);
    }

    private void remove(int start, int length) {
        byStart.remove(start);
        byLength.remove((long) length << 32 | start);
    }
}
