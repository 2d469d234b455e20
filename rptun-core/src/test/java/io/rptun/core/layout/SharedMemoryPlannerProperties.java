package io.rptun.core.layout;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.AddressWindow;
import io.rptun.core.rsc.CarveoutResource;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.RawBytes;
import io.rptun.core.rsc.ResourceEntry;
import io.rptun.core.rsc.ResourceTable;
import io.rptun.core.rsc.ResourceTableWriter;
import io.rptun.core.rsc.RptunConfig;
import io.rptun.core.rsc.Rsc;
import io.rptun.core.rsc.TraceResource;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VringResource;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * The planner's contract on arbitrary tables and regions: it either throws a {@link PlanException} or
 * returns a plan whose regions all lie in the region, share bytes only where a carveout or heap holds
 * what is inside it, put every vring at its alignment, and leave no vring da at 0 or ANY.
 */
class SharedMemoryPlannerProperties {

    /** One input: a table and the options to plan it with. */
    record Case(ResourceTable table, PlanOptions options) {
    }

    /** Uniform rather than jqwik's default bias to small values, so that regions and lengths vary widely. */
    private static Arbitrary<Long> uniform(long min, long max) {
        return Arbitraries.longs().between(min, max).withDistribution(RandomDistribution.uniform());
    }

    /**
     * Vrings with da ANY or 0 (allocate) most of the time; otherwise an aligned static offset (moved into
     * the region's da space by {@link #relocate}), a misaligned one, or one at the top of the u32 space.
     */
    private static Arbitrary<VringResource> vrings() {
        return Combinators.combine(
                Arbitraries.integers().between(0, 8),
                Arbitraries.integers().between(3, 12),
                Arbitraries.integers().between(0, 31),
                uniform(0, 0x30_0000)).as((numLog, alignLog, kind, raw) -> {
                    long align = 1L << alignLog;
                    long da;
                    if (kind < 23) {
                        da = Rsc.ADDR_ANY;
                    } else if (kind < 26) {
                        da = 0;
                    } else if (kind < 30) {
                        da = Math.max(raw & -align, align);
                    } else if (kind == 30) {
                        da = raw | 1;
                    } else {
                        da = 0xFFFF_F000L & -align;
                    }
                    return new VringResource(da, align, 1 << numLog, Rsc.NOTIFY_ID_ANY, 0);
                });
    }

    private static Arbitrary<VdevResource> vdevs() {
        Arbitrary<Optional<RawBytes>> config = Combinators.combine(
                Arbitraries.longs().between(0, 2048), Arbitraries.longs().between(0, 2048))
                .as((h2r, r2h) -> new RptunConfig(h2r, r2h, 0, 0, "host", "remote").toBytes())
                .optional(0.3);
        return Combinators.combine(vrings(), vrings(), Arbitraries.of(7, 7, 5), Arbitraries.integers().between(0, 31),
                config).as((v0, v1, id, features, cfg) -> new VdevResource(id, Rsc.NOTIFY_ID_ANY, features, 0, 0, 0,
                        0, List.of(v0, v1), cfg.orElse(RawBytes.empty())));
    }

    /** Carveouts at ANY, at a static da, or at a static pa (both moved into the region by {@link #relocate}). */
    private static Arbitrary<CarveoutResource> carveouts() {
        return Combinators.combine(
                Arbitraries.integers().between(0, 4),
                uniform(0, 0x30_0000),
                uniform(0, 0x10_0000)).as((kind, raw, len) -> switch (kind) {
                    case 0, 1, 2 -> CarveoutResource.of("shm", Rsc.ADDR_ANY, Rsc.ADDR_ANY, len);
                    case 3 -> CarveoutResource.of("shm", raw & -0x1000, Rsc.ADDR_ANY, len);
                    default -> CarveoutResource.of("shm", Rsc.ADDR_ANY, raw & -0x1000, len);
                });
    }

    private static Arbitrary<List<ResourceEntry>> entries() {
        Arbitrary<Optional<TraceResource>> trace = Combinators.combine(
                uniform(0, 0x50_0000), Arbitraries.longs().between(0, 0x2000))
                .as((da, len) -> new TraceResource(da, len, 0, "log")).optional(0.2);
        // Mostly one carveout per vdev or one fewer; sometimes an extra one, sometimes two vdevs without.
        Arbitrary<Integer> missing =
                Arbitraries.frequency(Tuple.of(4, 0), Tuple.of(4, 1), Tuple.of(1, 2), Tuple.of(1, -1));
        return Combinators.combine(vdevs().list().ofMinSize(1).ofMaxSize(3), carveouts().list().ofSize(4), missing,
                trace, Arbitraries.longs()).as((vdevs, spare, drop, t, seed) -> {
                    List<CarveoutResource> carveouts = spare.subList(0, Math.max(vdevs.size() - drop, 0));
                    List<ResourceEntry> all = new ArrayList<>(vdevs);
                    all.addAll(carveouts);
                    t.ifPresent(all::add);
                    Collections.shuffle(all, new Random(seed));
                    return all;
                });
    }

    private static Arbitrary<PlanOptions> options() {
        Arbitrary<Optional<Long>> heapOffset = uniform(0, 0x40_0000).optional(0.3);
        Arbitrary<Optional<PlanOptions.BufferSizes>> sizes = Combinators.combine(
                Arbitraries.longs().between(0, 1024), Arbitraries.longs().between(0, 1024))
                .as(PlanOptions.BufferSizes::new).optional(0.2);
        Arbitrary<Long> reserve = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(0L)), Tuple.of(3, uniform(0x400, 0x3000)),
                Tuple.of(1, uniform(1, 0x400)));
        return Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(1, uniform(0x100, 0x8000)),
                        Tuple.of(7, uniform(0x8000, 0x40_0000))),
                uniform(0, 0x7fff),
                Arbitraries.integers().between(0, 3),
                uniform(0, 0x7fff),
                reserve,
                heapOffset,
                sizes).as((size, baseK, envKind, daK, tableReserve, heap, bufferSizes) -> {
                    long basePa = envKind == 0 ? 0 : baseK << 16;
                    AddressEnvironment env = switch (envKind) {
                        case 0, 1 -> AddressEnvironment.identity();
                        case 2 -> AddressEnvironment.of(new AddressWindow(basePa, daK << 16, size));
                        default -> AddressEnvironment.of(new AddressWindow(basePa, daK << 16, Math.max(size / 2, 1)));
                    };
                    OptionalLong heapOpt = heap.map(OptionalLong::of).orElse(OptionalLong.empty());
                    return new PlanOptions(size, basePa, env, tableReserve, heapOpt, bufferSizes);
                });
    }

    /**
     * Moves static addresses, generated as offsets, to where the region is: da through the environment,
     * pa past the base pa; whatever would not fit a u32 (or would read as 0 or ANY) stays as generated.
     */
    private static ResourceEntry relocate(ResourceEntry entry, PlanOptions options) {
        return switch (entry) {
            case VdevResource v -> v.withVrings(v.vrings().stream().map(r -> relocate(r, options)).toList());
            case CarveoutResource c -> new CarveoutResource(
                    c.da() == Rsc.ADDR_ANY ? c.da() : movedDa(inRegion(c.da(), 0x1000, options), options),
                    c.pa() == Rsc.ADDR_ANY ? c.pa()
                            : moved(options.basePa() + inRegion(c.pa(), 0x1000, options), c.pa()),
                    c.len(), c.flags(), c.reserved(), c.name());
            default -> entry;
        };
    }

    /** Aligned static vrings below the top of the u32 space move into the region; the rest stay as they are. */
    private static VringResource relocate(VringResource r, PlanOptions options) {
        if (r.isDaAllocated() || (r.da() & (r.align() - 1)) != 0 || r.da() >= 0xFFFF_0000L) {
            return r;
        }
        return r.withDa(movedDa(inRegion(r.da(), r.align(), options), options));
    }

    /** An offset inside the region (when it has room), a multiple of {@code align}. */
    private static long inRegion(long raw, long align, PlanOptions options) {
        long size = options.regionSize();
        return size > align ? Math.max(raw % size & -align, align) : raw;
    }

    private static long movedDa(long offset, PlanOptions options) {
        return moved(options.env().paToDa(options.basePa() + offset), offset);
    }

    private static long moved(long value, long otherwise) {
        return value == 0 || value >= Rsc.ADDR_ANY ? otherwise : value;
    }

    @Provide
    Arbitrary<Case> cases() {
        return Combinators.combine(entries(), options()).as((entries, options) -> new Case(
                new ResourceTable(0, 0, entries.stream().map(e -> relocate(e, options)).toList()), options));
    }

    @Property(tries = 3000)
    void planEitherThrowsAPlanExceptionOrPlacesEverythingInsideTheRegionWithoutOverlap(
            @ForAll("cases") Case input) {
        MemoryPlan plan;
        try {
            plan = SharedMemoryPlanner.plan(input.table(), input.options());
        } catch (PlanException e) {
            Statistics.label("outcome").collect(e.reason().name());
            coverage();
            return;
        }
        Statistics.label("outcome").collect("planned");
        coverage();
        long size = input.options().regionSize();
        List<PlannedRegion> regions = plan.regions();
        for (PlannedRegion r : regions) {
            assertThat(r.offset()).as(r.label()).isNotNegative();
            assertThat(r.end()).as(r.label()).isLessThanOrEqualTo(size);
        }
        for (int a = 0; a < regions.size(); a++) {
            for (int b = a + 1; b < regions.size(); b++) {
                PlannedRegion x = regions.get(a);
                PlannedRegion y = regions.get(b);
                if (x.overlaps(y)) {
                    boolean nested = x.kind().isContainer() && x.contains(y) || y.kind().isContainer() && y.contains(x);
                    assertThat(nested).as("%s and %s overlap%n%s", x, y, plan).isTrue();
                }
            }
        }
        List<VdevResource> resolved = plan.resolvedTable().vdevs();
        for (int v = 0; v < resolved.size(); v++) {
            for (int i = 0; i < resolved.get(v).vrings().size(); i++) {
                VringResource vring = resolved.get(v).vrings().get(i);
                PlannedRegion at = plan.vring(v, i);
                assertThat(vring.isDaAllocated()).as("vdev%d vring%d da 0x%x", v, i, vring.da()).isFalse();
                assertThat(vring.da()).isEqualTo(at.da());
                assertThat(vring.da() % vring.align()).as(at.label()).isZero();
                assertThat((input.options().basePa() + at.offset()) % vring.align()).as(at.label()).isZero();
                assertThat(regions).contains(at);
            }
            assertThat(plan.heap(v).offset()).isNotNegative();
            assertThat(plan.heap(v).end()).isLessThanOrEqualTo(size);
        }
        assertThat(plan.resolvedTable().carveouts()).allSatisfy(c -> assertThat(c.da()).isNotEqualTo(Rsc.ADDR_ANY));
        assertThat(plan.describe()).startsWith("shared region 0x" + Long.toHexString(size));
    }

    private static void coverage() {
        Statistics.label("outcome").coverage(c -> c.check("planned").percentage(p -> p >= 12.0));
    }

    @Property(tries = 1000)
    void applyZeroesEveryPlannedVringAndWritesResolvedVringAndCarveoutAddressesIntoTheLiveTable(@ForAll("cases") Case input) {
        MemoryPlan plan;
        try {
            plan = SharedMemoryPlanner.plan(input.table(), input.options());
        } catch (PlanException e) {
            return;
        }
        MemorySegment region = MemorySegment.ofArray(new byte[(int) input.options().regionSize()]);
        region.fill((byte) 0x5a);
        ResourceTableWriter.write(input.table(), region);
        LiveResourceTable live = ResourceTable.parse(region, ParseMode.OPENAMP).attach(region);

        plan.apply(region, live);

        List<VdevResource> resolved = plan.resolvedTable().vdevs();
        assertThat(live.snapshot(ParseMode.OPENAMP).table()).isEqualTo(plan.resolvedTable());
        for (int v = 0; v < resolved.size(); v++) {
            for (int i = 0; i < resolved.get(v).vrings().size(); i++) {
                PlannedRegion at = plan.vring(v, i);
                assertThat(region.asSlice(at.offset(), at.size()).toArray(ValueLayout.JAVA_BYTE))
                        .as(at.label()).containsOnly((byte) 0);
            }
        }
    }
}
