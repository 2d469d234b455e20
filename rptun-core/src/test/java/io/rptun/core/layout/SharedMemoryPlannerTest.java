package io.rptun.core.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.rptun.core.layout.PlanException.Reason;
import io.rptun.core.layout.PlannedRegion.Kind;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.AddressException;
import io.rptun.core.memory.AddressWindow;
import io.rptun.core.rsc.CarveoutResource;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.RawBytes;
import io.rptun.core.rsc.ResourceTable;
import io.rptun.core.rsc.ResourceTableWriter;
import io.rptun.core.rsc.RptunRsc;
import io.rptun.core.rsc.RptunRscLayout.Generation;
import io.rptun.core.rsc.Rsc;
import io.rptun.core.rsc.TraceResource;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VringResource;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class SharedMemoryPlannerTest {
    private static final long REGION = 0x80000;
    private static final PlanOptions NUTTX = PlanOptions.of(REGION).withTableReserve(Generation.CURRENT.size());

    /** NuttX's current table, 256-entry vrings at ANY, and a carveout at da = pa 0x10000. */
    private static RptunRsc nuttx() {
        return RptunRsc.defaults(Generation.CURRENT).withVrings(256, 0x1000).withCarveout(0x10000, 0x10000, 0x70000);
    }

    private static VdevResource vdev(long da0, long da1) {
        return new VdevResource(7, 0, 1, 0, 0, 0, 0,
                List.of(new VringResource(da0, 0x1000, 256, 1, 0), new VringResource(da1, 0x1000, 256, 2, 0)),
                RawBytes.empty());
    }

    private static void assertFails(Reason reason, ThrowingCallable call, String... messageParts) {
        assertThatThrownBy(call).isInstanceOfSatisfying(PlanException.class,
                e -> assertThat(e.reason()).isEqualTo(reason)).message().contains(messageParts);
    }

    @Test
    void nuttxVringsAreCarvedFromTheStartOfTheCarveoutAndTheRestIsTheHeap() {
        MemoryPlan plan = SharedMemoryPlanner.plan(nuttx().toTable(), NUTTX);

        // vring_size(256, 0x1000) = 0x2806, so each vring takes align_up(0x2806, 0x1000) = 0x3000.
        assertThat(plan.regions()).extracting(PlannedRegion::kind, PlannedRegion::offset, PlannedRegion::end)
                .containsExactly(
                        tuple(Kind.TABLE, 0L, 0x108L),
                        tuple(Kind.CARVEOUT, 0x10000L, 0x80000L),
                        tuple(Kind.VRING, 0x10000L, 0x13000L),
                        tuple(Kind.VRING, 0x13000L, 0x16000L),
                        tuple(Kind.HEAP, 0x16000L, 0x80000L),
                        tuple(Kind.RX_BUFFERS, 0x16000L, 0x36000L),
                        tuple(Kind.TX_BUFFERS, 0x36000L, 0x80000L));
        assertThat(plan.heap(0).offset()).isEqualTo(0x16000);
        ResourceTable expected = nuttx().withVringDas(0x10000, 0x13000).toTable();
        assertThat(plan.resolvedTable()).isEqualTo(expected);
    }

    @Test
    void rxBuffersTakeTheirSizeFromTheConfigWhenTheVdevOffersBufsz() {
        MemoryPlan plan = SharedMemoryPlanner.plan(
                RptunRsc.defaults(Generation.CURRENT).withBufferSizes(1024, 2048)
                        .withCarveout(0x1000, Rsc.ADDR_ANY, 0x8000).toTable(),
                NUTTX);

        // num 8, align 8: vring_size = 222 bytes, 224 with its alignment.
        assertThat(plan.vring(0, 0).offset()).isEqualTo(0x1000);
        assertThat(plan.vring(0, 1).offset()).isEqualTo(0x10e0);
        assertThat(plan.heap(0)).extracting(PlannedRegion::offset, PlannedRegion::end)
                .containsExactly(0x11c0L, 0x9000L);
        assertThat(plan.regions()).filteredOn(r -> r.kind() == Kind.RX_BUFFERS)
                .extracting(PlannedRegion::offset, PlannedRegion::size).containsExactly(tuple(0x11c0L, 8L * 2048));
        assertThat(plan.regions()).filteredOn(r -> r.kind() == Kind.TX_BUFFERS)
                .extracting(PlannedRegion::label)
                .containsExactly("vdev0 TX buffers (allocated lazily, 1024 bytes each)");
        assertThat(plan.resolvedTable().carveouts().getFirst().pa()).isEqualTo(0x1000);
    }

    @Test
    void aCarveoutAtAnyIsPlacedAfterTheTableAtTheVringAlignment() {
        ResourceTable table = nuttx().withCarveout(Rsc.ADDR_ANY, Rsc.ADDR_ANY, 0x40000).toTable();
        MemoryPlan plan = SharedMemoryPlanner.plan(table, NUTTX);

        assertThat(plan.regions()).filteredOn(r -> r.kind() == Kind.CARVEOUT)
                .extracting(PlannedRegion::offset, PlannedRegion::end).containsExactly(tuple(0x1000L, 0x41000L));
        assertThat(plan.resolvedTable().carveouts()).containsExactly(CarveoutResource.of("", 0x1000, 0x1000, 0x40000));
        assertThat(plan.resolvedTable().vdevs().getFirst().vrings()).extracting(VringResource::da)
                .containsExactly(0x1000L, 0x4000L);
        assertThat(plan.heap(0)).extracting(PlannedRegion::offset, PlannedRegion::end)
                .containsExactly(0x7000L, 0x41000L);
        assertThat(plan.describe()).contains("0x00041000  0x00080000  0x0003f000  0x00041000  (free)");
    }

    @Test
    void theSeedTableWithoutCarveoutGetsVringsAfterTheTableAndTheHeapAfterThem() {
        MemoryPlan plan = SharedMemoryPlanner.plan(RptunRsc.defaults(Generation.SEED).toTable(),
                PlanOptions.of(0x10000).withTableReserve(Generation.SEED.size()));

        // sizeof(rptun_rsc_s) = 208 = 0xd0; each 8-entry vring takes 224 = 0xe0.
        assertThat(plan.regions()).extracting(PlannedRegion::kind, PlannedRegion::offset, PlannedRegion::end)
                .containsExactly(
                        tuple(Kind.TABLE, 0L, 0xd0L),
                        tuple(Kind.VRING, 0xd0L, 0x1b0L),
                        tuple(Kind.VRING, 0x1b0L, 0x290L),
                        tuple(Kind.HEAP, 0x290L, 0x10000L),
                        tuple(Kind.RX_BUFFERS, 0x290L, 0x1290L),
                        tuple(Kind.TX_BUFFERS, 0x1290L, 0x10000L));
        assertThat(plan.resolvedTable())
                .isEqualTo(RptunRsc.defaults(Generation.SEED).withVringDas(0xd0, 0x1b0).toTable());
    }

    @Test
    void anAddressWindowAndABasePaMoveEveryDaConsistently() {
        AddressEnvironment env = AddressEnvironment.of(new AddressWindow(0x8000_0000L, 0x1000_0000L, 0x10_0000));
        PlanOptions options = NUTTX.withBasePa(0x8000_0000L).withEnv(env);
        ResourceTable table = nuttx().withCarveout(0x1001_0000L, Rsc.ADDR_ANY, 0x70000).toTable();

        MemoryPlan plan = SharedMemoryPlanner.plan(table, options);

        assertThat(plan.regions()).extracting(PlannedRegion::kind, PlannedRegion::offset, PlannedRegion::da)
                .startsWith(
                        tuple(Kind.TABLE, 0L, 0x1000_0000L),
                        tuple(Kind.CARVEOUT, 0x10000L, 0x1001_0000L),
                        tuple(Kind.VRING, 0x10000L, 0x1001_0000L),
                        tuple(Kind.VRING, 0x13000L, 0x1001_3000L),
                        tuple(Kind.HEAP, 0x16000L, 0x1001_6000L));
        assertThat(plan.resolvedTable().carveouts())
                .containsExactly(CarveoutResource.of("", 0x1001_0000L, 0x8001_0000L, 0x70000));
        assertThat(plan.resolvedTable().vdevs().getFirst().vrings()).extracting(VringResource::da)
                .containsExactly(0x1001_0000L, 0x1001_3000L);
        assertThat(plan.describe()).startsWith("shared region 0x80000 bytes at pa 0x80000000")
                .contains("0x00016000  0x00080000  0x0006a000  0x10016000    vdev0 heap");

        MemoryPlan any = SharedMemoryPlanner.plan(nuttx().withCarveout(Rsc.ADDR_ANY, Rsc.ADDR_ANY, 0x40000).toTable(),
                options);
        assertThat(any.resolvedTable().carveouts())
                .containsExactly(CarveoutResource.of("", 0x1000_1000L, 0x8000_1000L, 0x40000));
    }

    @Test
    void traceMemoryOutsideTheRegionIsListedAfterTheMap() {
        ResourceTable table = nuttx().withTrace(0x9000_0000L, 0x1000, "log").toTable();
        MemoryPlan plan = SharedMemoryPlanner.plan(table, NUTTX);

        assertThat(plan.outsideRegion()).extracting(PlannedRegion::kind, PlannedRegion::da)
                .containsExactly(tuple(Kind.TRACE, 0x9000_0000L));
        assertThat(plan.describe().lines().toList().getLast())
                .contains("trace0 \"log\"", "outside the shared region", "0x90000000");
    }

    @Test
    void traceMemoryInsideTheRegionIsPlacedAndChecked() {
        MemoryPlan plan = SharedMemoryPlanner.plan(nuttx().withTrace(0x8000, 0x1000, "log").toTable(), NUTTX);
        assertThat(plan.regions()).filteredOn(r -> r.kind() == Kind.TRACE)
                .extracting(PlannedRegion::offset, PlannedRegion::size).containsExactly(tuple(0x8000L, 0x1000L));

        assertFails(Reason.OVERLAP,
                () -> SharedMemoryPlanner.plan(nuttx().withTrace(0x18000, 0x1000, "log").toTable(), NUTTX),
                "trace0 \"log\"", "carveout0");
        assertFails(Reason.OUTSIDE_REGION,
                () -> SharedMemoryPlanner.plan(nuttx().withTrace(0x7f000, 0x2000, "log").toTable(), NUTTX),
                "0x7f000");
    }

    @Test
    void aRegionTooSmallForTheTableIsRefused() {
        assertFails(Reason.REGION_TOO_SMALL,
                () -> SharedMemoryPlanner.plan(nuttx().toTable(), NUTTX.withRegionSize(0x100)),
                "0x108", "0x100");
        assertFails(Reason.TABLE_TOO_LARGE,
                () -> SharedMemoryPlanner.plan(nuttx().toTable(), NUTTX.withTableReserve(0x40)),
                "0x108", "0x40");
    }

    @Test
    void aStaticVringOutsideTheRegionIsRefused() {
        assertFails(Reason.OUTSIDE_REGION,
                () -> SharedMemoryPlanner.plan(ResourceTable.of(vdev(0x4000, 0x8000)), PlanOptions.of(0x9000)),
                "vdev0 vring1", "0x8000", "0x2806", "0x9000");
    }

    @Test
    void aStaticVringOverlappingTheTableIsRefused() {
        assertFails(Reason.OVERLAP,
                () -> SharedMemoryPlanner.plan(ResourceTable.of(vdev(0x4000, 0x8000)),
                        PlanOptions.of(REGION).withTableReserve(0x5000)),
                "vdev0 vring0", "[0x4000, 0x6806)", "resource table", "[0x0, 0x5000)");
    }

    @Test
    void twoStaticVringsOverlappingAreRefused() {
        assertFails(Reason.OVERLAP,
                () -> SharedMemoryPlanner.plan(ResourceTable.of(vdev(0x4000, 0x6000)), PlanOptions.of(REGION)),
                "vdev0 vring1 (num 256, align 0x1000) [0x6000, 0x8806) overlaps vdev0 vring0");
    }

    @Test
    void aMisalignedStaticVringIsRefused() {
        assertFails(Reason.MISALIGNED,
                () -> SharedMemoryPlanner.plan(ResourceTable.of(vdev(0x4800, 0x8000)), PlanOptions.of(REGION)),
                "0x4800", "0x1000");
    }

    @Test
    void aCarveoutTooSmallForItsVringsIsRefused() {
        assertFails(Reason.CARVEOUT_TOO_SMALL,
                () -> SharedMemoryPlanner.plan(nuttx().withCarveout(0x10000, 0x10000, 0x5000).toTable(), NUTTX),
                "carveout0", "vdev0 vring1", "0x3000", "0x13000");
    }

    @Test
    void aCarveoutOutsideTheRegionIsRefused() {
        assertFails(Reason.OUTSIDE_REGION,
                () -> SharedMemoryPlanner.plan(nuttx().withCarveout(0x70000, 0x70000, 0x20000).toTable(), NUTTX),
                "carveout0", "0x70000", "0x20000", "0x80000");
    }

    @Test
    void aCarveoutWhosePaContradictsItsDaIsRefused() {
        assertFails(Reason.BAD_ADDRESS,
                () -> SharedMemoryPlanner.plan(nuttx().withCarveout(0x10000, 0x20000, 0x10000).toTable(), NUTTX),
                "da 0x10000 translates to pa 0x10000", "pa 0x20000");
    }

    @Test
    void aCarveoutAcrossAWindowEdgeIsABadAddressWithTheTranslationErrorAsCause() {
        PlanOptions options = NUTTX.withEnv(AddressEnvironment.of(new AddressWindow(0x40000, 0x40000, 0x10000)));
        assertThatThrownBy(() -> SharedMemoryPlanner.plan(nuttx().toTable(), options))
                .isInstanceOfSatisfying(PlanException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.BAD_ADDRESS);
                    assertThat(e.getCause()).isInstanceOf(AddressException.class);
                });
    }

    @Test
    void aHeapOffsetOverlappingAVringIsRefused() {
        assertFails(Reason.OVERLAP,
                () -> SharedMemoryPlanner.plan(ResourceTable.of(vdev(0x4000, 0x8000)),
                        PlanOptions.of(REGION).withHeapOffset(0x9000)),
                "vdev0 heap [0x9000, 0x80000) overlaps vdev0 vring1");
    }

    @Test
    void aHeapTooSmallForTheRxBuffersIsRefused() {
        assertFails(Reason.HEAP_TOO_SMALL,
                () -> SharedMemoryPlanner.plan(ResourceTable.of(vdev(0x4000, 0x8000)),
                        PlanOptions.of(REGION).withHeapOffset(0x70000)),
                "vdev0 heap [0x70000, 0x80000)", "256 x 512 = 0x20000");
    }

    @Test
    void twoVdevsWithoutCarveoutsAreRefused() {
        assertFails(Reason.NO_CARVEOUT,
                () -> SharedMemoryPlanner.plan(ResourceTable.of(vdev(0x4000, 0x8000), vdev(0xc000, 0x10000)),
                        PlanOptions.of(REGION)),
                "2 vdevs but 0 carveouts");
    }

    @Test
    void theVdevWithoutACarveoutSharesTheRegionWithTheOthers() {
        ResourceTable table = ResourceTable.of(
                vdev(Rsc.ADDR_ANY, Rsc.ADDR_ANY), CarveoutResource.of("vdev0", Rsc.ADDR_ANY, Rsc.ADDR_ANY, 0x30000),
                vdev(0, 0));
        MemoryPlan plan = SharedMemoryPlanner.plan(table, PlanOptions.of(REGION));

        // Table 0xdc bytes; carveout0 at 0x1000 (vdev0's vrings and heap); vdev1's vrings after it.
        assertThat(plan.resolvedTable().vdevs()).extracting(v -> v.vrings().get(0).da(), v -> v.vrings().get(1).da())
                .containsExactly(tuple(0x1000L, 0x4000L), tuple(0x31000L, 0x34000L));
        assertThat(plan.heap(1)).extracting(PlannedRegion::offset, PlannedRegion::end)
                .containsExactly(0x37000L, REGION);
        assertThat(plan.heap(0)).extracting(PlannedRegion::offset, PlannedRegion::end)
                .containsExactly(0x7000L, 0x31000L);
    }

    @Test
    void applyZeroesTheVringsAndWritesTheirDaBackIntoTheLiveTable() {
        RptunRsc rsc = nuttx();
        MemoryPlan plan = SharedMemoryPlanner.plan(rsc.toTable(), NUTTX);
        MemorySegment region = MemorySegment.ofArray(new byte[(int) REGION]);
        region.fill((byte) 0x5a);
        MemorySegment.copy(MemorySegment.ofArray(rsc.toBytes()), 0, region, 0, Generation.CURRENT.size());
        LiveResourceTable live = ResourceTable.parse(region, ParseMode.NUTTX).attach(region);

        plan.apply(region, live);

        assertThat(live.snapshot(ParseMode.NUTTX).table()).isEqualTo(plan.resolvedTable());
        assertThat(live.vringDa(0, 1)).isEqualTo(0x13000);
        for (long at = 0x10000; at < 0x16000; at++) {
            assertThat(region.get(ValueLayout.JAVA_BYTE, at)).as("byte 0x%x", at).isZero();
        }
        assertThat(region.get(ValueLayout.JAVA_BYTE, 0x16000)).isEqualTo((byte) 0x5a);
        assertThat(region.get(ValueLayout.JAVA_BYTE, 0xffff)).isEqualTo((byte) 0x5a);
    }

    @Test
    void applyPublishesACarveoutPlacedFromAny() {
        ResourceTable table = ResourceTable.of(
                vdev(Rsc.ADDR_ANY, Rsc.ADDR_ANY), CarveoutResource.of("shm", Rsc.ADDR_ANY, Rsc.ADDR_ANY, 0x30000));
        MemoryPlan plan = SharedMemoryPlanner.plan(table, PlanOptions.of(REGION));
        MemorySegment region = MemorySegment.ofArray(new byte[(int) REGION]);
        ResourceTableWriter.write(table, region);
        LiveResourceTable live = ResourceTable.parse(region, ParseMode.OPENAMP).attach(region);

        plan.apply(region, live);

        CarveoutResource placed = plan.resolvedTable().carveouts().getFirst();
        assertThat(placed.da()).isNotEqualTo(Rsc.ADDR_ANY);
        assertThat(live.carveoutDa(0)).isEqualTo(placed.da());
        assertThat(live.carveoutPa(0)).isEqualTo(placed.pa());
        assertThat(live.snapshot(ParseMode.OPENAMP).table()).isEqualTo(plan.resolvedTable());
    }

    @Test
    void applyRefusesASmallerRegionOrATableOfAnotherShape() {
        MemoryPlan plan = SharedMemoryPlanner.plan(nuttx().toTable(), NUTTX);
        ResourceTable traceOnly = ResourceTable.of(new TraceResource(0, 0, 0, ""));
        MemorySegment region = MemorySegment.ofArray(new byte[(int) REGION]);
        ResourceTableWriter.write(traceOnly, region);
        LiveResourceTable live = ResourceTable.parse(region, ParseMode.NUTTX).attach(region);

        assertThatThrownBy(() -> plan.apply(region.asSlice(0, 0x1000), live))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("region size=0x1000");
        assertThatThrownBy(() -> plan.apply(region, live))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("live table has 0 vdevs");
    }
}
