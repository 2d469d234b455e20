package io.rptun.examples.cli;

import static io.rptun.core.memory.WireLayouts.LE_U16;
import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgHeaderLayout;
import io.rptun.core.rpmsg.RpmsgNsMessageLayout;
import io.rptun.core.rsc.CarveoutResource;
import io.rptun.core.rsc.DevmemResource;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceEntry;
import io.rptun.core.rsc.TraceResource;
import io.rptun.core.rsc.VdevResource;
import io.rptun.core.rsc.VringResource;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringDescLayout;
import io.rptun.core.virtio.VringLayout;
import io.rptun.core.virtio.VringUsedLayout;
import io.rptun.examples.cli.DumpReport.Desc;
import io.rptun.examples.cli.DumpReport.FileKind;
import io.rptun.examples.cli.DumpReport.Flow;
import io.rptun.examples.cli.DumpReport.HeapInfo;
import io.rptun.examples.cli.DumpReport.MapEntry;
import io.rptun.examples.cli.DumpReport.NsSeen;
import io.rptun.examples.cli.DumpReport.RingEntry;
import io.rptun.examples.cli.DumpReport.RingState;
import io.rptun.examples.cli.DumpReport.SimInfo;
import io.rptun.examples.cli.DumpReport.Traffic;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads the region of a recognised file: vrings, the buffers their descriptors point to, the heap window
 * and the memory map. Every value comes from a file another process may be writing, or a file that was
 * corrupted: each one is read once and checked before it is used as an index, offset or length, and
 * whatever does not fit becomes an anomaly in the report, never an exception or an out-of-bounds read.
 *
 * <p>Addresses are read in the identity address environment the simulator and OpenAMP's Linux machine
 * use: a da (vring da, {@code desc.addr}) is an offset into the region.
 */
final class DumpRegion {
    private final MemorySegment region;
    private final long size;
    private final ParsedResourceTable parsed;
    private final ParseMode mode;
    private final FileKind kind;
    private final int maxEntries;
    private final List<String> anomalies;
    private final List<RingState> rings = new ArrayList<>();
    /** Per vdev: buffers (desc addr -> len) seen in its descriptor tables, inside the region. */
    private final List<Map<Long, Long>> buffers = new ArrayList<>();
    private final Map<FlowKey, long[]> flows = new LinkedHashMap<>();
    private final Map<NsKey, int[]> names = new LinkedHashMap<>();
    /** Anomalies listed at most; the rest are counted. */
    private static final int MAX_ANOMALIES = 200;
    /** Vrings read at most: a table may declare thousands, each with 32768 descriptors. */
    private static final int MAX_RINGS = 64;
    /** Descriptors already reported OUTSIDE, so one named by many entries is reported once. */
    private final Set<String> reportedOutside = new HashSet<>();
    private int dropped;
    private int scanned;
    private int empty;
    private int unreadable;

    /** The pa of region offset 0: descriptor addresses minus this are region offsets. */
    private long paBase;

    private DumpRegion(MemorySegment region, ParsedResourceTable parsed, ParseMode mode, FileKind kind,
            int maxEntries, List<String> anomalies) {
        this.region = region;
        this.size = region.byteSize();
        this.parsed = parsed;
        this.mode = mode;
        this.kind = kind;
        this.maxEntries = maxEntries;
        this.anomalies = anomalies;
    }

    static DumpReport analyse(Path path, long fileSize, FileKind kind, @Nullable SimInfo sim, long regionOffset,
            MemorySegment region, ParsedResourceTable parsed, ParseMode mode, int maxEntries, List<String> anomalies,
            List<String> notes) {
        return analyse(path, fileSize, kind, sim, regionOffset, region, parsed, mode, maxEntries, anomalies, notes, 0);
    }

    /**
     * As above, for a file whose descriptors hold pa's: {@code paBase} is the pa of region offset 0 (NuttX's
     * simulator: the master's {@code base}), subtracted from every descriptor address.
     */
    static DumpReport analyse(Path path, long fileSize, FileKind kind, @Nullable SimInfo sim, long regionOffset,
            MemorySegment region, ParsedResourceTable parsed, ParseMode mode, int maxEntries, List<String> anomalies,
            List<String> notes, long paBase) {
        DumpRegion r = new DumpRegion(region, parsed, mode, kind, maxEntries, anomalies);
        r.paBase = paBase;
        List<VdevResource> vdevs = parsed.table().vdevs();
        for (int v = 0; v < vdevs.size(); v++) {
            r.buffers.add(new LinkedHashMap<>());
            for (int i = 0; i < vdevs.get(v).vrings().size(); i++) {
                r.rings.add(r.ring(v, i, vdevs.get(v)));
            }
        }
        List<HeapInfo> heaps = new ArrayList<>();
        for (int v = 0; v < vdevs.size(); v++) {
            heaps.add(r.heap(v));
        }
        List<MapEntry> map = r.map(heaps);
        if (r.dropped > 0) {
            anomalies.add("... and " + r.dropped + " more anomalies not listed");
        }
        if (sim == null && kind == FileKind.RAW_REGION) {
            notes.add("addresses are read as offsets into the file (identity address environment)");
        }
        return new DumpReport(path, fileSize, kind, mode, sim, regionOffset, r.size, parsed, map, List.copyOf(r.rings),
                r.traffic(), heaps, List.copyOf(anomalies), List.copyOf(notes));
    }

    // ---------------------------------------------------------------- vrings

    /** Which way messages go on vring {@code index}, for an rpmsg vdev. */
    private String direction(VdevResource vdev, int index) {
        if (vdev.id() != FwRscVdevLayout.VIRTIO_ID_RPMSG || index > 1) {
            return "";
        }
        // The master is the virtio driver unless NuttX's role byte says device; the driver's vring0 is its RX.
        boolean masterIsDriver = mode == ParseMode.OPENAMP || vdev.reserved0() == FwRscVdevLayout.ROLE_DRIVER;
        boolean toHost = (index == 0) == masterIsDriver;
        return toHost ? "remote -> host" : "host -> remote";
    }

    private void anomaly(String what) {
        if (anomalies.size() < MAX_ANOMALIES) {
            anomalies.add(what);
        } else {
            dropped++;
        }
    }

    private String label(int v, int i) {
        return "vdev" + v + " vring" + i;
    }

    private RingState ring(int v, int i, VdevResource vdev) {
        VringResource r = vdev.vrings().get(i);
        int num = r.num();
        long bytes = r.da() < region.byteSize()
                ? VringLayout.byteSizeAt(region.address() + r.da(), num, r.align())
                : VringLayout.byteSize(num, r.align());
        String dir = direction(vdev, i);
        if (rings.size() >= MAX_RINGS) {
            anomaly(label(v, i) + ": not read, the table declares more than " + MAX_RINGS + " vrings");
            return unread(v, i, dir, r, bytes, "not read (more than " + MAX_RINGS + " vrings)");
        }
        if (r.isDaAllocated()) {
            return unread(v, i, dir, r, bytes, "not placed yet (da 0x" + Long.toHexString(r.da()) + ")");
        }
        if (r.da() > size || bytes > size - r.da()) {
            anomaly(label(v, i) + ": da 0x" + Long.toHexString(r.da()) + " + 0x" + Long.toHexString(bytes)
                    + " bytes lies OUTSIDE the region [0, 0x" + Long.toHexString(size) + ")");
            return unread(v, i, dir, r, bytes, "OUTSIDE the region");
        }
        if ((r.da() & (r.align() - 1)) != 0) {
            anomaly(label(v, i) + ": da 0x" + Long.toHexString(r.da()) + " is not a multiple of its align 0x"
                    + Long.toHexString(r.align()));
        }
        MemorySegment ring = region.asSlice(r.da(), bytes);
        long avail = VringLayout.availOffset(num);
        long used = VringLayout.usedOffsetAt(ring.address(), num, r.align());
        int availFlags = u16(ring, avail + VringAvailLayout.FLAGS_OFFSET);
        int availIdx = u16(ring, avail + VringAvailLayout.IDX_OFFSET);
        int usedFlags = u16(ring, used + VringUsedLayout.FLAGS_OFFSET);
        int usedIdx = u16(ring, used + VringUsedLayout.IDX_OFFSET);
        int inFlight = (availIdx - usedIdx) & 0xFFFF;
        if (inFlight > num) {
            anomaly(label(v, i) + ": avail.idx " + availIdx + " - used.idx " + usedIdx + " = " + inFlight
                    + " in flight, more than num " + num);
        }
        List<RingEntry> availEntries = new ArrayList<>();
        for (int k = 1; k <= shown(num, availIdx); k++) {
            int idx = (availIdx - k) & 0xFFFF;
            int slot = idx & (num - 1);
            int head = u16(ring, avail + VringAvailLayout.RING_OFFSET + VringAvailLayout.ELEMENT_SIZE * slot);
            availEntries.add(new RingEntry(idx, slot, head, -1, desc(v, i, ring, num, head, "avail", idx)));
        }
        List<RingEntry> usedEntries = new ArrayList<>();
        for (int k = 1; k <= shown(num, usedIdx); k++) {
            int idx = (usedIdx - k) & 0xFFFF;
            int slot = idx & (num - 1);
            long element = used + VringUsedLayout.RING_OFFSET + VringUsedLayout.ELEMENT_SIZE * slot;
            long id = WireLayouts.u32(ring.get(LE_U32, element + VringUsedLayout.ELEMENT_ID_OFFSET));
            long len = WireLayouts.u32(ring.get(LE_U32, element + VringUsedLayout.ELEMENT_LEN_OFFSET));
            usedEntries.add(new RingEntry(idx, slot, id, len, desc(v, i, ring, num, id, "used", idx)));
        }
        scanBuffers(v, i, dir, ring, num);
        return new RingState(v, i, dir, r.da(), r.align(), num, r.notifyId(), bytes, "ok", true, availFlags, availIdx,
                usedFlags, usedIdx, inFlight, availEntries, usedEntries);
    }

    private RingState unread(int v, int i, String dir, VringResource r, long bytes, String why) {
        return new RingState(v, i, dir, r.da(), r.align(), r.num(), r.notifyId(), bytes, why, false, 0, 0, 0, 0, 0,
                List.of(), List.of());
    }

    /** Entries to list: the last {@code num} (at most {@code maxEntries}), but none never written. */
    private int shown(int num, int idx) {
        return Math.min(Math.min(num, maxEntries), idx);
    }

    private @Nullable Desc desc(int v, int i, MemorySegment ring, int num, long head, String which, int idx) {
        if (head >= num) {
            anomaly(label(v, i) + ": " + which + " entry at idx " + idx + " names descriptor " + head
                    + ", but num is " + num);
            return null;
        }
        Desc d = readDesc(ring, (int) head);
        if (!d.inside() && reportedOutside.add(label(v, i) + "/" + head)) {
            anomaly(label(v, i) + ": " + which + " entry at idx " + idx + " -> desc[" + head + "] addr 0x"
                    + Long.toUnsignedString(d.addr(), 16) + " len " + d.len() + " lies OUTSIDE the region [0, 0x"
                    + Long.toHexString(size) + ")");
        }
        return d;
    }

    private Desc readDesc(MemorySegment ring, int index) {
        long at = VringLayout.DESC_SIZE * (long) index;
        long addr = ring.get(LE_U64, at + VringDescLayout.ADDR_OFFSET) - paBase;
        long len = WireLayouts.u32(ring.get(LE_U32, at + VringDescLayout.LEN_OFFSET));
        int flags = u16(ring, at + VringDescLayout.FLAGS_OFFSET);
        int next = u16(ring, at + VringDescLayout.NEXT_OFFSET);
        return new Desc(index, addr, len, flags, next, inside(addr, len));
    }

    private boolean inside(long addr, long len) {
        return Long.compareUnsigned(addr, size) <= 0 && len <= size - addr;
    }

    private static int u16(MemorySegment s, long offset) {
        return Short.toUnsignedInt(s.get(LE_U16, offset));
    }

    // ---------------------------------------------------------------- buffers

    /** Reads the rpmsg header of every buffer the ring's descriptor table points to. */
    private void scanBuffers(int v, int i, String dir, MemorySegment ring, int num) {
        for (int d = 0; d < num; d++) {
            Desc desc = readDesc(ring, d);
            if (desc.len() == 0 || !desc.inside()) {
                continue;
            }
            if (buffers.get(v).putIfAbsent(desc.addr(), desc.len()) != null) {
                continue;
            }
            scanned++;
            if (desc.len() < RpmsgHeaderLayout.SIZE) {
                unreadable++;
                continue;
            }
            MemorySegment buffer = region.asSlice(desc.addr(), desc.len());
            long src = WireLayouts.u32(buffer.get(LE_U32, RpmsgHeaderLayout.SRC_OFFSET));
            long dst = WireLayouts.u32(buffer.get(LE_U32, RpmsgHeaderLayout.DST_OFFSET));
            long reserved = WireLayouts.u32(buffer.get(LE_U32, RpmsgHeaderLayout.RESERVED_OFFSET));
            int len = u16(buffer, RpmsgHeaderLayout.LEN_OFFSET);
            int flags = u16(buffer, RpmsgHeaderLayout.FLAGS_OFFSET);
            if (src == 0 && dst == 0 && reserved == 0 && len == 0 && flags == 0) {
                empty++;
                continue;
            }
            if (len > desc.len() - RpmsgHeaderLayout.SIZE) {
                unreadable++;
                continue;
            }
            long[] counts = flows.computeIfAbsent(new FlowKey(v, i, dir, src, dst), k -> new long[2]);
            counts[0]++;
            counts[1] += len;
            if (dst == RpmsgAddresses.NS_ADDR && len == RpmsgNsMessageLayout.SIZE) {
                ns(v, i, dir, buffer.asSlice(RpmsgHeaderLayout.SIZE, len));
            }
        }
    }

    private void ns(int v, int i, String dir, MemorySegment message) {
        byte[] name = new byte[RpmsgNsMessageLayout.NAME_SIZE];
        MemorySegment.copy(message, ValueLayout.JAVA_BYTE, RpmsgNsMessageLayout.NAME_OFFSET, name, 0, name.length);
        int end = 0;
        while (end < name.length && name[end] != 0) {
            end++;
        }
        String text = new String(name, 0, end, StandardCharsets.ISO_8859_1);
        long addr = WireLayouts.u32(message.get(LE_U32, RpmsgNsMessageLayout.ADDR_OFFSET));
        long flags = WireLayouts.u32(message.get(LE_U32, RpmsgNsMessageLayout.FLAGS_OFFSET));
        names.computeIfAbsent(new NsKey(v, i, dir, text, addr, flags), k -> new int[1])[0]++;
    }

    private record FlowKey(int vdev, int vring, String direction, long src, long dst) {
    }

    private record NsKey(int vdev, int vring, String direction, String name, long addr, long flags) {
    }

    /** Flows and names in first-seen order. */
    private Traffic traffic() {
        List<Flow> flowList = new ArrayList<>();
        flows.forEach((k, c) -> flowList.add(new Flow(k.vdev(), k.vring(), k.direction(), k.src(), k.dst(), (int) c[0],
                c[1])));
        List<NsSeen> nsList = new ArrayList<>();
        names.forEach((k, c) -> nsList.add(new NsSeen(k.vdev(), k.vring(), k.direction(), k.name(), k.addr(),
                k.flags(), c[0])));
        return new Traffic(List.copyOf(flowList), List.copyOf(nsList), scanned, empty, unreadable);
    }

    // ---------------------------------------------------------------- heap and map

    private HeapInfo heap(int v) {
        List<CarveoutResource> carveouts = parsed.table().carveouts();
        long start;
        long end;
        String source;
        if (v < carveouts.size()) {
            CarveoutResource c = carveouts.get(v);
            source = "carveout" + v + (c.name().isEmpty() ? "" : " \"" + DumpReport.printable(c.name()) + "\"");
            start = c.da();
            end = c.da() + c.len();
            if (c.da() == 0xFFFF_FFFFL || start > size || end > size) {
                anomaly(source + ": da 0x" + Long.toHexString(c.da()) + " len 0x" + Long.toHexString(c.len())
                        + " does not lie inside the region [0, 0x" + Long.toHexString(size) + ")");
                start = Math.min(start, size);
                end = Math.max(start, Math.min(end, size));
            }
        } else if (kind == FileKind.OPENAMP_LINUX) {
            source = "OpenAMP's shared buffer pool (no carveout entry)";
            start = OpenAmpLinuxProfile.RX_BUFFERS_OFFSET;
            end = size;
        } else {
            source = "the rest of the region after the vrings (no carveout entry)";
            start = 0;
            for (RingState r : rings) {
                if (r.vdev() == v && r.read()) {
                    start = Math.max(start, r.da() + r.size());
                }
            }
            start = Math.min(WireLayouts.alignUp(Math.max(start, parsed.extent()), 8), size);
            end = size;
        }
        long vringBytes = 0;
        long heapStart = start;
        for (RingState r : rings) {
            if (r.vdev() == v && r.read() && r.da() >= start && r.da() + r.size() <= end) {
                long reserved = Math.min(WireLayouts.alignUp(r.size(), r.align()), end - r.da());
                vringBytes += reserved;
                heapStart = Math.max(heapStart, r.da() + reserved);
            }
        }
        int count = 0;
        long bytes = 0;
        long lowest = -1;
        long highestEnd = -1;
        int outside = 0;
        for (Map.Entry<Long, Long> b : buffers.get(v).entrySet()) {
            long addr = b.getKey();
            long len = b.getValue();
            count++;
            bytes += len;
            lowest = lowest < 0 ? addr : Math.min(lowest, addr);
            highestEnd = Math.max(highestEnd, addr + len);
            if (addr < heapStart || addr + len > end) {
                outside++;
            }
        }
        if (outside > 0) {
            anomaly("vdev" + v + ": " + outside + " of " + count + " buffers do not lie inside the heap [0x"
                    + Long.toHexString(heapStart) + ", 0x" + Long.toHexString(end) + ")");
        }
        return new HeapInfo(v, source, start, end - start, vringBytes, heapStart, end - heapStart, count, bytes, lowest,
                highestEnd, outside);
    }

    private List<MapEntry> map(List<HeapInfo> heaps) {
        List<List<MapEntry>> groups = new ArrayList<>();
        groups.add(List.of(new MapEntry(0, parsed.extent(), "table", "resource table (" + parsed.table().entries().size()
                + " entries)", 0)));
        List<CarveoutResource> carveouts = parsed.table().carveouts();
        List<RingState> placed = new ArrayList<>();
        for (RingState r : rings) {
            if (r.read()) {
                placed.add(r);
            }
        }
        for (int c = 0; c < carveouts.size(); c++) {
            CarveoutResource co = carveouts.get(c);
            if (co.da() > size || co.len() > size - co.da()) {
                continue;
            }
            List<MapEntry> group = new ArrayList<>();
            group.add(new MapEntry(co.da(), co.len(), "carveout", "carveout" + c + (co.name().isEmpty() ? ""
                    : " \"" + DumpReport.printable(co.name()) + "\""), 0));
            for (RingState r : List.copyOf(placed)) {
                if (r.da() >= co.da() && r.da() + r.size() <= co.da() + co.len()) {
                    group.add(ringEntry(r, 1));
                    placed.remove(r);
                }
            }
            if (c < heaps.size()) {
                addHeap(group, heaps.get(c), 1);
            }
            groups.add(group);
        }
        for (RingState r : placed) {
            groups.add(List.of(ringEntry(r, 0)));
        }
        for (HeapInfo h : heaps) {
            if (h.vdev() >= carveouts.size()) {
                List<MapEntry> group = new ArrayList<>();
                addHeap(group, h, 0);
                groups.add(group);
            }
        }
        for (ResourceEntry e : parsed.table().entries()) {
            if (e instanceof TraceResource t && t.len() > 0 && t.da() <= size && t.len() <= size - t.da()) {
                groups.add(List.of(new MapEntry(t.da(), t.len(), "trace", "trace \"" + DumpReport.printable(t.name()) + "\"", 0)));
            } else if (e instanceof DevmemResource d && d.len() > 0 && d.da() <= size && d.len() <= size - d.da()) {
                groups.add(List.of(new MapEntry(d.da(), d.len(), "devmem", "devmem \"" + DumpReport.printable(d.name()) + "\"",
                        0)));
            }
        }
        groups.removeIf(List::isEmpty);
        groups.sort(Comparator.comparingLong((List<MapEntry> g) -> g.get(0).offset()));
        for (int a = 0; a < groups.size(); a++) {
            for (int b = a + 1; b < groups.size(); b++) {
                MapEntry x = groups.get(a).get(0);
                MapEntry y = groups.get(b).get(0);
                if (x.size() > 0 && y.size() > 0 && x.offset() < y.end() && y.offset() < x.end()) {
                    anomaly("memory map: " + x.what() + " [0x" + Long.toHexString(x.offset()) + ", 0x"
                            + Long.toHexString(x.end()) + ") overlaps " + y.what() + " [0x"
                            + Long.toHexString(y.offset()) + ", 0x" + Long.toHexString(y.end()) + ")");
                }
            }
        }
        List<MapEntry> out = new ArrayList<>();
        groups.forEach(out::addAll);
        return List.copyOf(out);
    }

    private static MapEntry ringEntry(RingState r, int depth) {
        return new MapEntry(r.da(), r.size(), "vring", "vring" + r.index() + (r.vdev() == 0 ? "" : " (vdev" + r.vdev() + ")")
                + (r.direction().isEmpty() ? "" : ", " + r.direction()), depth);
    }

    private static void addHeap(List<MapEntry> group, HeapInfo h, int depth) {
        if (h.heapSize() <= 0) {
            return;
        }
        group.add(new MapEntry(h.heapStart(), h.heapSize(), "heap", "heap" + (h.vdev() == 0 ? "" : " (vdev" + h.vdev() + ")"),
                depth));
        if (h.buffers() > 0 && h.lowest() >= h.heapStart() && h.highestEnd() <= h.heapStart() + h.heapSize()) {
            group.add(new MapEntry(h.lowest(), h.highestEnd() - h.lowest(), "buffers", h.buffers()
                    + " buffers descriptors point to", depth + 1));
        }
    }
}
