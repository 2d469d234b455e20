package io.rptun.core.heap;

/**
 * A snapshot of a {@link CarveoutHeap}'s use, from {@link CarveoutHeap#stats()}.
 *
 * <p>Exact when no {@code allocate} or {@code free} runs at the same time; otherwise each counter is
 * exact on its own but they may have been read at slightly different moments (never so that
 * {@code frees > allocations}). {@code bytesUsed + bytesFree == capacity} holds in every snapshot.
 *
 * @param capacity bytes the heap manages: its range with the base rounded up and the end rounded down to
 *     the granule
 * @param bytesUsed bytes in live blocks, each counted as handed out: its size rounded up to the granule,
 *     or to its size class (a power of two) for blocks from a class; so at least the bytes asked for
 * @param bytesFree {@code capacity - bytesUsed}: free bytes, including blocks cached in the size classes
 * @param largestFreeBlock the largest block {@code allocate(size, granule)} would get right now, after the
 *     size-class caches have been returned to the general allocator
 * @param allocations successful allocations since the heap was made
 * @param frees successful frees since the heap was made (rejected frees are not counted)
 * @param failedAllocations allocations answered with {@link CarveoutHeap#NO_SPACE}
 * @param liveBlocks {@code allocations - frees}: blocks handed out and not freed yet
 */
public record HeapStats(
        long capacity,
        long bytesUsed,
        long bytesFree,
        long largestFreeBlock,
        long allocations,
        long frees,
        long failedAllocations,
        int liveBlocks) {
}
