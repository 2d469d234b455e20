package io.rptun.core.virtio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Pins the split-virtqueue placement to docs/protocols.md section 2, with numbers worked out by hand. */
class VringLayoutTest {

    @Test
    void aVringAtAnUnalignedBaseHasItsUsedRingAlignedOnTheAbsoluteAddressAsVringInitDoes() {
        // NuttX's simulator: rpmsg vring0 at file offset 0x201CC (4 mod 8), num 8, align 8.
        assertThat(VringLayout.usedOffset(8, 8)).isEqualTo(152);
        assertThat(VringLayout.usedOffsetAt(0x201CC, 8, 8)).isEqualTo(0x20268 - 0x201CC);
        assertThat(VringLayout.byteSizeAt(0x201CC, 8, 8)).isEqualTo(0x20268 - 0x201CC + 6 + 8 * 8);
        assertThat(VringLayout.usedOffsetAt(0x201D0, 8, 8)).isEqualTo(VringLayout.usedOffset(8, 8));
        assertThat(VringLayout.usedOffsetAt(0x4000, 256, 0x1000)).isEqualTo(VringLayout.usedOffset(256, 0x1000));
    }

    @Test
    void aDescriptorIsSixteenBytes() {
        assertThat(VringLayout.DESC_SIZE).isEqualTo(16);
    }

    @Test
    void theOpenAmpDemoVringTakes0x2806Bytes() {
        assertThat(VringLayout.descOffset(256)).isZero();
        assertThat(VringLayout.availOffset(256)).isEqualTo(0x1000);
        // 16·256 + 4 + 2·256 + 2 = 0x1206, aligned up to 0x1000.
        assertThat(VringLayout.usedOffset(256, 0x1000)).isEqualTo(0x2000);
        assertThat(VringLayout.byteSize(256, 0x1000)).isEqualTo(0x2806);
    }

    @ParameterizedTest(name = "num {0}, align {1}: avail at {2}, used at {3}, {4} bytes")
    @CsvSource({
        // num, align, avail, used, size: used = align_up(18·num + 6, align), size = used + 6 + 8·num
        "1,     1,      16,     24,      38",
        "8,     8,      128,    152,     222",
        "16,    64,     256,    320,     454",
        "256,   16,     4096,   4624,    6678",
        "256,   4096,   4096,   8192,    10246",
        "32768, 4096,   524288, 593920,  856070",
    })
    void placesTheThreePartsAsComputedByHand(int num, long align, long avail, long used, long size) {
        assertThat(VringLayout.availOffset(num)).isEqualTo(avail);
        assertThat(VringLayout.usedOffset(num, align)).isEqualTo(used);
        assertThat(VringLayout.byteSize(num, align)).isEqualTo(size);
        assertThat(VringLayout.availSize(num)).isEqualTo(6 + 2L * num);
        assertThat(VringLayout.usedSize(num)).isEqualTo(6 + 8L * num);
    }

    @Test
    void theUsedRingStartsRightAfterTheAvailRingWhenTheyHappenToBeAligned() {
        // 18·2 + 6 = 42 is already a multiple of 2.
        assertThat(VringLayout.usedOffset(2, 2)).isEqualTo(42);
        assertThat(VringLayout.byteSize(2, 2)).isEqualTo(42 + 6 + 16);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 3, 6, 65536, 1 << 30})
    void refusesANumThatIsNotAPowerOfTwoUpTo32768(int num) {
        assertThatThrownBy(() -> VringLayout.byteSize(num, 16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("num=" + num);
        assertThatThrownBy(() -> VringLayout.availOffset(num)).hasMessageStartingWith("num=");
        assertThatThrownBy(() -> VringLayout.descOffset(num)).hasMessageStartingWith("num=");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -4096, 3, 0x1001})
    void refusesAnAlignThatIsNotAPowerOfTwo(long align) {
        assertThatThrownBy(() -> VringLayout.usedOffset(8, align))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("align=" + align);
    }
}
