package io.rptun.core.heap;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.heap.HeapException.Reason;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Threads allocating and freeing at the same time: the lock-free class stacks, refills, flushes when the
 * heap runs short, and the general allocator all interleave. Every thread writes its own pattern over
 * each block it gets and checks it is intact before the free, so two live blocks that overlapped would
 * show up as a foreign byte.
 */
class CarveoutHeapConcurrencyTest {
    private static final int THREADS = 4;
    private static final int OPS_PER_THREAD = 500_000;
    /** Small enough that the threads together run it dry now and then, so flushes race with pops. */
    private static final long HEAP_SIZE = 2 << 20;
    private static final long HEAP_BASE = 0x1040;
    private static final int MAX_LIVE = 192;

    /** What one thread saw. */
    private record Outcome(long allocated, long noSpace, List<String> corruption) {
    }

    @Test
    void concurrentAllocationsNeverOverlapAndEverythingFreedComesBack() throws Exception {
        CarveoutHeap heap = CarveoutHeap.of(HEAP_BASE, HEAP_SIZE);
        List<Outcome> outcomes = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment shm = arena.allocate(HEAP_BASE + HEAP_SIZE, 4096);
            CyclicBarrier start = new CyclicBarrier(THREADS);
            try (ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
                List<Future<Outcome>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        start.await();
                        return churn(heap, shm, thread);
                    }));
                }
                for (Future<Outcome> f : futures) {
                    outcomes.add(f.get());
                }
            }
        }

        assertThat(outcomes).flatExtracting(Outcome::corruption).isEmpty();
        long allocated = outcomes.stream().mapToLong(Outcome::allocated).sum();
        long noSpace = outcomes.stream().mapToLong(Outcome::noSpace).sum();
        HeapStats stats = heap.stats();
        assertThat(stats).isEqualTo(new HeapStats(heap.capacity(), 0, heap.capacity(), heap.capacity(),
                allocated, allocated, noSpace, 0));
        assertThat(allocated).isGreaterThan(THREADS * (long) OPS_PER_THREAD / 3);
    }

    /** Random allocations and frees of this thread's own blocks, then frees whatever is left. */
    private static Outcome churn(CarveoutHeap heap, MemorySegment shm, int thread) {
        SplittableRandom random = new SplittableRandom(0x5EED + thread);
        long[] offsets = new long[MAX_LIVE];
        long[] sizes = new long[MAX_LIVE];
        byte[] patterns = new byte[MAX_LIVE];
        int live = 0;
        long allocated = 0;
        long noSpace = 0;
        List<String> corruption = new ArrayList<>();
        for (int op = 0; op < OPS_PER_THREAD; op++) {
            if (live == MAX_LIVE || (live > 0 && random.nextBoolean())) {
                int i = random.nextInt(live);
                check(shm, offsets[i], sizes[i], patterns[i], corruption);
                heap.free(offsets[i]);
                live--;
                offsets[i] = offsets[live];
                sizes[i] = sizes[live];
                patterns[i] = patterns[live];
                continue;
            }
            long size = size(random);
            long align = 1L << (random.nextInt(100) < 90 ? random.nextInt(4) : random.nextInt(18));
            long offset = heap.allocate(size, align);
            if (offset == CarveoutHeap.NO_SPACE) {
                noSpace++;
                continue;
            }
            allocated++;
            if (offset % Math.max(align, 64) != 0 || offset < heap.baseOffset()
                    || offset + size > heap.endOffset()) {
                corruption.add("bad block 0x" + Long.toHexString(offset) + " size " + size + " align " + align);
            }
            // Distinct across threads (1..63, 64..126, ...) and varying within one.
            byte pattern = (byte) (1 + thread * 63 + op % 63);
            shm.asSlice(offset, size).fill(pattern);
            offsets[live] = offset;
            sizes[live] = size;
            patterns[live] = pattern;
            live++;
        }
        for (int i = 0; i < live; i++) {
            check(shm, offsets[i], sizes[i], patterns[i], corruption);
            heap.free(offsets[i]);
        }
        return new Outcome(allocated, noSpace, corruption);
    }

    /** Mostly rpmsg-sized buffers from the classes; now and then one for the general allocator. */
    private static long size(SplittableRandom random) {
        int kind = random.nextInt(100);
        if (kind < 85) {
            return 1 + random.nextInt(2048);
        }
        if (kind < 98) {
            return 1 + random.nextInt(16 * 1024);
        }
        return 1 + random.nextInt(128 * 1024);
    }

    private static void check(MemorySegment shm, long offset, long size, byte pattern, List<String> corruption) {
        long word = (pattern & 0xFFL) * 0x0101_0101_0101_0101L;
        long i = 0;
        for (; i + 8 <= size; i += 8) {
            if (shm.get(ValueLayout.JAVA_LONG, offset + i) != word) {
                corruption.add("block 0x" + Long.toHexString(offset) + " overwritten at +" + i);
                return;
            }
        }
        for (; i < size; i++) {
            if (shm.get(ValueLayout.JAVA_BYTE, offset + i) != pattern) {
                corruption.add("block 0x" + Long.toHexString(offset) + " overwritten at +" + i);
                return;
            }
        }
    }

    @Test
    void ofTwoRacingFreesOfOneBlockExactlyOneSucceeds() throws Exception {
        CarveoutHeap heap = CarveoutHeap.of(0, 1 << 20);
        int rounds = 2_000;
        CyclicBarrier barrier = new CyclicBarrier(2);
        int succeeded = 0;
        int doubleFrees = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            for (int r = 0; r < rounds; r++) {
                // Alternately a class block (lock-free free) and a general block (free under the lock).
                long offset = heap.allocate(r % 2 == 0 ? 512 : 100_000, 8);
                List<Future<Reason>> racers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    racers.add(pool.submit(() -> {
                        barrier.await();
                        try {
                            heap.free(offset);
                            return null;
                        } catch (HeapException e) {
                            return e.reason();
                        }
                    }));
                }
                for (Future<Reason> racer : racers) {
                    Reason reason = racer.get();
                    if (reason == null) {
                        succeeded++;
                    } else if (reason == Reason.DOUBLE_FREE) {
                        doubleFrees++;
                    }
                }
            }
        }

        assertThat(succeeded).isEqualTo(rounds);
        assertThat(doubleFrees).isEqualTo(rounds);
        HeapStats stats = heap.stats();
        assertThat(stats.frees()).isEqualTo(rounds);
        assertThat(stats.liveBlocks()).isZero();
        assertThat(stats.largestFreeBlock()).isEqualTo(heap.capacity());
    }
}
