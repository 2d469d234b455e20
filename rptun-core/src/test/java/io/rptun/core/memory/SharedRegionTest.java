package io.rptun.core.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.memory.AddressException.Reason;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class SharedRegionTest {
    private static final long BASE = 0x8000_0000L;
    private static final long SIZE = 0x1000;
    /** Device sees the region at da 0x10_0000; everything else is identity. */
    private static final AddressEnvironment ENV =
            AddressEnvironment.of(new AddressWindow(BASE, 0x10_0000, SIZE));

    private final MemorySegment mapping = MemorySegment.ofArray(new byte[(int) SIZE]);
    private final SharedRegion region = SharedRegion.of(mapping, BASE, ENV);

    private static void assertReason(ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(AddressException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void exposesWhatItWasBuiltFrom() {
        assertThat(region.size()).isEqualTo(SIZE);
        assertThat(region.segment()).isSameAs(mapping);
        assertThat(region.environment()).isSameAs(ENV);
        assertThat(region.basePa()).isEqualTo(BASE);
        assertThat(region.toString()).contains("0x80000000", "0x1000");
    }

    @Test
    void givesTheOffsetOfAnInRangePa() {
        assertThat(region.offsetOfPa(BASE + 0x123, 0x10)).isEqualTo(0x123);
    }

    @Test
    void givesTheOffsetOfAnInRangeDa() {
        assertThat(region.offsetOfDa(0x10_0123, 0x10)).isEqualTo(0x123);
    }

    @Test
    void acceptsTheFirstAndLastByteAndTheWholeRegion() {
        assertThat(region.offsetOfPa(BASE, 1)).isZero();
        assertThat(region.offsetOfPa(BASE + SIZE - 1, 1)).isEqualTo(SIZE - 1);
        assertThat(region.offsetOfPa(BASE, SIZE)).isZero();
        assertThat(region.offsetOfDa(0x10_0000, 1)).isZero();
        assertThat(region.offsetOfDa(0x10_0FFF, 1)).isEqualTo(SIZE - 1);
        assertThat(region.offsetOfPa(BASE + SIZE, 0)).isEqualTo(SIZE);
    }

    @Test
    void refusesOneBytePastTheEndAndOneByteBeforeTheStart() {
        assertReason(() -> region.offsetOfPa(BASE + SIZE, 1), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfPa(BASE + SIZE - 1, 2), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfPa(BASE - 1, 1), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfPa(BASE, SIZE + 1), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfDa(0x10_1000, 1), Reason.OUTSIDE_REGION);
    }

    @Test
    void refusesADaRangeThatLeavesItsWindow() {
        assertReason(() -> region.offsetOfDa(0x10_0FFF, 2), Reason.RANGE_CROSSES_WINDOW);
    }

    @Test
    void refusesADaThatTranslatesOutsideTheRegion() {
        assertThatThrownBy(() -> region.offsetOfDa(0x42, 4))
                .isInstanceOfSatisfying(AddressException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.OUTSIDE_REGION);
                    assertThat(e.address()).isEqualTo(0x42);
                    assertThat(e.length()).isEqualTo(4);
                })
                .hasMessageContaining("0x42")
                .hasMessageContaining("0x80000000");
    }

    @Test
    void refusesHugeLengthsWithoutOverflowing() {
        assertReason(() -> region.offsetOfPa(BASE, Long.MAX_VALUE), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfPa(BASE + 1, Long.MAX_VALUE), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfPa(BASE + SIZE - 1, Long.MAX_VALUE - BASE), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfDa(0x10_0000, Long.MAX_VALUE), Reason.RANGE_CROSSES_WINDOW);
        assertReason(() -> region.slicePa(BASE + 8, Long.MAX_VALUE - 4), Reason.OUTSIDE_REGION);
    }

    @Test
    void refusesAddressesNearTheLargestLongWithoutOverflowing() {
        assertReason(() -> region.offsetOfPa(Long.MAX_VALUE, 1), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfPa(Long.MAX_VALUE, Long.MAX_VALUE), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfPa(Long.MIN_VALUE, 1), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfPa(-1, 2), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfDa(Long.MAX_VALUE - 1, 1), Reason.OUTSIDE_REGION);
        assertReason(() -> region.offsetOfDa(Long.MAX_VALUE, 1), Reason.ADDRESS_OVERFLOW);
        assertReason(() -> region.offsetOfDa(Long.MAX_VALUE - 1, 2), Reason.ADDRESS_OVERFLOW);
        assertReason(() -> region.offsetOfDa(-1, 1), Reason.ADDRESS_OVERFLOW);
    }

    @Test
    void worksForARegionThatEndsAtTheLargestAddress() {
        MemorySegment top = MemorySegment.ofArray(new byte[16]);
        SharedRegion high = SharedRegion.of(top, Long.MAX_VALUE - 16, AddressEnvironment.identity());
        assertThat(high.offsetOfPa(Long.MAX_VALUE - 1, 1)).isEqualTo(15);
        assertThat(high.paOfOffset(15)).isEqualTo(Long.MAX_VALUE - 1);
        assertReason(() -> high.offsetOfPa(Long.MAX_VALUE - 1, 2), Reason.OUTSIDE_REGION);
        assertReason(() -> high.offsetOfPa(Long.MAX_VALUE, Long.MAX_VALUE), Reason.OUTSIDE_REGION);
        assertReason(() -> high.offsetOfDa(Long.MAX_VALUE - 1, 2), Reason.ADDRESS_OVERFLOW);
    }

    @Test
    void refusesANegativeLength() {
        assertReason(() -> region.offsetOfPa(BASE, -1), Reason.NEGATIVE_LENGTH);
        assertReason(() -> region.offsetOfDa(0x10_0000, Long.MIN_VALUE), Reason.NEGATIVE_LENGTH);
        assertReason(() -> region.slicePa(BASE, -1), Reason.NEGATIVE_LENGTH);
        assertReason(() -> region.sliceDa(0x10_0000, -1), Reason.NEGATIVE_LENGTH);
    }

    @Test
    void mapsOffsetsBackToPaAndDa() {
        assertThat(region.paOfOffset(0)).isEqualTo(BASE);
        assertThat(region.paOfOffset(SIZE - 1)).isEqualTo(BASE + SIZE - 1);
        assertThat(region.daOfOffset(0x10)).isEqualTo(0x10_0010);
    }

    @Test
    void refusesOffsetsOutsideTheRegion() {
        assertReason(() -> region.paOfOffset(SIZE), Reason.OUTSIDE_REGION);
        assertReason(() -> region.paOfOffset(-1), Reason.OUTSIDE_REGION);
        assertReason(() -> region.daOfOffset(Long.MAX_VALUE), Reason.OUTSIDE_REGION);
    }

    @Test
    void slicesHaveTheRightSizeAndAliasTheMapping() {
        MemorySegment byPa = region.slicePa(BASE + 0x100, 0x20);
        MemorySegment byDa = region.sliceDa(0x10_0100, 0x20);
        assertThat(byPa.byteSize()).isEqualTo(0x20);
        assertThat(byDa.byteSize()).isEqualTo(0x20);

        byPa.set(ValueLayout.JAVA_BYTE, 3, (byte) 0x5A);
        assertThat(mapping.get(ValueLayout.JAVA_BYTE, 0x103)).isEqualTo((byte) 0x5A);
        assertThat(byDa.get(ValueLayout.JAVA_BYTE, 3)).isEqualTo((byte) 0x5A);

        mapping.set(ValueLayout.JAVA_BYTE, 0x11F, (byte) 0x77);
        assertThat(byDa.get(ValueLayout.JAVA_BYTE, 0x1F)).isEqualTo((byte) 0x77);
    }

    @Test
    void slicesANativeMapping() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeMapping = arena.allocate(256);
            SharedRegion nativeRegion = SharedRegion.of(nativeMapping, 0x1000, AddressEnvironment.identity());
            MemorySegment slice = nativeRegion.sliceDa(0x1010, 16);
            assertThat(slice.address()).isEqualTo(nativeMapping.address() + 0x10);
            assertThat(slice.byteSize()).isEqualTo(16);
        }
    }

    @Test
    void refusesABaseThatIsNegativeOrRunsPastTheLargestAddress() {
        assertThatThrownBy(() -> SharedRegion.of(mapping, -1, ENV))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("basePa=-1");
        assertThatThrownBy(() -> SharedRegion.of(mapping, Long.MAX_VALUE - 1, ENV))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
