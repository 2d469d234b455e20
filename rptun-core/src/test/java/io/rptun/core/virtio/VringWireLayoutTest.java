package io.rptun.core.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Pins {@code vring_desc}, {@code vring_avail} and {@code vring_used} to docs/protocols.md section 2:
 * sizes, offsets, flag values, and the bytes each accessor writes (little-endian, at the documented
 * offset), checked against hand-written hex.
 */
class VringWireLayoutTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void aDescriptorIsAddrAt0LenAt8FlagsAt12NextAt14() {
        assertThat(VringDescLayout.SIZE).isEqualTo(16).isEqualTo(VringLayout.DESC_SIZE);
        assertThat(VringDescLayout.ADDR_OFFSET).isZero();
        assertThat(VringDescLayout.LEN_OFFSET).isEqualTo(8);
        assertThat(VringDescLayout.FLAGS_OFFSET).isEqualTo(12);
        assertThat(VringDescLayout.NEXT_OFFSET).isEqualTo(14);
    }

    @Test
    void descriptorFlagsAreNext1Write2Indirect4() {
        assertThat(VringDescLayout.F_NEXT).isEqualTo(1);
        assertThat(VringDescLayout.F_WRITE).isEqualTo(2);
        assertThat(VringDescLayout.F_INDIRECT).isEqualTo(4);
    }

    @Test
    void aDescriptorIsWrittenLittleEndian() {
        MemorySegment s = MemorySegment.ofArray(new byte[16]);
        VringDescLayout.write(s, 0, 0x1122334455667788L, 0x99aabbcc, 3, 0x0102);
        assertThat(HEX.formatHex(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                .isEqualTo("8877665544332211" + "ccbbaa99" + "0300" + "0201");
        assertThat(VringDescLayout.addr(s, 0)).isEqualTo(0x1122334455667788L);
        assertThat(VringDescLayout.len(s, 0)).isEqualTo(0x99aabbcc);
        assertThat(VringDescLayout.flags(s, 0)).isEqualTo(3);
        assertThat(VringDescLayout.next(s, 0)).isEqualTo(0x0102);
    }

    @Test
    void theAvailRingIsFlagsIdxThenU16SlotsThenUsedEvent() {
        assertThat(VringAvailLayout.FLAGS_OFFSET).isZero();
        assertThat(VringAvailLayout.IDX_OFFSET).isEqualTo(2);
        assertThat(VringAvailLayout.RING_OFFSET).isEqualTo(4);
        assertThat(VringAvailLayout.ELEMENT_SIZE).isEqualTo(2);
        assertThat(VringAvailLayout.usedEventOffset(256)).isEqualTo(4 + 512);
        assertThat(VringAvailLayout.usedEventOffset(256) + 2).isEqualTo(VringLayout.availSize(256));
        assertThat(VringAvailLayout.F_NO_INTERRUPT).isEqualTo(1);

        MemorySegment s = MemorySegment.ofArray(new byte[4 + 2 * 4 + 2]);
        VringAvailLayout.flagsRelease(s, 0, 1);
        VringAvailLayout.idxRelease(s, 0, 0xfffe);
        VringAvailLayout.ring(s, 0, 2, 0x0304);
        assertThat(HEX.formatHex(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                .isEqualTo("0100" + "feff" + "0000" + "0000" + "0403" + "0000" + "0000");
        assertThat(VringAvailLayout.idxAcquire(s, 0)).isEqualTo(0xfffe);
        assertThat(VringAvailLayout.ring(s, 0, 2)).isEqualTo(0x0304);
    }

    @Test
    void theUsedRingIsFlagsIdxThenIdLenPairsThenAvailEvent() {
        assertThat(VringUsedLayout.FLAGS_OFFSET).isZero();
        assertThat(VringUsedLayout.IDX_OFFSET).isEqualTo(2);
        assertThat(VringUsedLayout.RING_OFFSET).isEqualTo(4);
        assertThat(VringUsedLayout.ELEMENT_SIZE).isEqualTo(8);
        assertThat(VringUsedLayout.ELEMENT_ID_OFFSET).isZero();
        assertThat(VringUsedLayout.ELEMENT_LEN_OFFSET).isEqualTo(4);
        assertThat(VringUsedLayout.availEventOffset(256) + 2).isEqualTo(VringLayout.usedSize(256));
        assertThat(VringUsedLayout.F_NO_NOTIFY).isEqualTo(1);

        MemorySegment s = MemorySegment.ofArray(new byte[4 + 8 * 2 + 2]);
        VringUsedLayout.flagsRelease(s, 0, 1);
        VringUsedLayout.idxRelease(s, 0, 0x0201);
        VringUsedLayout.element(s, 0, 1, 0x0a0b0c0d, 0x200);
        assertThat(HEX.formatHex(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                .isEqualTo("0100" + "0102" + "0000000000000000" + "0d0c0b0a" + "00020000" + "0000");
        assertThat(VringUsedLayout.id(s, 0, 1)).isEqualTo(0x0a0b0c0d);
        assertThat(VringUsedLayout.len(s, 0, 1)).isEqualTo(0x200);
    }

    @Test
    void aVringPlacesItsPartsAsVringLayoutSays() {
        MemorySegment s = MemorySegment.ofArray(new byte[0x3000]);
        Vring vring = Vring.of(s, 256, 0x1000);
        assertThat(vring.memory().byteSize()).isEqualTo(0x2806);
        assertThat(vring.desc(3)).isEqualTo(48);
        assertThat(vring.avail()).isEqualTo(0x1000);
        assertThat(vring.used()).isEqualTo(0x2000);
    }
}
