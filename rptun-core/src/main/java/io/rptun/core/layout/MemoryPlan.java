package io.rptun.core.layout;

import io.rptun.core.layout.PlannedRegion.Kind;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.rsc.CarveoutResource;
import io.rptun.core.rsc.LiveResourceTable;
import io.rptun.core.rsc.ResourceTable;
import io.rptun.core.rsc.VdevResource;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where everything of one resource table lives in the shared region, as computed by
 * {@link SharedMemoryPlanner#plan}: the table with every allocated address filled in, and the regions.
 * Immutable and thread-safe.
 */
public final class MemoryPlan {
    /** Parents before children: by offset, then larger first, then carveouts before heaps before the rest. */
    private static final Comparator<PlannedRegion> ORDER = Comparator.comparingLong(PlannedRegion::offset)
            .thenComparing(Comparator.comparingLong(PlannedRegion::size).reversed())
            .thenComparingInt(MemoryPlan::rank);

    private final ResourceTable resolvedTable;
    private final List<PlannedRegion> regions;
    private final List<List<PlannedRegion>> vrings;
    private final List<PlannedRegion> heaps;
    private final List<PlannedRegion> outside;
    private final PlanOptions options;

    MemoryPlan(ResourceTable resolvedTable, List<PlannedRegion> regions, List<List<PlannedRegion>> vrings,
            List<PlannedRegion> heaps, List<PlannedRegion> outside, PlanOptions options) {
        this.resolvedTable = resolvedTable;
        List<PlannedRegion> sorted = new ArrayList<>();
        for (PlannedRegion r : regions) {
            if (r.size() > 0) {
                sorted.add(r);
            }
        }
        sorted.sort(ORDER);
        this.regions = List.copyOf(sorted);
        this.vrings = vrings.stream().map(List::copyOf).toList();
        this.heaps = List.copyOf(heaps);
        this.outside = List.copyOf(outside);
        this.options = options;
    }

    private static int rank(PlannedRegion r) {
        return switch (r.kind()) {
            case CARVEOUT -> 0;
            case HEAP -> 1;
            default -> 2;
        };
    }

    /** The table as planned: every vring da that was 0 or ANY, and every carveout at ANY, filled in. */
    public ResourceTable resolvedTable() {
        return resolvedTable;
    }

    /**
     * The regions inside the shared region, sorted by offset (a holder before what it holds); regions
     * of size 0 and gaps are left out. Two of them share bytes only when one is a carveout or heap that
     * holds the other.
     */
    public List<PlannedRegion> regions() {
        return regions;
    }

    /** Trace and devmem memory that lies wholly outside the shared region, in table order. */
    public List<PlannedRegion> outsideRegion() {
        return outside;
    }

    /**
     * Where vring {@code vring} of the {@code vdev}-th vdev lives.
     *
     * @throws IndexOutOfBoundsException for a vdev or vring the table does not have
     */
    public PlannedRegion vring(int vdev, int vring) {
        return vrings.get(vdev).get(vring);
    }

    /**
     * The heap of the {@code vdev}-th vdev (in table order): the rest of its carveout, or, for the vdev
     * without a carveout, the heap the planner gave it. May have size 0.
     *
     * @throws IndexOutOfBoundsException for a vdev the table does not have
     */
    public PlannedRegion heap(int vdev) {
        return heaps.get(vdev);
    }

    /**
     * The carveout heap of the {@code vdev}-th vdev ({@link #heap}), with 64-byte granules; its offsets are
     * the plan's, from byte 0 of the shared region. (The plan makes the heap, so that {@code heap} need not
     * know about plans: no package cycle.)
     *
     * @throws IndexOutOfBoundsException for a vdev the plan does not have
     */
    public io.rptun.core.heap.CarveoutHeap carveoutHeap(int vdev) {
        PlannedRegion region = heap(vdev);
        return io.rptun.core.heap.CarveoutHeap.of(region.offset(), region.size());
    }

    /** The options this plan was made with. */
    public PlanOptions options() {
        return options;
    }

    /**
     * Zeroes every vring's bytes in {@code region}, then writes every vring's da into {@code live} with
     * release ({@link LiveResourceTable#setVringDa}), so the zeroed vrings are visible before their
     * addresses; and writes every carveout's resolved da and pa ({@link
     * LiveResourceTable#setCarveoutAddresses}), which changes only those that asked for ANY.
     *
     * @param region the local mapping of the shared region; byte 0 is offset 0
     * @param live the table in shared memory, with the same vdevs and vrings as the planned table
     * @throws IllegalArgumentException if {@code region} is smaller than the planned region, or {@code live}
     *     has other vdevs or vrings
     */
    public void apply(MemorySegment region, LiveResourceTable live) {
        if (region.byteSize() < options.regionSize()) {
            throw new IllegalArgumentException("region size=0x" + Long.toHexString(region.byteSize())
                    + " < planned region size=0x" + Long.toHexString(options.regionSize()));
        }
        List<VdevResource> planned = resolvedTable.vdevs();
        List<VdevResource> actual = live.parsed().table().vdevs();
        if (planned.size() != actual.size()) {
            throw new IllegalArgumentException("live table has " + actual.size() + " vdevs, plan has "
                    + planned.size());
        }
        for (int v = 0; v < planned.size(); v++) {
            if (planned.get(v).vrings().size() != actual.get(v).vrings().size()) {
                throw new IllegalArgumentException("live vdev" + v + " has " + actual.get(v).vrings().size()
                        + " vrings, plan has " + planned.get(v).vrings().size());
            }
        }
        for (List<PlannedRegion> vdevVrings : vrings) {
            for (PlannedRegion r : vdevVrings) {
                region.asSlice(r.offset(), r.size()).fill((byte) 0);
            }
        }
        List<CarveoutResource> carveouts = resolvedTable.carveouts();
        if (carveouts.size() != live.parsed().table().carveouts().size()) {
            throw new IllegalArgumentException("live table has " + live.parsed().table().carveouts().size()
                    + " carveouts, plan has " + carveouts.size());
        }
        for (int v = 0; v < planned.size(); v++) {
            for (int i = 0; i < planned.get(v).vrings().size(); i++) {
                live.setVringDa(v, i, planned.get(v).vrings().get(i).da());
            }
        }
        for (int c = 0; c < carveouts.size(); c++) {
            live.setCarveoutAddresses(c, carveouts.get(c).da(), carveouts.get(c).pa());
        }
    }

    /**
     * A readable memory map: a title line, a header, then one line per region and per gap
     * ({@code (free)}) with offset, end, size and da in hex, what a carveout or heap holds indented
     * below it, and last the trace and devmem memory outside the shared region.
     */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        AddressEnvironment env = options.env();
        sb.append("shared region 0x").append(Long.toHexString(options.regionSize())).append(" bytes at pa 0x")
                .append(Long.toHexString(options.basePa())).append(", ").append(env).append('\n');
        sb.append(String.format("%-10s  %-10s  %-10s  %-10s  %s\n", "offset", "end", "size", "da", "what"));
        int[] next = {0};
        describe(sb, next, 0, options.regionSize(), 0);
        for (PlannedRegion r : outside) {
            sb.append(String.format("%-10s  %-10s  0x%08x  0x%08x  %s (outside the shared region, pa 0x%x)\n",
                    "-", "-", r.size(), r.da(), r.label(), options.basePa() + r.offset()));
        }
        return sb.toString();
    }

    /** Lines for the regions inside {@code [from, to)} at {@code depth}, gaps included. */
    private void describe(StringBuilder sb, int[] next, long from, long to, int depth) {
        long cursor = from;
        while (next[0] < regions.size() && regions.get(next[0]).offset() < to) {
            PlannedRegion r = regions.get(next[0]++);
            if (r.offset() > cursor) {
                line(sb, new PlannedRegion(Kind.FREE, "(free)", cursor, r.offset() - cursor, daOf(cursor)), depth);
            }
            line(sb, r, depth);
            if (r.kind().isContainer()) {
                describe(sb, next, r.offset(), r.end(), depth + 1);
            }
            cursor = Math.max(cursor, r.end());
        }
        if (cursor < to) {
            line(sb, new PlannedRegion(Kind.FREE, "(free)", cursor, to - cursor, daOf(cursor)), depth);
        }
    }

    private long daOf(long offset) {
        return options.env().paToDa(options.basePa() + offset);
    }

    private static void line(StringBuilder sb, PlannedRegion r, int depth) {
        sb.append(String.format("0x%08x  0x%08x  0x%08x  0x%08x  %s%s\n",
                r.offset(), r.end(), r.size(), r.da(), "  ".repeat(depth), r.label()));
    }

    /** The same as {@link #describe()}. */
    @Override
    public String toString() {
        return describe();
    }
}
