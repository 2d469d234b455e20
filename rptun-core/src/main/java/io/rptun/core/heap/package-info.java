/**
 * The carveout heap: RPTUN's "shared heap", the part of a vdev's carveout left after its vrings, from
 * which the driver allocates rpmsg buffers ({@link io.rptun.core.heap.CarveoutHeap}).
 *
 * <h2>Structure</h2>
 * The heap manages offsets into a shared segment in units of a granule (64 bytes unless told otherwise,
 * one cache line, so buffers of different owners never share a line). Two layers:
 * <pre>
 *  allocate(size, align)                               free(offset)
 *        |                                                  |
 *        v                                                  v
 *  +------------------------------------------------+   CAS state[g] ALLOCATED -&gt; CACHED / FREED
 *  | size classes: granule, 2 granules, ... max     |         |
 *  | one lock-free LIFO stack (Treiber) per class   | &lt;-------+ class block: push, lock-free
 *  +------------------------------------------------+         |
 *        | empty: refill a batch (lock)    ^ flush (lock)     |
 *        v                                 |                  v
 *  +------------------------------------------------+   other block: merge (lock)
 *  | general allocator, under one ReentrantLock:    | &lt;-------+
 *  | free spans by start (coalescing) and by length |
 *  | (best fit), in granules                        |
 *  +------------------------------------------------+
 * </pre>
 * A request of at most the largest class ({@code min(64 KiB, capacity / 8)} rounded down to a power of
 * two, but at least the granule) with an alignment of at most its class size is served from its class: a block whose size is that
 * power of two and whose offset is a multiple of it, so it meets any such alignment. An empty class is
 * refilled under the lock with up to 8 contiguous blocks (at most a 32nd of the capacity) carved by best
 * fit. Larger requests, and requests aligned beyond their class, get exactly their size rounded up to
 * the granule, by best fit at the asked alignment, under the lock. When the general allocator cannot
 * satisfy a request it first takes back every block cached in the class stacks (coalescing them), then
 * tries once more; only then is the answer {@link io.rptun.core.heap.CarveoutHeap#NO_SPACE}, a value the
 * caller acts on (wait for a buffer to come back, report back-pressure), never an exception.
 *
 * <p>Why Treiber stacks rather than JCTools queues of offsets: an {@code MpmcArrayQueue<Long>} boxes
 * every offset, so every free would allocate; the stacks link blocks through an {@code int[]} and neither
 * path allocates. LIFO also hands back the block most recently freed, which is likely still in cache.
 *
 * <h2>Out-of-band metadata</h2>
 * No bookkeeping lives in the shared memory: the peer on the other side is untrusted and may write
 * anywhere in the carveout, and a heap that kept headers or free-list links in its blocks would follow
 * the peer's pointers. All metadata is in Java arrays indexed by granule number:
 * <ul>
 * <li>{@code state[g]} describes the block that starts at granule {@code g}: its size in granules and
 *     whether it is ALLOCATED, CACHED (freed into its class stack), FREED (freed into the general
 *     allocator), SPARE (carved into a class stack, never handed out) or NONE. This is how a double free
 *     ({@code DOUBLE_FREE}) and a free of an offset the heap never handed out ({@code NOT_ALLOCATED}) are
 *     told apart, and a rejected free changes nothing. Carving a block clears the stale markers inside it
 *     (slow path only), so an offset inside a block is never mistaken for an old block's start.</li>
 * <li>{@code next[g]}: the link of the class stack holding the block at {@code g}.</li>
 * </ul>
 * Overhead: two ints per granule (8 bytes per 64-byte granule, 12.5%), plus two tree nodes per free span
 * of the general allocator. A heap manages at most 2^29 - 1 granules (32 GiB at 64 bytes).
 *
 * <h2>Memory model</h2>
 * <ul>
 * <li>A class stack's head ({@code tag << 32 | (g + 1)}, in an {@code AtomicLongArray}) is written only by
 *     CAS. A push stores {@code next[g]} plainly, then CASes the head: the link must be visible before
 *     the block is on top, and the volatile CAS publishes it to the pop that reads the head. The tag,
 *     bumped by every push and pop, defeats ABA.</li>
 * <li>The same release (push, or unlock) and acquire (pop, or lock) order everything the freeing thread
 *     wrote into the block before what the next owner writes.</li>
 * <li>{@code state[g]} leaves ALLOCATED only by CAS (in {@code free}), so of two racing frees exactly
 *     one wins and the other sees CACHED or FREED. Every other write to it is a release store by the
 *     thread that owns the block at that moment (the allocating thread after a pop or carve, the lock
 *     holder during a refill or flush); a SPARE or CACHED state must be visible before the push that
 *     publishes the block.</li>
 * <li>The free spans are touched only under the lock. Counters are {@code LongAdder}s; a
 *     {@link io.rptun.core.heap.HeapStats} snapshot is exact when nothing runs concurrently.</li>
 * </ul>
 *
 * <h2>False sharing</h2>
 * Class heads sit 128 bytes apart (with 128 bytes before the first), so threads on different classes do
 * not contend for a line; the counters are {@code LongAdder}s, which spread contended updates over
 * padded cells. The blocks themselves are granule aligned, a whole cache line by default.
 *
 * <h2>Complexity</h2>
 * Allocating from a non-empty class and freeing a class block: O(1), lock-free, allocation-free (a CAS
 * that may retry under contention). Refills, large or over-aligned requests and their frees: O(log s)
 * for s free spans under the lock, plus O(size / granule) to clear stale markers; a request aligned
 * beyond the granule may scan spans until one fits. A flush: O(cached blocks &middot; log s).
 * {@code stats()} flushes the classes so that its largest free block is exact.
 */
@NullMarked
package io.rptun.core.heap;

import org.jspecify.annotations.NullMarked;
