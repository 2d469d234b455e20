package io.rptun.core.heap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.heap.HeapException.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * The heap against a model, over random sequences of allocations, frees, frees of offsets it did not hand
 * out, and stats: live blocks never overlap, lie inside the heap and are aligned; a NO_SPACE is honest
 * (nothing large enough was free); the statistics agree with the model; and once everything is freed the
 * whole heap is one free block again.
 */
class CarveoutHeapProperties {

    /** One step: {@code kind} 0-5 allocate, 6-8 free, 9 a bogus free, 10 stats. */
    record Action(int kind, long size, int alignLog, int pick) {
    }

    /** A heap's range and granule. */
    record Shape(long base, long size, int granule) {
    }

    @Provide
    Arbitrary<Shape> shapes() {
        return Combinators.combine(
                Arbitraries.longs().between(0, 70_000),
                Arbitraries.frequencyOf(
                        Tuple.of(1, Arbitraries.longs().between(0, 2_000)),
                        Tuple.of(6, Arbitraries.longs().between(2_000, 600_000))),
                Arbitraries.of(8, 16, 32, 64, 64, 64, 128, 256)).as(Shape::new);
    }

    @Provide
    Arbitrary<List<Action>> actions() {
        Arbitrary<Long> sizes = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.longs().between(1, 600)),
                Tuple.of(3, Arbitraries.longs().between(1, 9_000)),
                Tuple.of(1, Arbitraries.longs().between(1, 300_000)));
        Arbitrary<Integer> alignLogs = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.integers().between(0, 6)),
                Tuple.of(2, Arbitraries.integers().between(7, 17)));
        return Combinators.combine(Arbitraries.integers().between(0, 10), sizes, alignLogs,
                Arbitraries.integers().between(0, Integer.MAX_VALUE)).as(Action::new).list().ofMaxSize(250);
    }

    @Property(tries = 1000)
    void randomAllocationsAndFreesKeepTheHeapsInvariants(@ForAll("shapes") Shape shape,
            @ForAll("actions") List<Action> actions) {
        CarveoutHeap heap = CarveoutHeap.of(shape.base(), shape.size(), shape.granule());
        Model model = new Model(heap);
        for (Action action : actions) {
            switch (action.kind()) {
                case 6, 7, 8 -> model.freeOne(action.pick());
                case 9 -> model.bogusFree(action.pick());
                case 10 -> model.checkStats();
                default -> model.allocate(action.size(), 1L << action.alignLog());
            }
        }
        model.checkStats();
        model.freeAll();

        HeapStats stats = heap.stats();
        assertThat(stats.bytesUsed()).isZero();
        assertThat(stats.liveBlocks()).isZero();
        assertThat(stats.largestFreeBlock()).isEqualTo(heap.capacity());
        assertThat(stats.bytesFree()).isEqualTo(heap.capacity());
    }

    /** What the heap should hold: live blocks by offset, each with its requested and handed-out size. */
    private static final class Model {
        private final CarveoutHeap heap;
        private final TreeMap<Long, long[]> live = new TreeMap<>();
        private final List<Long> freed = new ArrayList<>();
        private long allocations;
        private long frees;
        private long failed;

        Model(CarveoutHeap heap) {
            this.heap = heap;
        }

        void allocate(long size, long align) {
            long offset = heap.allocate(size, align);
            if (offset == CarveoutHeap.NO_SPACE) {
                Statistics.label("allocate").collect("NO_SPACE");
                failed++;
                checkNoSpaceIsHonest(size, align);
                return;
            }
            allocations++;
            long handedOut = heap.sizeOf(offset);
            Statistics.label("allocate").collect(handedOut <= heap.maxClassSize()
                    && Long.bitCount(handedOut) == 1 && offset % handedOut == 0 ? "class-sized" : "general");
            assertThat(handedOut).isGreaterThanOrEqualTo(size);
            assertThat(handedOut % heap.granule()).isZero();
            assertThat(offset % Math.max(align, heap.granule())).isZero();
            assertThat(offset).isGreaterThanOrEqualTo(heap.baseOffset());
            assertThat(offset + handedOut).isLessThanOrEqualTo(heap.endOffset());
            Map.Entry<Long, long[]> below = live.floorEntry(offset);
            if (below != null) {
                assertThat(below.getKey() + below.getValue()[1]).as("end of the block below")
                        .isLessThanOrEqualTo(offset);
            }
            Map.Entry<Long, long[]> above = live.ceilingEntry(offset);
            if (above != null) {
                assertThat(above.getKey()).as("start of the block above").isGreaterThanOrEqualTo(offset + handedOut);
            }
            live.put(offset, new long[] {size, handedOut});
        }

        /**
         * After a NO_SPACE for an alignment up to the granule, the largest free block is too small: for a
         * general request, smaller than the request; for a class request, too small to hold a block of the
         * class at its alignment (which any free run of 2·class − granule bytes would).
         */
        private void checkNoSpaceIsHonest(long size, long align) {
            if (align > heap.granule() || size > heap.capacity()) {
                return;
            }
            long rounded = (size + heap.granule() - 1) / heap.granule() * heap.granule();
            long classSize = Long.highestOneBit(rounded) == rounded ? rounded : Long.highestOneBit(rounded) << 1;
            long largest = heap.stats().largestFreeBlock();
            if (classSize <= heap.maxClassSize()) {
                assertThat(largest).isLessThan(2 * classSize - heap.granule());
            } else {
                assertThat(largest).isLessThan(rounded);
            }
        }

        void freeOne(int pick) {
            if (live.isEmpty()) {
                return;
            }
            long offset = new ArrayList<>(live.keySet()).get(pick % live.size());
            heap.free(offset);
            live.remove(offset);
            freed.add(offset);
            frees++;
        }

        /**
         * A free of something that is not a live block's start: an offset freed before, one inside a live
         * block, or one anywhere near the heap. Rejected, and nothing changes.
         */
        void bogusFree(int pick) {
            long target;
            int choice = pick % 3;
            if (choice == 0 && !freed.isEmpty()) {
                target = freed.get(pick / 3 % freed.size());
            } else if (choice == 1 && !live.isEmpty()) {
                Map.Entry<Long, long[]> block = new ArrayList<>(live.entrySet()).get(pick / 3 % live.size());
                long granules = block.getValue()[1] / heap.granule();
                target = granules == 1 ? block.getKey() + 8 // misaligned unless the granule is 8
                        : block.getKey() + heap.granule() * (1 + pick / 7 % (granules - 1));
            } else {
                target = heap.baseOffset() - 256 + (pick % (heap.capacity() + 512));
            }
            if (live.containsKey(target)) {
                return;
            }
            Map.Entry<Long, long[]> below = live.floorEntry(target);
            boolean inside = below != null && target < below.getKey() + below.getValue()[1];
            boolean outside = target < heap.baseOffset() || target >= heap.endOffset();
            // A stale offset is a double free only while no block has been carved over it since.
            Reason expected = inside || outside || target % heap.granule() != 0 || !freed.contains(target)
                    ? Reason.NOT_ALLOCATED : null;
            HeapStats before = heap.stats();
            Statistics.label("bogus free").collect(expected == null ? "freed before" : "not allocated");
            Reason want = expected;
            assertThatThrownBy(() -> heap.free(target)).isInstanceOfSatisfying(HeapException.class, e -> {
                assertThat(e.offset()).isEqualTo(target);
                if (want != null) {
                    assertThat(e.reason()).isEqualTo(want);
                }
            });
            assertThat(heap.stats()).isEqualTo(before);
        }

        void checkStats() {
            HeapStats stats = heap.stats();
            long handedOut = live.values().stream().mapToLong(b -> b[1]).sum();
            long requested = live.values().stream().mapToLong(b -> b[0]).sum();
            assertThat(stats.capacity()).isEqualTo(heap.capacity());
            assertThat(stats.bytesUsed() + stats.bytesFree()).isEqualTo(stats.capacity());
            assertThat(stats.bytesUsed()).isEqualTo(handedOut).isGreaterThanOrEqualTo(requested);
            assertThat(stats.largestFreeBlock()).isBetween(0L, stats.bytesFree());
            assertThat(stats.liveBlocks()).isEqualTo(live.size());
            assertThat(stats.allocations() - stats.frees()).isEqualTo(stats.liveBlocks());
            assertThat(stats.allocations()).isEqualTo(allocations);
            assertThat(stats.frees()).isEqualTo(frees);
            assertThat(stats.failedAllocations()).isEqualTo(failed);
        }

        void freeAll() {
            for (long offset : List.copyOf(live.keySet())) {
                heap.free(offset);
                frees++;
            }
            live.clear();
            checkStats();
        }
    }
}
