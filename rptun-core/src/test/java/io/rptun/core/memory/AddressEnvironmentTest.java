package io.rptun.core.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.memory.AddressException.Reason;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class AddressEnvironmentTest {
    private static final AddressWindow LOW = new AddressWindow(0x8000_0000L, 0x1000, 0x1000);
    private static final AddressWindow HIGH = new AddressWindow(0x9000_0000L, 0x10_0000, 0x100);

    private static void assertReason(ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(AddressException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void identityTranslatesEveryAddressToItself() {
        AddressEnvironment env = AddressEnvironment.identity();
        assertThat(env.paToDa(0)).isZero();
        assertThat(env.daToPa(0x1234)).isEqualTo(0x1234);
        assertThat(env.paToDa(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(env.daToPa(0x1000, 0x1000)).isEqualTo(0x1000);
        assertThat(env.windows()).isEmpty();
        assertThat(env.isIdentity()).isTrue();
        assertThat(env).hasToString("AddressEnvironment[identity]");
    }

    @Test
    void anEmptyListBuildsTheIdentity() {
        assertThat(AddressEnvironment.of(List.of())).isSameAs(AddressEnvironment.identity());
        assertThat(AddressEnvironment.of()).isEqualTo(AddressEnvironment.identity());
    }

    @Test
    void translatesPaInsideAWindowToDa() {
        AddressEnvironment env = AddressEnvironment.of(LOW);
        assertThat(env.paToDa(0x8000_0010L)).isEqualTo(0x1010);
    }

    @Test
    void translatesDaInsideAWindowToPa() {
        AddressEnvironment env = AddressEnvironment.of(LOW);
        assertThat(env.daToPa(0x1010)).isEqualTo(0x8000_0010L);
    }

    @Test
    void translatesAddressesOutsideEveryWindowAsIdentity() {
        AddressEnvironment env = AddressEnvironment.of(LOW);
        assertThat(env.paToDa(0x42)).isEqualTo(0x42);
        assertThat(env.daToPa(0x8000_0010L)).isEqualTo(0x8000_0010L);
    }

    @Test
    void translatesThroughTheRightWindowAmongSeveral() {
        AddressEnvironment env = AddressEnvironment.of(HIGH, LOW);
        assertThat(env.paToDa(0x8000_0001L)).isEqualTo(0x1001);
        assertThat(env.paToDa(0x9000_0001L)).isEqualTo(0x10_0001);
        assertThat(env.daToPa(0x1001)).isEqualTo(0x8000_0001L);
        assertThat(env.daToPa(0x10_0001)).isEqualTo(0x9000_0001L);
        assertThat(env.paToDa(0x8800_0000L)).isEqualTo(0x8800_0000L);
    }

    @Test
    void listsWindowsInAscendingPaOrder() {
        assertThat(AddressEnvironment.of(HIGH, LOW).windows()).containsExactly(LOW, HIGH);
    }

    @Test
    void translatesTheFirstAndLastByteOfAWindowButNotOnePast() {
        AddressEnvironment env = AddressEnvironment.of(LOW);
        assertThat(env.paToDa(0x8000_0000L)).isEqualTo(0x1000);
        assertThat(env.paToDa(0x8000_0FFFL)).isEqualTo(0x1FFF);
        assertThat(env.paToDa(0x8000_1000L)).isEqualTo(0x8000_1000L);
        assertThat(env.paToDa(0x7FFF_FFFFL)).isEqualTo(0x7FFF_FFFFL);
        assertThat(env.daToPa(0x1000)).isEqualTo(0x8000_0000L);
        assertThat(env.daToPa(0x1FFF)).isEqualTo(0x8000_0FFFL);
        assertThat(env.daToPa(0x2000)).isEqualTo(0x2000);
        assertThat(env.daToPa(0xFFF)).isEqualTo(0xFFF);
    }

    @Test
    void translatesARangeThatFillsItsWindowExactly() {
        AddressEnvironment env = AddressEnvironment.of(LOW);
        assertThat(env.paToDa(0x8000_0000L, 0x1000)).isEqualTo(0x1000);
        assertThat(env.daToPa(0x1FFF, 1)).isEqualTo(0x8000_0FFFL);
        assertThat(env.daToPa(0x1FFF, 0)).isEqualTo(0x8000_0FFFL);
    }

    @Test
    void refusesARangeThatRunsPastItsWindowEnd() {
        AddressEnvironment env = AddressEnvironment.of(LOW);
        assertReason(() -> env.paToDa(0x8000_0FFFL, 2), Reason.RANGE_CROSSES_WINDOW);
        assertReason(() -> env.daToPa(0x1000, 0x1001), Reason.RANGE_CROSSES_WINDOW);
        assertReason(() -> env.daToPa(0x1000, Long.MAX_VALUE), Reason.RANGE_CROSSES_WINDOW);
    }

    @Test
    void refusesARangeFromAnUnmappedAddressIntoAWindow() {
        AddressEnvironment env = AddressEnvironment.of(LOW);
        assertReason(() -> env.paToDa(0x7FFF_FFFFL, 2), Reason.RANGE_CROSSES_WINDOW);
        assertReason(() -> env.daToPa(0, 0x1001), Reason.RANGE_CROSSES_WINDOW);
    }

    @Test
    void translatesAnUnmappedRangeThatStopsJustBeforeAWindowAsIdentity() {
        AddressEnvironment env = AddressEnvironment.of(LOW);
        assertThat(env.paToDa(0x7FFF_F000L, 0x1000)).isEqualTo(0x7FFF_F000L);
        assertThat(env.daToPa(0, 0x1000)).isZero();
        assertThat(env.daToPa(0x2000, 0x10)).isEqualTo(0x2000);
    }

    @Test
    void refusesARangeThatWrapsPastTheLargestAddress() {
        AddressEnvironment env = AddressEnvironment.identity();
        assertReason(() -> env.paToDa(Long.MAX_VALUE - 1, 3), Reason.ADDRESS_OVERFLOW);
        assertThat(env.paToDa(Long.MAX_VALUE - 1, 1)).isEqualTo(Long.MAX_VALUE - 1);
    }

    @Test
    void refusesNegativeAddressesAndLengths() {
        AddressEnvironment env = AddressEnvironment.of(LOW);
        assertReason(() -> env.paToDa(-1), Reason.ADDRESS_OVERFLOW);
        assertReason(() -> env.daToPa(Long.MIN_VALUE), Reason.ADDRESS_OVERFLOW);
        assertReason(() -> env.paToDa(-1, 1), Reason.ADDRESS_OVERFLOW);
        assertReason(() -> env.daToPa(0x1000, -1), Reason.NEGATIVE_LENGTH);
    }

    @Test
    void refusesWindowsThatOverlapInPaSpace() {
        AddressWindow overlapping = new AddressWindow(0x8000_0FFFL, 0x5000, 0x10);
        assertThatThrownBy(() -> AddressEnvironment.of(LOW, overlapping))
                .isInstanceOfSatisfying(AddressException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.OVERLAPPING_WINDOWS);
                    assertThat(e.address()).isEqualTo(0x8000_0FFFL);
                })
                .hasMessageContaining("pa space")
                .hasMessageContaining("0x80000fff");
    }

    @Test
    void refusesWindowsThatOverlapInDaSpace() {
        AddressWindow overlapping = new AddressWindow(0x7000_0000L, 0x0800, 0x801);
        assertThatThrownBy(() -> AddressEnvironment.of(List.of(LOW, overlapping)))
                .isInstanceOfSatisfying(AddressException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.OVERLAPPING_WINDOWS))
                .hasMessageContaining("da space");
    }

    @Test
    void acceptsWindowsThatTouchWithoutOverlapping() {
        AddressWindow next = new AddressWindow(0x8000_1000L, 0x2000, 0x10);
        AddressEnvironment env = AddressEnvironment.of(LOW, next);
        assertThat(env.paToDa(0x8000_1000L)).isEqualTo(0x2000);
        assertThat(env.paToDa(0x8000_0FFFL)).isEqualTo(0x1FFF);
        assertReason(() -> env.paToDa(0x8000_0FFFL, 2), Reason.RANGE_CROSSES_WINDOW);
    }

    @Test
    void refusesTheSameWindowTwice() {
        assertReason(() -> AddressEnvironment.of(LOW, LOW), Reason.OVERLAPPING_WINDOWS);
    }

    @Test
    void refusesAWindowWhosePaRangeWraps() {
        AddressWindow wrapping = new AddressWindow(Long.MAX_VALUE - 0xF, 0, 0x11);
        assertThatThrownBy(() -> AddressEnvironment.of(wrapping))
                .isInstanceOfSatisfying(AddressException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.WRAPPING_WINDOW))
                .hasMessageContaining("0x7ffffffffffffff0");
    }

    @Test
    void refusesAWindowWhoseDaRangeWraps() {
        assertReason(() -> AddressEnvironment.of(new AddressWindow(0, Long.MAX_VALUE, 2)), Reason.WRAPPING_WINDOW);
    }

    @Test
    void acceptsAWindowThatEndsJustBelowTheLimit() {
        AddressWindow top = new AddressWindow(Long.MAX_VALUE - 0x10, 0, 0x10);
        AddressEnvironment env = AddressEnvironment.of(top);
        assertThat(env.paToDa(Long.MAX_VALUE - 1)).isEqualTo(0xF);
        assertThat(env.paToDa(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertReason(() -> env.paToDa(Long.MAX_VALUE - 1, 2), Reason.RANGE_CROSSES_WINDOW);
    }

    @Test
    void refusesAZeroSizeWindowInsideOf() {
        assertReason(() -> AddressEnvironment.of(LOW, new AddressWindow(0, 0, 0)), Reason.EMPTY_WINDOW);
    }

    @Test
    void fromTerminatedStopsAtTheFirstZeroSizeWindow() {
        AddressWindow overlapsLow = new AddressWindow(0x8000_0000L, 0x1000, 0x1000);
        AddressEnvironment env = AddressEnvironment.fromTerminated(
                List.of(LOW, HIGH, new AddressWindow(0, 0, 0), overlapsLow));
        assertThat(env.windows()).containsExactly(LOW, HIGH);
    }

    @Test
    void fromTerminatedTakesAnUnterminatedListWhole() {
        assertThat(AddressEnvironment.fromTerminated(List.of(LOW)).windows()).containsExactly(LOW);
        assertThat(AddressEnvironment.fromTerminated(List.of(new AddressWindow(0, 0, 0))))
                .isEqualTo(AddressEnvironment.identity());
    }

    @Test
    void refusesNegativeWindowFieldsNamingTheField() {
        assertThatThrownBy(() -> new AddressWindow(-1, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("pa=-1");
        assertThatThrownBy(() -> new AddressWindow(0, -2, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("da=-2");
        assertThatThrownBy(() -> new AddressWindow(0, 0, Long.MIN_VALUE))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("size=" + Long.MIN_VALUE);
    }

    @Test
    void describesItsWindowsInHex() {
        assertThat(AddressEnvironment.of(LOW))
                .hasToString("AddressEnvironment[pa 0x80000000 <-> da 0x1000 size 0x1000]");
    }

    @Test
    void isEqualToAnEnvironmentWithTheSameWindowsInAnotherOrder() {
        assertThat(AddressEnvironment.of(LOW, HIGH)).isEqualTo(AddressEnvironment.of(HIGH, LOW))
                .hasSameHashCodeAs(AddressEnvironment.of(HIGH, LOW));
    }

    @Test
    void saysWhatWasWrongWithNumbersInHex() {
        AddressEnvironment env = AddressEnvironment.of(LOW);
        assertThatThrownBy(() -> env.paToDa(0x8000_0FF0L, 0x20))
                .hasMessageContaining("0x80000ff0")
                .hasMessageContaining("0x20")
                .hasMessageContaining("0x80001000");
    }
}
