package io.rptun.core.rsc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A table is edited by replacing records (an entry, a vring), and the edited table writes and parses back. */
class ResourceTableEditTest {
    private static final ResourceTable FIRMWARE = ResourceTable.of(
            VdevResource.rpmsg(1, List.of(VringResource.allocated(256, 4096), VringResource.allocated(256, 4096)),
                    RawBytes.empty()),
            CarveoutResource.of("shm", Rsc.ADDR_ANY, Rsc.ADDR_ANY, 0x40000));

    @Test
    void notifyIdsLeftToTheHostAreGivenOutByReplacingTheVdevAndTheTableWritesAndParsesBackWithThem() {
        VdevResource vdev = FIRMWARE.vdevs().getFirst();
        List<VringResource> numbered = List.of(vdev.vrings().get(0).withNotifyId(1), vdev.vrings().get(1).withNotifyId(2));
        ResourceTable assigned = FIRMWARE.withEntry(0, vdev.withVrings(numbered));

        ParsedResourceTable back = ResourceTableParser.parse(
                MemorySegment.ofArray(ResourceTableWriter.toBytes(assigned)), ParseMode.OPENAMP);

        assertThat(back.table()).isEqualTo(assigned);
        assertThat(back.table().vdevs().getFirst().vrings()).extracting(VringResource::notifyId).containsExactly(1, 2);
        assertThat(back.table().vdevs().getFirst().vrings()).extracting(VringResource::num).containsExactly(256, 256);
        assertThat(back.table().entries().get(1)).as("the other entry as it was").isEqualTo(FIRMWARE.entries().get(1));
        assertThat(FIRMWARE.vdevs().getFirst().vrings()).as("the original is untouched")
                .extracting(VringResource::notifyId).containsOnly(Rsc.NOTIFY_ID_ANY);
    }

    @Test
    void anEntryBeyondTheTableCannotBeReplaced() {
        assertThatThrownBy(() -> FIRMWARE.withEntry(2, FIRMWARE.entries().getFirst()))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
