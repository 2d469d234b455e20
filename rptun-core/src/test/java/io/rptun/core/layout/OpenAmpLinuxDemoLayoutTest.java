package io.rptun.core.layout;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.layout.PlannedRegion.Kind;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.RawBytes;
import io.rptun.core.rsc.ResourceTable;
import io.rptun.core.rsc.ResourceTableWriter;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VringResource;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The memory map of OpenAMP's Linux userspace demo (docs/protocols.md section 5): an 88-byte table at 0,
 * static vrings at 0x4000 and 0x8000, and the host's heap from SHARED_BUF_OFFSET 0x10000 with 256 RX
 * buffers of 512 bytes, TX buffers from 0x30000 on.
 */
class OpenAmpLinuxDemoLayoutTest {

    static ResourceTable demoTable() {
        return ResourceTable.of(new VdevResource(7, 0, 1, 0, 0, 0, 0,
                List.of(new VringResource(0x4000, 0x1000, 256, 1, 0),
                        new VringResource(0x8000, 0x1000, 256, 2, 0)),
                RawBytes.empty()));
    }

    @Test
    void theDemoTableIs88BytesWithTheVdevAt0x14() {
        byte[] bytes = ResourceTableWriter.toBytes(demoTable());
        assertThat(bytes).hasSize(88);
        ParsedResourceTable parsed = ResourceTable.parse(MemorySegment.ofArray(bytes), ParseMode.OPENAMP);
        assertThat(parsed.vdevOffset(0)).isEqualTo(0x14);
        assertThat(parsed.table()).isEqualTo(demoTable());
    }

    @Test
    void planningTheDemoGivesExactlyOpenAmpsMemoryMap() {
        MemoryPlan plan = SharedMemoryPlanner.plan(demoTable(), PlanOptions.of(0x80000).withHeapOffset(0x10000));
        System.out.println(plan.describe());

        assertThat(plan.regions()).extracting(PlannedRegion::kind, PlannedRegion::offset, PlannedRegion::end)
                .containsExactly(
                        tuple(Kind.TABLE, 0L, 0x58L),
                        tuple(Kind.VRING, 0x4000L, 0x6806L),
                        tuple(Kind.VRING, 0x8000L, 0xA806L),
                        tuple(Kind.HEAP, 0x10000L, 0x80000L),
                        tuple(Kind.RX_BUFFERS, 0x10000L, 0x30000L),
                        tuple(Kind.TX_BUFFERS, 0x30000L, 0x80000L));
        assertThat(plan.vring(0, 0).label()).isEqualTo("vdev0 vring0 (num 256, align 0x1000)");
        assertThat(plan.vring(0, 1).da()).isEqualTo(0x8000);
        assertThat(plan.heap(0)).isEqualTo(new PlannedRegion(Kind.HEAP, "vdev0 heap", 0x10000, 0x70000, 0x10000));
        assertThat(plan.regions().get(4).size()).isEqualTo(256 * 512);
        assertThat(plan.resolvedTable()).isEqualTo(demoTable());
        assertThat(plan.outsideRegion()).isEmpty();
    }

    @Test
    void theDescribedMapShowsEveryOffsetAndTheGapsBetween() {
        String map = SharedMemoryPlanner.plan(demoTable(), PlanOptions.of(0x80000).withHeapOffset(0x10000))
                .describe();

        assertThat(map).startsWith("shared region 0x80000 bytes at pa 0x0");
        assertThat(map).contains(
                "0x00000000  0x00000058  0x00000058  0x00000000  resource table",
                "0x00000058  0x00004000  0x00003fa8  0x00000058  (free)",
                "0x00004000  0x00006806  0x00002806  0x00004000  vdev0 vring0 (num 256, align 0x1000)",
                "0x00006806  0x00008000  0x000017fa  0x00006806  (free)",
                "0x00008000  0x0000a806  0x00002806  0x00008000  vdev0 vring1 (num 256, align 0x1000)",
                "0x0000a806  0x00010000  0x000057fa  0x0000a806  (free)",
                "0x00010000  0x00080000  0x00070000  0x00010000  vdev0 heap",
                "0x00010000  0x00030000  0x00020000  0x00010000    vdev0 RX buffers (256 x 512 bytes)",
                "0x00030000  0x00080000  0x00050000  0x00030000    vdev0 TX buffers (allocated lazily, 512 bytes"
                        + " each)");
        assertThat(map.lines()).hasSize(2 + 9);
    }

    private static org.assertj.core.groups.Tuple tuple(Object... values) {
        return org.assertj.core.groups.Tuple.tuple(values);
    }
}
