package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U8;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Writes a {@link ResourceTable} in wire form: the header, the offset array, then the entries in order,
 * each starting at the next multiple of 4 (zero padding between), so that every u32 field a peer polls
 * is naturally aligned whatever the vendor data and config lengths.
 *
 * <p>{@code ResourceTableParser.parse(write(t)).table().equals(t)} holds for every table {@code t}.
 */
public final class ResourceTableWriter {
    /** Entries start at multiples of this. */
    public static final long ENTRY_ALIGNMENT = 4;

    private ResourceTableWriter() {
    }

    /** Bytes {@link #write} writes for {@code table}. */
    public static long sizeOf(ResourceTable table) {
        long at = ResourceTableLayout.sizeWithOffsets(table.entries().size());
        for (ResourceEntry entry : table.entries()) {
            at = align(at) + entry.byteSize();
        }
        return at;
    }

    /** The table as a new byte array of exactly {@link #sizeOf} bytes. */
    public static byte[] toBytes(ResourceTable table) {
        long size = sizeOf(table);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("table size=" + size + " does not fit a byte array");
        }
        byte[] bytes = new byte[(int) size];
        write(table, MemorySegment.ofArray(bytes));
        return bytes;
    }

    /**
     * Writes {@code table} at the start of {@code target}, zeroing padding, and returns the entry offsets.
     *
     * @throws IllegalArgumentException when {@code target} is smaller than {@link #sizeOf}
     */
    public static List<Long> write(ResourceTable table, MemorySegment target) {
        long size = sizeOf(table);
        if (target.byteSize() < size) {
            throw new IllegalArgumentException("target size=" + target.byteSize() + " < table size=" + size);
        }
        target.asSlice(0, size).fill((byte) 0);
        List<ResourceEntry> entries = table.entries();
        target.set(LE_U32, ResourceTableLayout.VER_OFFSET, ResourceTableLayout.VERSION);
        target.set(LE_U32, ResourceTableLayout.NUM_OFFSET, entries.size());
        target.set(LE_U32, ResourceTableLayout.RESERVED0_OFFSET, table.reserved0());
        target.set(LE_U32, ResourceTableLayout.RESERVED1_OFFSET, table.reserved1());
        long at = ResourceTableLayout.sizeWithOffsets(entries.size());
        Long[] offsets = new Long[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            at = align(at);
            offsets[i] = at;
            target.set(LE_U32, ResourceTableLayout.offsetSlot(i), (int) at);
            writeEntry(entries.get(i), target, at);
            at += entries.get(i).byteSize();
        }
        return List.of(offsets);
    }

    /** Writes one entry at {@code at}; the bytes it covers must already be zero. */
    static void writeEntry(ResourceEntry entry, MemorySegment t, long at) {
        t.set(LE_U32, at + FwRscHdrLayout.TYPE_OFFSET, entry.type());
        switch (entry) {
            case CarveoutResource c -> writeMem(t, at, c.da(), c.pa(), c.len(), c.flags(), c.reserved(), c.name());
            case DevmemResource d -> writeMem(t, at, d.da(), d.pa(), d.len(), d.flags(), d.reserved(), d.name());
            case TraceResource r -> {
                t.set(LE_U32, at + FwRscTraceLayout.DA_OFFSET, (int) r.da());
                t.set(LE_U32, at + FwRscTraceLayout.LEN_OFFSET, (int) r.len());
                t.set(LE_U32, at + FwRscTraceLayout.RESERVED_OFFSET, r.reserved());
                writeName(t, at + FwRscTraceLayout.NAME_OFFSET, r.name());
            }
            case VdevResource v -> writeVdev(t, at, v);
            case VendorResource v -> {
                t.set(LE_U32, at + FwRscVendorLayout.LEN_OFFSET, v.data().length());
                v.data().copyTo(t, at + FwRscVendorLayout.DATA_OFFSET);
            }
        }
    }

    private static void writeMem(MemorySegment t, long at, long da, long pa, long len, int flags, int reserved,
            String name) {
        t.set(LE_U32, at + FwRscCarveoutLayout.DA_OFFSET, (int) da);
        t.set(LE_U32, at + FwRscCarveoutLayout.PA_OFFSET, (int) pa);
        t.set(LE_U32, at + FwRscCarveoutLayout.LEN_OFFSET, (int) len);
        t.set(LE_U32, at + FwRscCarveoutLayout.FLAGS_OFFSET, flags);
        t.set(LE_U32, at + FwRscCarveoutLayout.RESERVED_OFFSET, reserved);
        writeName(t, at + FwRscCarveoutLayout.NAME_OFFSET, name);
    }

    private static void writeVdev(MemorySegment t, long at, VdevResource v) {
        t.set(LE_U32, at + FwRscVdevLayout.ID_OFFSET, v.id());
        t.set(LE_U32, at + FwRscVdevLayout.NOTIFYID_OFFSET, v.notifyId());
        t.set(LE_U32, at + FwRscVdevLayout.DFEATURES_OFFSET, v.dfeatures());
        t.set(LE_U32, at + FwRscVdevLayout.GFEATURES_OFFSET, v.gfeatures());
        t.set(LE_U32, at + FwRscVdevLayout.CONFIG_LEN_OFFSET, v.config().length());
        t.set(LE_U8, at + FwRscVdevLayout.STATUS_OFFSET, (byte) v.status());
        t.set(LE_U8, at + FwRscVdevLayout.NUM_OF_VRINGS_OFFSET, (byte) v.vrings().size());
        t.set(LE_U8, at + FwRscVdevLayout.RESERVED0_OFFSET, (byte) v.reserved0());
        t.set(LE_U8, at + FwRscVdevLayout.RESERVED1_OFFSET, (byte) v.reserved1());
        for (int i = 0; i < v.vrings().size(); i++) {
            VringResource r = v.vrings().get(i);
            long vr = FwRscVdevLayout.vringOffset(at, i);
            t.set(LE_U32, vr + FwRscVdevVringLayout.DA_OFFSET, (int) r.da());
            t.set(LE_U32, vr + FwRscVdevVringLayout.ALIGN_OFFSET, (int) r.align());
            t.set(LE_U32, vr + FwRscVdevVringLayout.NUM_OFFSET, r.num());
            t.set(LE_U32, vr + FwRscVdevVringLayout.NOTIFYID_OFFSET, r.notifyId());
            t.set(LE_U32, vr + FwRscVdevVringLayout.RESERVED_OFFSET, r.reserved());
        }
        v.config().copyTo(t, FwRscVdevLayout.configOffset(at, v.vrings().size()));
    }

    private static void writeName(MemorySegment t, long at, String name) {
        byte[] bytes = Checks.nameBytes(name);
        MemorySegment.copy(bytes, 0, t, LE_U8, at, bytes.length);
    }

    private static long align(long at) {
        return (at + ENTRY_ALIGNMENT - 1) & -ENTRY_ALIGNMENT;
    }
}
