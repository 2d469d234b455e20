package io.rptun.core.heap;

import io.rptun.core.heap.HeapException.Reason;
import io.rptun.core.memory.WireLayouts;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * RPTUN's shared heap: the carveout left after the vrings, from which rpmsg buffers are allocated.
 * Thread-safe; the common path is lock-free and O(1). See the {@linkplain io.rptun.core.heap package
 * documentation} for the design.
 *
 * <p>The heap hands out <em>offsets</em> into a shared segment, never touches the segment, and keeps all
 * its bookkeeping in Java arrays, so a peer that scribbles over the carveout cannot corrupt it.
 *
 * <pre>{@code
 * CarveoutHeap heap = plan.carveoutHeap(0);              // vdev 0's heap from the memory plan
 * long offset = heap.allocate(512, 8);
 * if (offset == CarveoutHeap.NO_SPACE) {
 *     return false;                                      // no buffer now: retry when one is freed
 * }
 * MemorySegment buffer = shm.asSlice(offset, 512);
 * ...
 * heap.free(offset);
 * }</pre>
 *
 * <p><b>Alignment</b> is of the offset from byte 0 of the shared segment, not from the heap's start. A
 * mapping's base address is page aligned, so for an alignment up to the page size an aligned offset is an
 * aligned address.
 */
public final class CarveoutHeap {
    /** What {@link #allocate} returns when it cannot satisfy a request. */
    public static final long NO_SPACE = -1L;
    /** The granule unless told otherwise: a cache line, so blocks of different owners never share one. */
    public static final int DEFAULT_GRANULE = 64;
    /** The largest size class, unless an eighth of the capacity is smaller. */
    public static final long MAX_CLASS_SIZE = 64 * 1024;
    /** The most granules one heap manages: block sizes in granules must fit the state word's 29 bits. */
    static final int MAX_GRANULES = (1 << 29) - 1;
    /** Blocks carved at once to refill an empty class, at most. */
    static final int BATCH = 8;

    // Block states, in the low KIND_BITS bits of state[g]; the block's size in granules above them.

    /** No block starts here (inside a block, in a free span, or never used). */
    static final int NONE = 0;
    /** Handed out and not freed. */
    static final int ALLOCATED = 1;
    /** Freed into its class stack. */
    static final int CACHED = 2;
    /** Freed into the general allocator. */
    static final int FREED = 3;
    /** Carved into a class stack by a refill and not handed out yet. */
    static final int SPARE = 4;
    private static final int KIND_BITS = 3;
    private static final int KIND_MASK = (1 << KIND_BITS) - 1;

    private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(int[].class);

    private final long base;
    private final long end;
    private final int granule;
    private final int shift;
    private final int granules;
    /** Absolute granule number of granule 0. */
    private final long phase;
    private final int maxClassGranules;
    /** A refill carves at most this many granules (a 32nd of the capacity), and at least one block. */
    private final int refillGranules;

    /**
     * {@code state[g]}: the block that starts at granule {@code g}, as {@code size << KIND_BITS | kind}.
     * Stale markers may remain inside free spans; carving clears them. Written with CAS by free (from
     * ALLOCATED), with release by allocate, refill and flush.
     */
    private final int[] state;
    private final SizeClassStacks stacks;
    /** Guards {@link #spans} and refills. */
    private final ReentrantLock lock = new ReentrantLock();
    private final FreeSpans spans;

    private final LongAdder allocations = new LongAdder();
    private final LongAdder frees = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder usedBytes = new LongAdder();

    private CarveoutHeap(long base, long end, int granule) {
        this.base = base;
        this.end = end;
        this.granule = granule;
        this.shift = Integer.numberOfTrailingZeros(granule);
        this.granules = (int) ((end - base) >>> shift);
        this.phase = base >>> shift;
        long capacity = end - base;
        long maxClass = Math.max(granule, Math.min(MAX_CLASS_SIZE, Long.highestOneBit(capacity / 8)));
        this.maxClassGranules = (int) (maxClass >>> shift);
        this.refillGranules = Math.max(1, granules / 32);
        int classes = Integer.numberOfTrailingZeros(maxClassGranules) + 1;
        this.state = new int[granules];
        this.stacks = new SizeClassStacks(classes, granules);
        this.spans = new FreeSpans(phase, granules);
    }

    /**
     * A heap over {@code [baseOffset, baseOffset + size)} of a shared segment, with 64-byte granules.
     *
     * @throws IllegalArgumentException as {@link #of(long, long, int)}
     */
    public static CarveoutHeap of(long baseOffset, long size) {
        return of(baseOffset, size, DEFAULT_GRANULE);
    }

    /**
     * A heap over {@code [baseOffset, baseOffset + size)} of a shared segment: the base is rounded up and
     * the end down to {@code granule}, which may leave it empty (every allocation then fails).
     *
     * <p>Costs two ints of Java heap per granule (block state and free-stack link, 8 bytes per 64-byte
     * granule by default), plus a tree node per free span.
     *
     * @param baseOffset the first byte, an offset in the shared segment
     * @param size bytes from {@code baseOffset}
     * @param granule the unit of allocation and least alignment: a power of two, at least 8
     * @throws IllegalArgumentException if an offset or size is negative, the range runs past
     *     {@code Long.MAX_VALUE}, the granule is not a power of two of at least 8, or the range holds more
     *     than 2^29 - 1 granules
     */
    public static CarveoutHeap of(long baseOffset, long size, int granule) {
        if (baseOffset < 0) {
            throw new IllegalArgumentException("baseOffset=" + baseOffset);
        }
        if (size < 0 || size > Long.MAX_VALUE - baseOffset) {
            throw new IllegalArgumentException("size=" + size + " (baseOffset=0x" + Long.toHexString(baseOffset)
                    + ", the end must not pass 2^63 - 1)");
        }
        if (granule < 8 || Integer.bitCount(granule) != 1) {
            throw new IllegalArgumentException("granule=" + granule + " (a power of two, at least 8)");
        }
        long end = (baseOffset + size) & -granule;
        long start = baseOffset & -granule;
        if (start != baseOffset) {
            // Rounded down, start <= end; either both are equal (empty) or start + granule <= end.
            start = start == end ? end : start + granule;
        }
        if ((end - start) / granule > MAX_GRANULES) {
            throw new IllegalArgumentException("size=" + size + " (more than 2^29 - 1 granules of " + granule
                    + " bytes)");
        }
        return new CarveoutHeap(start, end, granule);
    }

    /**
     * Allocates a block of at least {@code size} bytes whose offset is a multiple of {@code align}.
     *
     * <p>Lock-free and O(1) when the request fits a size class (at most {@link #maxClassSize()} and
     * {@code align} at most the class) and that class has a cached block; otherwise it takes the lock,
     * refills the class or carves a block by best fit, and if that fails returns every cached block to the
     * general allocator and tries once more.
     *
     * @param size bytes wanted, positive; rounded up to the granule, and to a power of two for a class
     * @param align a power of two; below the granule the granule is used. Of the offset in the shared
     *     segment (see the class documentation)
     * @return the block's offset in the shared segment, or {@link #NO_SPACE} if no free block fits
     *     (counted in {@link HeapStats#failedAllocations()})
     * @throws IllegalArgumentException if {@code size} is not positive or {@code align} not a power of two
     */
    public long allocate(long size, long align) {
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size);
        }
        if (!WireLayouts.isPowerOfTwo(align)) {
            throw new IllegalArgumentException("align=" + align + " (a power of two)");
        }
        if (size > end - base) {
            return fail();
        }
        int length = (int) ((size + granule - 1) >>> shift);
        long alignGranules = Math.max(1, align >>> shift);
        int classLength = Integer.highestOneBit(length) == length ? length : Integer.highestOneBit(length) << 1;
        int g;
        if (classLength <= maxClassGranules && alignGranules <= classLength) {
            length = classLength;
            int c = Integer.numberOfTrailingZeros(classLength);
            g = stacks.pop(c);
            if (g < 0) {
                g = refill(c);
            }
        } else {
            g = carve(length, alignGranules);
        }
        if (g < 0) {
            return fail();
        }
        STATE.setRelease(state, g, length << KIND_BITS | ALLOCATED);
        allocations.increment();
        usedBytes.add((long) length << shift);
        return base + ((long) g << shift);
    }

    /**
     * Returns a block to the heap. Lock-free for a block of a size class, which goes to its class's stack;
     * any other block is merged with its free neighbours under the lock.
     *
     * <p>Of two frees of one block, racing or not, exactly one succeeds. The reason is exact as long as the
     * block has not been handed out again; once it has, a stale free of its offset is reported as
     * {@code NOT_ALLOCATED}, or, if it names the start of the new block, frees that block (as with any
     * allocator).
     *
     * @param offset what {@link #allocate} returned
     * @throws HeapException with {@link Reason#DOUBLE_FREE} if the block was freed already, or
     *     {@link Reason#NOT_ALLOCATED} if the heap did not hand out a block at {@code offset}; the heap is
     *     unchanged
     */
    public void free(long offset) {
        int g = granuleOf(offset, "free");
        while (true) {
            int word = (int) STATE.getAcquire(state, g);
            int kind = word & KIND_MASK;
            if (kind != ALLOCATED) {
                throw rejected(offset, kind, "free");
            }
            int length = word >>> KIND_BITS;
            boolean cached = isClassBlock(g, length);
            if (STATE.compareAndSet(state, g, word, length << KIND_BITS | (cached ? CACHED : FREED))) {
                frees.increment();
                usedBytes.add(-((long) length << shift));
                if (cached) {
                    stacks.push(Integer.numberOfTrailingZeros(length), g);
                } else {
                    lock.lock();
                    try {
                        spans.add(g, length);
                    } finally {
                        lock.unlock();
                    }
                }
                return;
            }
        }
    }

    /**
     * The size of the live block at {@code offset}, as handed out (rounded up to the granule or class).
     *
     * @throws HeapException with {@link Reason#NOT_ALLOCATED} if no live block starts at {@code offset}
     */
    public long sizeOf(long offset) {
        int g = granuleOf(offset, "sizeOf");
        int word = (int) STATE.getAcquire(state, g);
        if ((word & KIND_MASK) != ALLOCATED) {
            throw new HeapException(Reason.NOT_ALLOCATED, offset, "sizeOf: no live block starts here");
        }
        return (long) (word >>> KIND_BITS) << shift;
    }

    /**
     * A snapshot of the heap's use. Takes the lock and returns every cached class block to the general
     * allocator first, so that {@link HeapStats#largestFreeBlock()} is exact; that makes the next small
     * allocations refill their classes.
     */
    public HeapStats stats() {
        long largest;
        lock.lock();
        try {
            flushClasses();
            largest = (long) spans.largest() << shift;
        } finally {
            lock.unlock();
        }
        // Frees before allocations: every counted free follows its counted allocation, so live >= 0.
        long freed = frees.sum();
        long allocated = allocations.sum();
        long capacity = capacity();
        long used = Math.clamp(usedBytes.sum(), 0, capacity);
        return new HeapStats(capacity, used, capacity - used, largest, allocated, freed, failed.sum(),
                (int) (allocated - freed));
    }

    /** The first byte of the heap: the base offset rounded up to the granule. */
    public long baseOffset() {
        return base;
    }

    /** The offset just past the heap: the end offset rounded down to the granule. */
    public long endOffset() {
        return end;
    }

    /** Bytes the heap manages: {@code endOffset() - baseOffset()}. */
    public long capacity() {
        return end - base;
    }

    /** The unit of allocation and least alignment, in bytes. */
    public int granule() {
        return granule;
    }

    /**
     * The largest size class in bytes: {@link #MAX_CLASS_SIZE} or the largest power of two up to an eighth
     * of the capacity, whichever is smaller, but at least the granule. Larger requests take the lock.
     */
    public long maxClassSize() {
        return (long) maxClassGranules << shift;
    }

    /** The range, granule and size classes, e.g. {@code CarveoutHeap[0x16000, 0x80000) granule 64 ...}. */
    @Override
    public String toString() {
        return "CarveoutHeap[0x" + Long.toHexString(base) + ", 0x" + Long.toHexString(end) + ") granule "
                + granule + ", classes " + granule + ".." + maxClassSize();
    }

    private long fail() {
        failed.increment();
        return NO_SPACE;
    }

    /** Whether a block of {@code length} granules at {@code g} is a class block: class size, class aligned. */
    private boolean isClassBlock(int g, int length) {
        return length <= maxClassGranules && Integer.bitCount(length) == 1 && ((phase + g) & (length - 1)) == 0;
    }

    /** The granule {@code offset} starts, or a NOT_ALLOCATED exception if it lies outside or inside one. */
    private int granuleOf(long offset, String op) {
        if (offset < base || offset >= end) {
            throw new HeapException(Reason.NOT_ALLOCATED, offset, op + ": outside the heap [0x"
                    + Long.toHexString(base) + ", 0x" + Long.toHexString(end) + ")");
        }
        if ((offset & (granule - 1)) != 0) {
            throw new HeapException(Reason.NOT_ALLOCATED, offset, op + ": not a multiple of the granule 0x"
                    + Integer.toHexString(granule));
        }
        return (int) ((offset - base) >>> shift);
    }

    private static HeapException rejected(long offset, int kind, String op) {
        return switch (kind) {
            case CACHED, FREED -> new HeapException(Reason.DOUBLE_FREE, offset, op + ": block already freed");
            case SPARE -> new HeapException(Reason.NOT_ALLOCATED, offset, op + ": block was never handed out");
            default -> new HeapException(Reason.NOT_ALLOCATED, offset, op + ": no block starts here");
        };
    }

    /** Slow path of a class allocation: a block of class {@code c}, or -1. */
    private int refill(int c) {
        lock.lock();
        try {
            int g = stacks.pop(c);
            if (g >= 0) {
                return g;
            }
            g = carveClass(c);
            if (g < 0) {
                flushClasses();
                g = carveClass(c);
            }
            return g;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Under the lock: carves up to {@link #BATCH} blocks of class {@code c} in one run, keeps the first and
     * pushes the others as SPARE. The first granule of the kept block, or -1.
     */
    private int carveClass(int c) {
        int length = 1 << c;
        int count = Math.clamp(refillGranules / length, 1, BATCH);
        long run = spans.take(length, length, count);
        if (run < 0) {
            return -1;
        }
        int start = (int) (run >>> 32);
        count = (int) run;
        Arrays.fill(state, start, start + count * length, NONE);
        // Highest first, so the next pops go up in address order.
        for (int i = count - 1; i > 0; i--) {
            int g = start + i * length;
            STATE.setRelease(state, g, length << KIND_BITS | SPARE);
            stacks.push(c, g);
        }
        return start;
    }

    /**
     * A block outside the classes, by best fit, flushing the classes and retrying once if nothing fits: its
     * first granule, or -1. Stale markers inside it are cleared (O(length), slow path only).
     */
    private int carve(int length, long alignGranules) {
        lock.lock();
        try {
            long run = spans.take(length, alignGranules, 1);
            if (run < 0) {
                flushClasses();
                run = spans.take(length, alignGranules, 1);
                if (run < 0) {
                    return -1;
                }
            }
            int start = (int) (run >>> 32);
            Arrays.fill(state, start, start + length, NONE);
            return start;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Under the lock: returns every block in every class stack to the general allocator, coalescing. A
     * freed block stays marked FREED (so a second free is still a double free); a spare one is unmarked.
     */
    private void flushClasses() {
        for (int c = 0; (1 << c) <= maxClassGranules; c++) {
            int length = 1 << c;
            int g;
            while ((g = stacks.pop(c)) >= 0) {
                int kind = (int) STATE.getAcquire(state, g) & KIND_MASK;
                STATE.setRelease(state, g, kind == CACHED ? length << KIND_BITS | FREED : NONE);
                spans.add(g, length);
            }
        }
    }
}
