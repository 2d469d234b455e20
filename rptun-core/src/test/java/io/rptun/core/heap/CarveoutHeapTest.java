package io.rptun.core.heap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.heap.HeapException.Reason;
import io.rptun.core.layout.MemoryPlan;
import io.rptun.core.layout.PlanOptions;
import io.rptun.core.layout.SharedMemoryPlanner;
import io.rptun.core.rsc.RptunRsc;
import io.rptun.core.rsc.RptunRscLayout.Generation;
import io.rptun.core.rsc.Rsc;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class CarveoutHeapTest {
    /** A heap that starts at an odd place of a segment: not page aligned, and not 64-byte aligned. */
    private static final long BASE = 0x1_1010;
    private static final long SIZE = 0x4_0000;

    private static void assertRejected(CarveoutHeap heap, Reason reason, long offset, ThrowingCallable call) {
        HeapStats before = heap.stats();
        assertThatThrownBy(call).isInstanceOfSatisfying(HeapException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.offset()).isEqualTo(offset);
        }).hasMessageContaining("0x" + Long.toHexString(offset));
        assertThat(heap.stats()).isEqualTo(before);
    }

    @Test
    void theBaseIsRoundedUpAndTheEndDownToTheGranule() {
        CarveoutHeap heap = CarveoutHeap.of(100, 10_000);

        assertThat(heap.baseOffset()).isEqualTo(128);
        assertThat(heap.endOffset()).isEqualTo(10_048);
        assertThat(heap.capacity()).isEqualTo(9_920);
        assertThat(heap.granule()).isEqualTo(CarveoutHeap.DEFAULT_GRANULE);
        assertThat(CarveoutHeap.of(64, 128, 32)).extracting(CarveoutHeap::baseOffset, CarveoutHeap::capacity)
                .containsExactly(64L, 128L);
    }

    @Test
    void theLargestClassIsAnEighthOfTheCapacityUpTo64KiB() {
        assertThat(CarveoutHeap.of(0, 1 << 20).maxClassSize()).isEqualTo(64 * 1024);
        assertThat(CarveoutHeap.of(0, 100_000).maxClassSize()).isEqualTo(8 * 1024);
        assertThat(CarveoutHeap.of(0, 256).maxClassSize()).isEqualTo(64);
    }

    @Test
    void anAllocationLiesInsideTheHeapIsGranuleAlignedAndAtLeastAsLargeAsAsked() {
        CarveoutHeap heap = CarveoutHeap.of(BASE, SIZE);

        long offset = heap.allocate(100, 1);

        assertThat(offset).isBetween(heap.baseOffset(), heap.endOffset() - 100);
        assertThat(offset % 64).isZero();
        assertThat(heap.sizeOf(offset)).isEqualTo(128);
    }

    @Test
    void sizeOfIsTheSizeAsHandedOutRoundedToTheClassOrTheGranule() {
        CarveoutHeap heap = CarveoutHeap.of(0, 1 << 20);

        assertThat(heap.sizeOf(heap.allocate(1, 8))).isEqualTo(64);
        assertThat(heap.sizeOf(heap.allocate(65, 8))).isEqualTo(128);
        assertThat(heap.sizeOf(heap.allocate(3000, 8))).isEqualTo(4096);
        assertThat(heap.sizeOf(heap.allocate(100_000, 8))).isEqualTo(100_032);
    }

    @Test
    void everyAlignmentFromOneTo4096IsHonouredRelativeToTheSegment() {
        CarveoutHeap heap = CarveoutHeap.of(BASE, SIZE);

        for (long align = 1; align <= 4096; align <<= 1) {
            for (long size : new long[] {1, 100, 700, 5000}) {
                long offset = heap.allocate(size, align);
                assertThat(offset).as("size %d align %d", size, align).isNotEqualTo(CarveoutHeap.NO_SPACE);
                assertThat(offset % Math.max(align, 64)).as("size %d align %d", size, align).isZero();
                assertThat(offset + size).isLessThanOrEqualTo(heap.endOffset());
                heap.free(offset);
            }
        }
    }

    @Test
    void alignmentsLargerThanTheLargestClassAreHonouredByTheGeneralAllocator() {
        CarveoutHeap heap = CarveoutHeap.of(0x3040, 4 << 20);

        long a = heap.allocate(64, 128 * 1024);
        long b = heap.allocate(200_000, 1 << 20);
        long c = heap.allocate(64, 1 << 20);

        assertThat(a % (128 * 1024)).isZero();
        assertThat(b % (1 << 20)).isZero();
        assertThat(c % (1 << 20)).isZero();
        assertThat(heap.sizeOf(a)).isEqualTo(64);
        assertThat(List.of(a, b, c)).doesNotHaveDuplicates();
        assertThat(heap.allocate(64, 1L << 40)).isEqualTo(CarveoutHeap.NO_SPACE);
    }

    @Test
    void aRequestThatCannotBeSatisfiedIsNoSpaceAndIsCountedAsAFailedAllocation() {
        CarveoutHeap heap = CarveoutHeap.of(BASE, SIZE);

        assertThat(heap.allocate(SIZE + 1, 8)).isEqualTo(CarveoutHeap.NO_SPACE);
        assertThat(heap.allocate(Long.MAX_VALUE, 8)).isEqualTo(CarveoutHeap.NO_SPACE);
        assertThat(heap.allocate(heap.capacity() - 64, 1L << 30)).isEqualTo(CarveoutHeap.NO_SPACE);

        HeapStats stats = heap.stats();
        assertThat(stats.failedAllocations()).isEqualTo(3);
        assertThat(stats.allocations()).isZero();
        assertThat(stats.bytesUsed()).isZero();
    }

    @Test
    void anExhaustedHeapServesAgainOnceABlockIsFreed() {
        CarveoutHeap heap = CarveoutHeap.of(0x1_0000, SIZE);
        List<Long> blocks = new ArrayList<>();
        long offset;
        while ((offset = heap.allocate(512, 8)) != CarveoutHeap.NO_SPACE) {
            blocks.add(offset);
        }

        assertThat(blocks).hasSize((int) (heap.capacity() / 512));
        assertThat(heap.allocate(1, 1)).isEqualTo(CarveoutHeap.NO_SPACE);
        heap.free(blocks.get(17));
        assertThat(heap.allocate(512, 8)).isEqualTo(blocks.get(17));
        assertThat(heap.stats().failedAllocations()).isEqualTo(2);
        assertThat(heap.stats().bytesFree()).isZero();
    }

    @Test
    void smallBlocksCachedInTheirClassesAreTakenBackForOneLargeBlock() {
        CarveoutHeap heap = CarveoutHeap.of(BASE, SIZE);
        List<Long> blocks = new ArrayList<>();
        long offset;
        for (int i = 0; (offset = heap.allocate(1 + i % 200, 8)) != CarveoutHeap.NO_SPACE; i++) {
            blocks.add(offset);
        }
        blocks.forEach(heap::free);

        long all = heap.allocate(heap.capacity() - 64, 64);

        assertThat(all).isEqualTo(heap.baseOffset());
        heap.free(all);
        assertThat(heap.stats().largestFreeBlock()).isEqualTo(heap.capacity());
    }

    @Test
    void statsCountBytesBlocksAndOperations() {
        CarveoutHeap heap = CarveoutHeap.of(BASE, SIZE);
        long a = heap.allocate(100, 8);
        long b = heap.allocate(20_000, 8);
        heap.allocate(30, 8);
        heap.free(a);
        heap.allocate(SIZE * 2, 8);

        HeapStats stats = heap.stats();

        assertThat(stats).isEqualTo(new HeapStats(heap.capacity(), 20_032 + 64, heap.capacity() - 20_032 - 64,
                stats.largestFreeBlock(), 3, 1, 1, 2));
        heap.free(b);
        assertThat(heap.stats().largestFreeBlock()).isGreaterThanOrEqualTo(heap.capacity() - 4096);
    }

    @Test
    void aDoubleFreeIsReportedAndChangesNothing() {
        CarveoutHeap heap = CarveoutHeap.of(BASE, SIZE);
        long small = heap.allocate(256, 8);
        long large = heap.allocate(30_000, 8);
        long aligned = heap.allocate(64, 8192);
        heap.free(small);
        heap.free(large);
        heap.free(aligned);

        assertRejected(heap, Reason.DOUBLE_FREE, small, () -> heap.free(small));
        assertRejected(heap, Reason.DOUBLE_FREE, large, () -> heap.free(large));
        assertRejected(heap, Reason.DOUBLE_FREE, aligned, () -> heap.free(aligned));
    }

    @Test
    void aFreeOfAnOffsetTheHeapDidNotHandOutIsReportedAndChangesNothing() {
        CarveoutHeap heap = CarveoutHeap.of(BASE, SIZE);
        long small = heap.allocate(256, 8);
        long large = heap.allocate(30_000, 8);
        long spare = small + 256;

        assertRejected(heap, Reason.NOT_ALLOCATED, 0, () -> heap.free(0));
        assertRejected(heap, Reason.NOT_ALLOCATED, BASE, () -> heap.free(BASE));
        assertRejected(heap, Reason.NOT_ALLOCATED, heap.endOffset(), () -> heap.free(heap.endOffset()));
        assertRejected(heap, Reason.NOT_ALLOCATED, -64, () -> heap.free(-64));
        assertRejected(heap, Reason.NOT_ALLOCATED, small + 8, () -> heap.free(small + 8));
        assertRejected(heap, Reason.NOT_ALLOCATED, small + 64, () -> heap.free(small + 64));
        assertRejected(heap, Reason.NOT_ALLOCATED, large + 4096, () -> heap.free(large + 4096));
        assertRejected(heap, Reason.NOT_ALLOCATED, spare, () -> heap.free(spare));
        long never = heap.endOffset() - 64;
        assertRejected(heap, Reason.NOT_ALLOCATED, never, () -> heap.free(never));
        assertRejected(heap, Reason.NOT_ALLOCATED, small + 64, () -> heap.sizeOf(small + 64));
    }

    @Test
    void anOffsetInsideANewBlockIsNotMistakenForTheFreedBlockThatStartedThere() {
        CarveoutHeap heap = CarveoutHeap.of(0, 1 << 20);
        long first = heap.allocate(100_000, 8);
        long second = heap.allocate(100_000, 8);
        heap.free(first);
        heap.free(second);
        long merged = heap.allocate(200_000, 8);

        assertThat(merged).isEqualTo(first);
        assertRejected(heap, Reason.NOT_ALLOCATED, second, () -> heap.free(second));
    }

    @Test
    void invalidSizesAndAlignmentsAreRejected() {
        CarveoutHeap heap = CarveoutHeap.of(BASE, SIZE);

        assertThatThrownBy(() -> heap.allocate(0, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("size=0");
        assertThatThrownBy(() -> heap.allocate(-1, 8)).hasMessage("size=-1");
        assertThatThrownBy(() -> heap.allocate(8, 0)).hasMessageStartingWith("align=0");
        assertThatThrownBy(() -> heap.allocate(8, 24)).hasMessageStartingWith("align=24");
        assertThatThrownBy(() -> heap.allocate(8, Long.MIN_VALUE)).hasMessageStartingWith("align=");
        assertThatThrownBy(() -> CarveoutHeap.of(-1, 8)).hasMessageStartingWith("baseOffset=-1");
        assertThatThrownBy(() -> CarveoutHeap.of(0, -8)).hasMessageStartingWith("size=-8");
        assertThatThrownBy(() -> CarveoutHeap.of(16, Long.MAX_VALUE)).hasMessageStartingWith("size=");
        assertThatThrownBy(() -> CarveoutHeap.of(0, 1024, 4)).hasMessageStartingWith("granule=4");
        assertThatThrownBy(() -> CarveoutHeap.of(0, 1024, 48)).hasMessageStartingWith("granule=48");
        assertThatThrownBy(() -> CarveoutHeap.of(0, 64L << 29)).hasMessageStartingWith("size=");
        assertThat(heap.stats().failedAllocations()).isZero();
    }

    @Test
    void anEmptyHeapAnswersNoSpace() {
        for (CarveoutHeap heap : List.of(CarveoutHeap.of(0, 0), CarveoutHeap.of(10, 50),
                CarveoutHeap.of(Long.MAX_VALUE - 10, 10))) {
            assertThat(heap.capacity()).isZero();
            assertThat(heap.allocate(1, 1)).isEqualTo(CarveoutHeap.NO_SPACE);
            assertThat(heap.stats()).isEqualTo(new HeapStats(0, 0, 0, 0, 0, 0, 1, 0));
        }
    }

    @Test
    void theHeapOfAPlannedVdevIsTheRestOfItsCarveout() {
        MemoryPlan plan = SharedMemoryPlanner.plan(
                RptunRsc.defaults(Generation.CURRENT).withVrings(256, 0x1000)
                        .withCarveout(0x10000, 0x10000, 0x70000).toTable(),
                PlanOptions.of(0x80000).withTableReserve(Generation.CURRENT.size()));

        CarveoutHeap heap = plan.carveoutHeap(0);

        assertThat(heap.baseOffset()).isEqualTo(0x16000);
        assertThat(heap.endOffset()).isEqualTo(0x80000);
        long rx = heap.allocate(256 * RptunRsc.DEFAULT_BUFFER_SIZE, 8);
        assertThat(rx).isEqualTo(0x16000);
        assertThatThrownBy(() -> plan.carveoutHeap(1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void aCarveoutPlacedByThePlannerGivesTheHeapAfterItsVrings() {
        MemoryPlan plan = SharedMemoryPlanner.plan(
                RptunRsc.defaults(Generation.CURRENT).withCarveout(0x1000, Rsc.ADDR_ANY, 0x8000).toTable(),
                PlanOptions.of(0x80000).withTableReserve(Generation.CURRENT.size()));

        CarveoutHeap heap = plan.carveoutHeap(0);

        assertThat(heap.baseOffset()).isEqualTo(0x11c0);
        assertThat(heap.endOffset()).isEqualTo(0x9000);
    }

    @Test
    void aFreedClassBlockIsHandedOutAgainFirst() {
        CarveoutHeap heap = CarveoutHeap.of(BASE, SIZE);
        long a = heap.allocate(512, 8);
        heap.allocate(512, 8);
        heap.free(a);

        assertThat(heap.allocate(400, 8)).isEqualTo(a);
        assertThat(heap.toString()).contains("0x" + Long.toHexString(heap.baseOffset()), "granule 64");
    }
}
