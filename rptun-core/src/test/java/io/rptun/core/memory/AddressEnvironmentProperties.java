package io.rptun.core.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.memory.AddressException.Reason;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class AddressEnvironmentProperties {
    /** Upper bound of one gap or size: eight windows with their gaps span at most 2^45. */
    private static final long PART = 1L << 41;
    /** Room left above the base: the windows, plus one more window placed after them all. */
    private static final long SPAN = 1L << 46;

    /** Windows laid out disjointly in pa space, and independently (in shuffled order) in da space. */
    @Provide
    Arbitrary<List<AddressWindow>> disjointWindows() {
        Arbitrary<Long> gap = Arbitraries.longs().between(0, PART);
        Arbitrary<Long> size = Arbitraries.longs().between(1, PART);
        Arbitrary<Long> base = Arbitraries.longs().between(0, Long.MAX_VALUE - SPAN);
        Arbitrary<List<long[]>> parts = Combinators.combine(gap, gap, size)
                .as((gapPa, gapDa, sz) -> new long[] {gapPa, gapDa, sz})
                .list().ofMinSize(1).ofMaxSize(8);
        return Combinators.combine(parts, base, base, Arbitraries.longs())
                .as(AddressEnvironmentProperties::layOut);
    }

    private static List<AddressWindow> layOut(List<long[]> parts, long basePa, long baseDa, long seed) {
        int n = parts.size();
        long[] pas = new long[n];
        long pa = basePa;
        for (int i = 0; i < n; i++) {
            pa += parts.get(i)[0];
            pas[i] = pa;
            pa += parts.get(i)[2];
        }
        List<Integer> daOrder = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            daOrder.add(i);
        }
        Collections.shuffle(daOrder, new Random(seed));
        long[] das = new long[n];
        long da = baseDa;
        for (int i : daOrder) {
            da += parts.get(i)[1];
            das[i] = da;
            da += parts.get(i)[2];
        }
        List<AddressWindow> windows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            windows.add(new AddressWindow(pas[i], das[i], parts.get(i)[2]));
        }
        Collections.shuffle(windows, new Random(~seed));
        return windows;
    }

    private static long[] samplesIn(AddressWindow w, long seed) {
        return new long[] {0, w.size() - 1, w.size() / 2, Math.floorMod(seed, w.size())};
    }

    @Property(tries = 1000)
    void paToDaToPaRoundTripsInsideEveryWindow(
            @ForAll("disjointWindows") List<AddressWindow> windows, @ForAll long seed) {
        AddressEnvironment env = AddressEnvironment.of(windows);
        for (AddressWindow w : windows) {
            for (long offset : samplesIn(w, seed)) {
                long pa = w.pa() + offset;
                long da = env.paToDa(pa);
                assertThat(da).isEqualTo(w.da() + offset);
                assertThat(env.daToPa(da)).isEqualTo(pa);
                assertThat(env.paToDa(pa, w.size() - offset)).isEqualTo(da);
            }
        }
    }

    @Property(tries = 1000)
    void daToPaToDaRoundTripsInsideEveryWindow(
            @ForAll("disjointWindows") List<AddressWindow> windows, @ForAll long seed) {
        AddressEnvironment env = AddressEnvironment.of(windows);
        for (AddressWindow w : windows) {
            for (long offset : samplesIn(w, seed)) {
                long da = w.da() + offset;
                long pa = env.daToPa(da);
                assertThat(pa).isEqualTo(w.pa() + offset);
                assertThat(env.paToDa(pa)).isEqualTo(da);
                assertThat(env.daToPa(da, w.size() - offset)).isEqualTo(pa);
            }
        }
    }

    @Property(tries = 1000)
    void addressesOutsideEveryWindowTranslateToThemselves(
            @ForAll("disjointWindows") List<AddressWindow> windows,
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long address) {
        AddressEnvironment env = AddressEnvironment.of(windows);
        List<Long> candidates = new ArrayList<>(List.of(address));
        for (AddressWindow w : windows) {
            candidates.add(w.pa() + w.size());
            candidates.add(w.da() + w.size());
            if (w.pa() > 0) {
                candidates.add(w.pa() - 1);
            }
            if (w.da() > 0) {
                candidates.add(w.da() - 1);
            }
        }
        for (long a : candidates) {
            if (windows.stream().noneMatch(w -> w.containsPa(a))) {
                assertThat(env.paToDa(a)).isEqualTo(a);
                assertThat(env.paToDa(a, 0)).isEqualTo(a);
            }
            if (windows.stream().noneMatch(w -> w.containsDa(a))) {
                assertThat(env.daToPa(a)).isEqualTo(a);
                assertThat(env.daToPa(a, 0)).isEqualTo(a);
            }
        }
    }

    @Property(tries = 1000)
    void windowSetsThatOverlapAreRefused(
            @ForAll("disjointWindows") List<AddressWindow> windows,
            @ForAll @IntRange(min = 0, max = 7) int which,
            @ForAll long seed,
            @ForAll @LongRange(min = 1, max = 1L << 41) long size,
            @ForAll boolean inPaSpace) {
        AddressWindow victim = windows.get(which % windows.size());
        long inside = Math.floorMod(seed, victim.size());
        long farPa = windows.stream().mapToLong(w -> w.pa() + w.size()).max().orElseThrow();
        long farDa = windows.stream().mapToLong(w -> w.da() + w.size()).max().orElseThrow();
        AddressWindow intruder = inPaSpace
                ? new AddressWindow(victim.pa() + inside, farDa, size)
                : new AddressWindow(farPa, victim.da() + inside, size);
        List<AddressWindow> overlapping = new ArrayList<>(windows);
        overlapping.add(new Random(seed).nextInt(overlapping.size() + 1), intruder);

        assertThatThrownBy(() -> AddressEnvironment.of(overlapping))
                .isInstanceOfSatisfying(AddressException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.OVERLAPPING_WINDOWS));
    }

    @Property(tries = 1000)
    void everyOffsetRoundTripsThroughItsPa(
            @ForAll @IntRange(min = 1, max = 4096) int size,
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE - 4096) long basePa,
            @ForAll("disjointWindows") List<AddressWindow> windows) {
        SharedRegion region = SharedRegion.of(MemorySegment.ofArray(new byte[size]), basePa,
                AddressEnvironment.of(windows));
        for (long offset = 0; offset < size; offset++) {
            assertThat(region.offsetOfPa(region.paOfOffset(offset), 1)).isEqualTo(offset);
        }
    }
}
