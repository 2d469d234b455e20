package io.rptun.core.heap;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One lock-free LIFO stack of free blocks per size class: Treiber's stack (R. K. Treiber, "Systems
 * Programming: Coping with Parallelism", IBM RJ 5118, 1986) with a version tag against ABA.
 *
 * <p>A block is named by its first granule {@code g}. The links live out of band in {@code next[g]}
 * ({@code g' + 1} of the block below, 0 at the bottom), so the stack never touches the shared memory the
 * blocks describe. A head is {@code tag << 32 | (g + 1)}, 0 in the low half for an empty stack; every
 * successful push or pop adds one to the tag, so a pop whose view of the head is stale fails its CAS even
 * if the same block is on top again (unless the tag wrapped: a multiple of 2^32 operations between
 * this thread's read of the head and its CAS).
 *
 * <p>Memory model: a push writes {@code next[g]} with a plain store, then publishes it with the CAS of the
 * head (a volatile write); a pop reads the head (a volatile read) before {@code next[top]}, so it sees the
 * link written before that head was installed. A pop may read a link that a later owner of the block is
 * rewriting; the head has changed by then, so its CAS fails and the value is never used. The same
 * release/acquire pair orders the freeing thread's writes to the block before the next owner's.
 *
 * <p>Heads sit {@value #STRIDE} longs (128 bytes) apart, with a gap before the first, so threads working
 * on different classes do not share a cache line (nor an adjacent-line prefetch pair).
 */
final class SizeClassStacks {
    /** Longs between two heads: 128 bytes. */
    static final int STRIDE = 16;

    private final AtomicLongArray heads;
    private final int[] next;

    SizeClassStacks(int classes, int granules) {
        this.heads = new AtomicLongArray((classes + 1) * STRIDE);
        this.next = new int[granules];
    }

    /** Pushes the block starting at granule {@code g} onto class {@code c}'s stack. */
    void push(int c, int g) {
        int i = (c + 1) * STRIDE;
        long head;
        do {
            head = heads.get(i);
            next[g] = (int) head;
        } while (!heads.compareAndSet(i, head, bump(head, g + 1)));
    }

    /** Pops a block from class {@code c}'s stack: its first granule, or -1 if the stack is empty. */
    int pop(int c) {
        int i = (c + 1) * STRIDE;
        long head;
        int top;
        do {
            head = heads.get(i);
            top = (int) head;
            if (top == 0) {
                return -1;
            }
        } while (!heads.compareAndSet(i, head, bump(head, next[top - 1])));
        return top - 1;
    }

    /** The next head: tag + 1, {@code link} in the low half. */
    private static long bump(long head, int link) {
        return ((head >>> 32) + 1) << 32 | (link & 0xFFFF_FFFFL);
    }
}
