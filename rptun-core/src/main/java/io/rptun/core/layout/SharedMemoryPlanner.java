package io.rptun.core.layout;

import io.rptun.core.layout.PlanException.Reason;
import io.rptun.core.layout.PlanOptions.BufferSizes;
import io.rptun.core.layout.PlannedRegion.Kind;
import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.AddressException;
import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rsc.CarveoutResource;
import io.rptun.core.rsc.DevmemResource;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.ResourceEntry;
import io.rptun.core.rsc.ResourceTable;
import io.rptun.core.rsc.ResourceTableWriter;
import io.rptun.core.rsc.RptunConfig;
import io.rptun.core.rsc.RptunRsc;
import io.rptun.core.rsc.Rsc;
import io.rptun.core.rsc.TraceResource;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VringResource;
import io.rptun.core.virtio.VringLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Lays out a resource table's memory in one shared region: the table, the vrings, the carveouts and each
 * vdev's heap, the way the RPTUN master (the virtio driver) does before it writes DRIVER_OK.
 *
 * <p>Rules, in the order they run:
 * <ol>
 * <li>The table sits at offset 0 and takes {@link PlanOptions#tableReserve()} bytes (by default its
 *     written size).</li>
 * <li>The i-th vdev is paired with the i-th carveout, in table order; at most one vdev may have none.</li>
 * <li>Static placements are taken as given, after checking through the address environment that each lies
 *     wholly inside the region and overlaps nothing: carveouts with a da (or a pa) other than ANY, vrings
 *     with a da other than 0 and ANY (which must be a multiple of their align), trace and devmem memory
 *     inside the region (memory wholly outside it is only listed), and the explicit heap of the vdev
 *     without a carveout ({@link PlanOptions#heapOffset()}, to the region's end).</li>
 * <li>Carveouts at ANY go to the lowest free offset, aligned to the largest vring align of their vdev
 *     (at least 8); their da and pa are written into the resolved table.</li>
 * <li>A vdev's vrings with da 0 or ANY are carved from the start of its carveout, each at
 *     {@code align_up(cursor, align)} taking {@code align_up(vring_size(num, align), align)} bytes; the
 *     rest of the carveout is the vdev's heap.</li>
 * <li>The vdev without a carveout gets its allocated vrings at the lowest free offsets, and a heap from
 *     the end of the last placed region (aligned up to 8) to the region's end, unless it has an explicit
 *     one.</li>
 * <li>For an rpmsg vdev (or one with a {@code fw_rsc_config}, or when buffer sizes are given), the heap
 *     starts with the driver's RX buffers, vring0 num times the RX (r2h) buffer size; the rest is where
 *     TX buffers are allocated lazily. Buffer sizes: the options', else the config's when the vdev offers
 *     F_BUFSZ, else 512.</li>
 * </ol>
 *
 * <p>Every failure is a {@link PlanException}; nothing else is thrown for any table and options.
 */
public final class SharedMemoryPlanner {
    /** The smallest alignment of a carveout placed by the planner and of a heap after the last region. */
    private static final long MIN_ALIGN = 8;
    /** Device addresses are u32: everything written into the table must lie below this. */
    private static final long DA_SPACE = WireLayouts.U32_MAX + 1;

    private SharedMemoryPlanner() {
    }

    /**
     * Plans where everything of {@code table} lives in the region {@code options} describe.
     *
     * @throws PlanException when it cannot be laid out; the reason says why
     */
    public static MemoryPlan plan(ResourceTable table, PlanOptions options) {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(options, "options");
        return new Run(table, options).run();
    }

    /** One planning pass: mutable state that never escapes. */
    private static final class Run {
        private final ResourceTable table;
        private final PlanOptions options;
        private final long size;
        private final long basePa;
        private final AddressEnvironment env;
        private final List<VdevResource> vdevs;
        private final List<CarveoutResource> carveouts;
        /** Top-level placements, pairwise disjoint: what allocation must avoid. */
        private final List<PlannedRegion> top = new ArrayList<>();
        private final List<PlannedRegion> all = new ArrayList<>();
        private final List<PlannedRegion> outside = new ArrayList<>();
        private final CarveoutResource[] resolvedCarveouts;
        private final PlannedRegion[] carveoutRegions;
        private final PlannedRegion[][] vringRegions;
        private final PlannedRegion[] heaps;

        Run(ResourceTable table, PlanOptions options) {
            this.table = table;
            this.options = options;
            this.size = options.regionSize();
            this.basePa = options.basePa();
            this.env = options.env();
            this.vdevs = table.vdevs();
            this.carveouts = table.carveouts();
            this.resolvedCarveouts = carveouts.toArray(new CarveoutResource[0]);
            this.carveoutRegions = new PlannedRegion[carveouts.size()];
            this.vringRegions = new PlannedRegion[vdevs.size()][];
            for (int v = 0; v < vdevs.size(); v++) {
                vringRegions[v] = new PlannedRegion[vdevs.get(v).vrings().size()];
            }
            this.heaps = new PlannedRegion[vdevs.size()];
        }

        MemoryPlan run() {
            placeTable();
            if (vdevs.size() > carveouts.size() + 1) {
                throw fail(Reason.NO_CARVEOUT, vdevs.size() + " vdevs but " + carveouts.size()
                        + " carveouts: vdev" + carveouts.size() + ".." + (vdevs.size() - 1)
                        + " have none, and at most one vdev may go without a carveout");
            }
            int heapless = vdevs.size() > carveouts.size() ? carveouts.size() : -1;
            for (int c = 0; c < carveouts.size(); c++) {
                if (!isAny(carveouts.get(c))) {
                    placeStaticCarveout(c);
                }
            }
            for (int v = 0; v < vdevs.size(); v++) {
                for (int i = 0; i < vdevs.get(v).vrings().size(); i++) {
                    if (!vdevs.get(v).vrings().get(i).isDaAllocated()) {
                        placeStaticVring(v, i);
                    }
                }
            }
            placeTraceAndDevmem();
            if (heapless >= 0 && options.heapOffset().isPresent()) {
                long at = options.heapOffset().getAsLong();
                if (at > size) {
                    throw fail(Reason.OUTSIDE_REGION, "vdev" + heapless + " heap offset 0x" + hex(at)
                            + " lies past the region's end 0x" + hex(size));
                }
                heaps[heapless] = occupy(new PlannedRegion(Kind.HEAP, "vdev" + heapless + " heap", at, size - at,
                        daOf(at)));
            }
            for (int c = 0; c < carveouts.size(); c++) {
                if (isAny(carveouts.get(c))) {
                    placeAnyCarveout(c);
                }
            }
            for (int v = 0; v < vdevs.size() && v < carveouts.size(); v++) {
                carve(v);
            }
            if (heapless >= 0) {
                placeHeapless(heapless);
            }
            for (int v = 0; v < vdevs.size(); v++) {
                planBuffers(v);
            }
            return new MemoryPlan(resolvedTable(), all, vringLists(), List.of(heaps), outside, options);
        }

        private void placeTable() {
            long tableSize = ResourceTableWriter.sizeOf(table);
            long reserve = options.tableReserve() == 0 ? tableSize : options.tableReserve();
            if (reserve > size) {
                throw fail(Reason.REGION_TOO_SMALL, "resource table needs 0x" + hex(reserve) + " bytes (table 0x"
                        + hex(tableSize) + "), region has 0x" + hex(size));
            }
            if (tableSize > reserve) {
                throw fail(Reason.TABLE_TOO_LARGE, "resource table is 0x" + hex(tableSize)
                        + " bytes, its reserve only 0x" + hex(reserve));
            }
            String label = reserve == tableSize ? "resource table"
                    : "resource table (0x" + hex(tableSize) + " bytes, 0x" + hex(reserve) + " reserved)";
            occupy(new PlannedRegion(Kind.TABLE, label, 0, reserve, daOf(0)));
        }

        private static boolean isAny(CarveoutResource c) {
            return c.da() == Rsc.ADDR_ANY && c.pa() == Rsc.ADDR_ANY;
        }

        private String carveoutLabel(int c) {
            String name = carveouts.get(c).name();
            return "carveout" + c + (name.isEmpty() ? "" : " \"" + name + "\"")
                    + (c < vdevs.size() ? " (vdev" + c + ")" : " (no vdev)");
        }

        private void placeStaticCarveout(int c) {
            CarveoutResource co = carveouts.get(c);
            String label = carveoutLabel(c);
            long offset;
            long da;
            if (co.da() != Rsc.ADDR_ANY) {
                da = co.da();
                long pa = translateDa(label, da, co.len());
                if (co.pa() != Rsc.ADDR_ANY && co.pa() != pa) {
                    throw fail(Reason.BAD_ADDRESS, label + " da 0x" + hex(da) + " translates to pa 0x" + hex(pa)
                            + " but the entry says pa 0x" + hex(co.pa()));
                }
                offset = offsetOfPa(label, pa, co.len());
            } else {
                offset = offsetOfPa(label, co.pa(), co.len());
                da = daOfRange(label, offset, co.len());
            }
            resolveCarveout(c, offset, da);
        }

        private void placeAnyCarveout(int c) {
            CarveoutResource co = carveouts.get(c);
            String label = carveoutLabel(c);
            long align = MIN_ALIGN;
            if (c < vdevs.size()) {
                for (VringResource r : vdevs.get(c).vrings()) {
                    align = Math.max(align, r.align());
                }
            }
            long offset = firstFit(label, co.len(), align);
            resolveCarveout(c, offset, daOfRange(label, offset, co.len()));
        }

        private void resolveCarveout(int c, long offset, long da) {
            CarveoutResource co = carveouts.get(c);
            String label = carveoutLabel(c);
            if (da == Rsc.ADDR_ANY || da > DA_SPACE - co.len()) {
                throw fail(Reason.BAD_ADDRESS, label + " at da 0x" + hex(da) + " length 0x" + hex(co.len())
                        + " does not fit the 32-bit device address space");
            }
            long pa = basePa + offset;
            long paField = pa < Rsc.ADDR_ANY ? pa : co.pa();
            resolvedCarveouts[c] = new CarveoutResource(da, paField, co.len(), co.flags(), co.reserved(), co.name());
            carveoutRegions[c] = occupy(new PlannedRegion(Kind.CARVEOUT, label, offset, co.len(), da));
        }

        private String vringLabel(int v, int i) {
            VringResource r = vdevs.get(v).vrings().get(i);
            return "vdev" + v + " vring" + i + " (num " + r.num() + ", align 0x" + hex(r.align()) + ")";
        }

        private void placeStaticVring(int v, int i) {
            VringResource r = vdevs.get(v).vrings().get(i);
            String label = vringLabel(v, i);
            long bytes = VringLayout.byteSize(r.num(), r.align());
            checkVringDa(label, r, r.da(), bytes);
            long offset = offsetOfPa(label, translateDa(label, r.da(), bytes), bytes);
            vringRegions[v][i] = occupy(new PlannedRegion(Kind.VRING, label, offset, bytes, r.da()));
        }

        /** A vring allocated at {@code offset}, taking {@code reserved} bytes: its region, not yet occupied. */
        private PlannedRegion allocatedVring(int v, int i, long offset, long reserved) {
            VringResource r = vdevs.get(v).vrings().get(i);
            String label = vringLabel(v, i);
            long bytes = VringLayout.byteSize(r.num(), r.align());
            long da = daOfRange(label, offset, bytes);
            if (da == 0) {
                throw fail(Reason.BAD_ADDRESS, label + " at offset 0x" + hex(offset)
                        + " gets da 0, which the peer reads as \"allocate me\"");
            }
            checkVringDa(label, r, da, bytes);
            PlannedRegion region = new PlannedRegion(Kind.VRING, label, offset, reserved, da);
            vringRegions[v][i] = region;
            return region;
        }

        private void checkVringDa(String label, VringResource r, long da, long bytes) {
            if ((da & (r.align() - 1)) != 0) {
                throw fail(Reason.MISALIGNED, label + " da 0x" + hex(da) + " is not a multiple of its align 0x"
                        + hex(r.align()));
            }
            if (da > DA_SPACE - bytes) {
                throw fail(Reason.BAD_ADDRESS, label + " at da 0x" + hex(da) + " length 0x" + hex(bytes)
                        + " does not fit the 32-bit device address space");
            }
        }

        private void carve(int v) {
            PlannedRegion c = carveoutRegions[v];
            long cursor = c.offset();
            List<VringResource> vrings = vdevs.get(v).vrings();
            for (int i = 0; i < vrings.size(); i++) {
                VringResource r = vrings.get(i);
                if (!r.isDaAllocated()) {
                    continue;
                }
                long at = WireLayouts.alignUp(cursor, r.align());
                long need = WireLayouts.alignUp(VringLayout.byteSize(r.num(), r.align()), r.align());
                if (at > c.end() || need > c.end() - at) {
                    throw fail(Reason.CARVEOUT_TOO_SMALL, c.label() + " [0x" + hex(c.offset()) + ", 0x"
                            + hex(c.end()) + ") cannot hold " + vringLabel(v, i) + ": it needs 0x" + hex(need)
                            + " bytes at 0x" + hex(at));
                }
                all.add(allocatedVring(v, i, at, need));
                cursor = at + need;
            }
            heaps[v] = add(new PlannedRegion(Kind.HEAP, "vdev" + v + " heap", cursor, c.end() - cursor, daOf(cursor)));
        }

        private void placeHeapless(int v) {
            List<VringResource> vrings = vdevs.get(v).vrings();
            for (int i = 0; i < vrings.size(); i++) {
                VringResource r = vrings.get(i);
                if (r.isDaAllocated()) {
                    long need = WireLayouts.alignUp(VringLayout.byteSize(r.num(), r.align()), r.align());
                    long at = firstFit(vringLabel(v, i), need, r.align());
                    occupy(allocatedVring(v, i, at, need));
                }
            }
            if (heaps[v] == null) {
                long last = 0;
                for (PlannedRegion r : top) {
                    last = Math.max(last, r.end());
                }
                long at = Math.min(WireLayouts.alignUp(last, MIN_ALIGN), size);
                heaps[v] = occupy(new PlannedRegion(Kind.HEAP, "vdev" + v + " heap", at, size - at, daOf(at)));
            }
        }

        private void planBuffers(int v) {
            VdevResource vdev = vdevs.get(v);
            Optional<BufferSizes> sizes = bufferSizes(vdev);
            if (sizes.isEmpty() || vdev.vrings().isEmpty()) {
                return;
            }
            PlannedRegion heap = heaps[v];
            int num = vdev.vrings().get(0).num();
            long r2h = sizes.get().r2h();
            long rx = num * r2h;
            if (rx > heap.size()) {
                throw fail(Reason.HEAP_TOO_SMALL, heap.label() + " [0x" + hex(heap.offset()) + ", 0x" + hex(heap.end())
                        + ") cannot hold the RX buffers, " + num + " x " + r2h + " = 0x" + hex(rx) + " bytes");
            }
            add(new PlannedRegion(Kind.RX_BUFFERS, "vdev" + v + " RX buffers (" + num + " x " + r2h + " bytes)",
                    heap.offset(), rx, daOf(heap.offset())));
            long tx = heap.offset() + rx;
            add(new PlannedRegion(Kind.TX_BUFFERS, "vdev" + v + " TX buffers (allocated lazily, "
                    + sizes.get().h2r() + " bytes each)", tx, heap.end() - tx, daOf(tx)));
        }

        private Optional<BufferSizes> bufferSizes(VdevResource vdev) {
            if (options.rpmsgBufferSizes().isPresent()) {
                return options.rpmsgBufferSizes();
            }
            Optional<RptunConfig> config = vdev.rptunConfig();
            if (config.isPresent() && (vdev.dfeatures() & RptunRsc.F_BUFSZ) != 0) {
                return Optional.of(new BufferSizes(config.get().h2rBufSize(), config.get().r2hBufSize()));
            }
            if (config.isPresent() || vdev.id() == FwRscVdevLayout.VIRTIO_ID_RPMSG) {
                return Optional.of(new BufferSizes(RptunRsc.DEFAULT_BUFFER_SIZE, RptunRsc.DEFAULT_BUFFER_SIZE));
            }
            return Optional.empty();
        }

        private void placeTraceAndDevmem() {
            int traces = 0;
            int devmems = 0;
            for (ResourceEntry e : table.entries()) {
                if (e instanceof TraceResource t) {
                    String name = t.name().isEmpty() ? "" : " \"" + t.name() + "\"";
                    placeMemory(Kind.TRACE, "trace" + traces++ + name, t.da(), t.len());
                } else if (e instanceof DevmemResource d) {
                    String name = d.name().isEmpty() ? "" : " \"" + d.name() + "\"";
                    placeMemory(Kind.DEVMEM, "devmem" + devmems++ + name, d.da(), d.len());
                }
            }
        }

        /** Memory wholly inside the region is occupied; wholly outside, listed; across its edge, an error. */
        private void placeMemory(Kind kind, String label, long da, long len) {
            if (len == 0) {
                return;
            }
            long pa = translateDa(label, da, len);
            if (pa + len <= basePa || pa >= basePa + size) {
                outside.add(new PlannedRegion(kind, label, pa - basePa, len, da));
            } else {
                occupy(new PlannedRegion(kind, label, offsetOfPa(label, pa, len), len, da));
            }
        }

        /** The lowest offset, a multiple of {@code align}, where {@code len} bytes overlap nothing placed. */
        private long firstFit(String label, long len, long align) {
            long need = Math.max(len, 1);
            List<PlannedRegion> sorted = new ArrayList<>(top);
            sorted.sort(Comparator.comparingLong(PlannedRegion::offset));
            long at = 0;
            for (PlannedRegion r : sorted) {
                if (r.size() == 0 || r.end() <= at) {
                    continue;
                }
                if (r.offset() >= at + need) {
                    break;
                }
                at = WireLayouts.alignUp(r.end(), align);
            }
            if (at > size || len > size - at) {
                throw fail(Reason.REGION_TOO_SMALL, "no room for " + label + ": 0x" + hex(len)
                        + " bytes aligned to 0x" + hex(align) + ", the first free offset is 0x" + hex(at)
                        + " and the region ends at 0x" + hex(size));
            }
            return at;
        }

        private PlannedRegion occupy(PlannedRegion r) {
            for (PlannedRegion t : top) {
                if (t.overlaps(r)) {
                    throw fail(Reason.OVERLAP, r.label() + " [0x" + hex(r.offset()) + ", 0x" + hex(r.end())
                            + ") overlaps " + t.label() + " [0x" + hex(t.offset()) + ", 0x" + hex(t.end()) + ")");
                }
            }
            top.add(r);
            return add(r);
        }

        private PlannedRegion add(PlannedRegion r) {
            all.add(r);
            return r;
        }

        private long translateDa(String label, long da, long len) {
            try {
                return env.daToPa(da, len);
            } catch (AddressException e) {
                throw new PlanException(Reason.BAD_ADDRESS, label + " da 0x" + hex(da) + " length 0x" + hex(len)
                        + " cannot be translated" + inRegion() + ": " + e.getMessage(), e);
            }
        }

        private long offsetOfPa(String label, long pa, long len) {
            if (pa < basePa || pa - basePa > size || len > size - (pa - basePa)) {
                throw fail(Reason.OUTSIDE_REGION, label + " at pa 0x" + hex(pa) + " length 0x" + hex(len)
                        + " does not lie wholly inside [pa 0x" + hex(basePa) + ", pa 0x" + hex(basePa + size) + ")");
            }
            return pa - basePa;
        }

        private long daOfRange(String label, long offset, long len) {
            try {
                return env.paToDa(basePa + offset, len);
            } catch (AddressException e) {
                throw new PlanException(Reason.BAD_ADDRESS, label + " at offset 0x" + hex(offset) + " length 0x"
                        + hex(len) + " cannot be translated to a da" + inRegion() + ": " + e.getMessage(), e);
            }
        }

        private long daOf(long offset) {
            return env.paToDa(basePa + offset);
        }

        private ResourceTable resolvedTable() {
            List<ResourceEntry> entries = new ArrayList<>(table.entries());
            int v = 0;
            int c = 0;
            for (int e = 0; e < entries.size(); e++) {
                if (entries.get(e) instanceof VdevResource vdev) {
                    List<VringResource> vrings = new ArrayList<>();
                    for (int i = 0; i < vdev.vrings().size(); i++) {
                        vrings.add(vdev.vrings().get(i).withDa(vringRegions[v][i].da()));
                    }
                    entries.set(e, vdev.withVrings(vrings));
                    v++;
                } else if (entries.get(e) instanceof CarveoutResource) {
                    entries.set(e, resolvedCarveouts[c++]);
                }
            }
            return new ResourceTable(table.reserved0(), table.reserved1(), entries);
        }

        private List<List<PlannedRegion>> vringLists() {
            List<List<PlannedRegion>> lists = new ArrayList<>();
            for (PlannedRegion[] regions : vringRegions) {
                lists.add(List.of(regions));
            }
            return lists;
        }

        private String inRegion() {
            return " (shared region 0x" + hex(size) + " bytes at pa 0x" + hex(basePa) + ")";
        }

        private PlanException fail(Reason reason, String detail) {
            return new PlanException(reason, detail + inRegion());
        }

        private static String hex(long value) {
            return Long.toHexString(value);
        }
    }
}
