package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U8;
import static io.rptun.core.rsc.ResourceTableException.Reason.BAD_ROLE;
import static io.rptun.core.rsc.ResourceTableException.Reason.BAD_VERSION;
import static io.rptun.core.rsc.ResourceTableException.Reason.BAD_VRING_ALIGN;
import static io.rptun.core.rsc.ResourceTableException.Reason.BAD_VRING_NUM;
import static io.rptun.core.rsc.ResourceTableException.Reason.ENTRIES_OVERLAP;
import static io.rptun.core.rsc.ResourceTableException.Reason.ENTRY_TRUNCATED;
import static io.rptun.core.rsc.ResourceTableException.Reason.NAME_NOT_TERMINATED;
import static io.rptun.core.rsc.ResourceTableException.Reason.OFFSETS_TRUNCATED;
import static io.rptun.core.rsc.ResourceTableException.Reason.OFFSET_OUT_OF_BOUNDS;
import static io.rptun.core.rsc.ResourceTableException.Reason.RESERVED_NOT_ZERO;
import static io.rptun.core.rsc.ResourceTableException.Reason.TRUNCATED_HEADER;
import static io.rptun.core.rsc.ResourceTableException.Reason.UNKNOWN_TYPE;
import static io.rptun.core.rsc.ResourceTableException.Reason.VENDOR_REJECTED;

import io.rptun.core.memory.WireLayouts;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses a resource table from a {@link MemorySegment} into an immutable {@link ParsedResourceTable}.
 *
 * <p>The segment is the table's whole declared region: nothing outside it is read. The checks run in the
 * order {@code docs/protocols.md} gives: the buffer holds the header; {@code ver == 1}; the reserved words
 * are 0 (OpenAMP mode only); the offset array fits; every {@code offset[i]} lies after the offset array
 * and inside the table, and leaves room for its entry's full size (vrings, config space and vendor data
 * included); unknown types below 128 (and above 512) are errors; vendor entries go to the hook. Then,
 * per entry: reserved fields (OpenAMP mode), NUL-terminated names, vring {@code num} and {@code align},
 * NuttX's role byte; and no two entries may share bytes.
 *
 * <p>Every failure is a {@link ResourceTableException} with the offset of the offending field. The work is
 * linear in the number of entries plus {@code O(n log n)} for the overlap check, and every length is
 * bounded by the segment before anything is allocated.
 */
public final class ResourceTableParser {

    /** Entries are copied into arrays, so none may exceed this many bytes. */
    private static final long MAX_ENTRY_SIZE = Integer.MAX_VALUE - 64;

    private ResourceTableParser() {
    }

    /** Parses with vendor entries accepted as they are. */
    public static ParsedResourceTable parse(MemorySegment table, ParseMode mode) {
        return parse(table, mode, VendorResourceHook.acceptAll());
    }

    /** Parses, handing each vendor entry to {@code hook} in table order. */
    public static ParsedResourceTable parse(MemorySegment table, ParseMode mode, VendorResourceHook hook) {
        long size = table.byteSize();
        if (size < ResourceTableLayout.HEADER_SIZE) {
            throw new ResourceTableException(TRUNCATED_HEADER, 0,
                    "table is " + size + " bytes, the header needs " + ResourceTableLayout.HEADER_SIZE);
        }
        int ver = ResourceTableLayout.ver(table);
        if (ver != ResourceTableLayout.VERSION) {
            throw new ResourceTableException(BAD_VERSION, ResourceTableLayout.VER_OFFSET,
                    "ver=" + WireLayouts.u32(ver) + ", expected 1");
        }
        int reserved0 = ResourceTableLayout.reserved0(table);
        int reserved1 = ResourceTableLayout.reserved1(table);
        if (mode == ParseMode.OPENAMP) {
            requireZero(reserved0, ResourceTableLayout.RESERVED0_OFFSET, "reserved[0]");
            requireZero(reserved1, ResourceTableLayout.RESERVED1_OFFSET, "reserved[1]");
        }
        long num = WireLayouts.u32(ResourceTableLayout.num(table));
        long entriesStart = ResourceTableLayout.sizeWithOffsets(num);
        if (entriesStart > size) {
            throw new ResourceTableException(OFFSETS_TRUNCATED, ResourceTableLayout.NUM_OFFSET,
                    "num=" + num + " needs " + entriesStart + " bytes of header and offsets, table is " + size);
        }
        // num <= (size - 16) / 4 now, so the lists below are bounded by the table itself.
        List<ResourceEntry> entries = new ArrayList<>((int) Math.min(num, 1024));
        List<Long> offsets = new ArrayList<>((int) Math.min(num, 1024));
        TreeMap<Long, Long> occupied = new TreeMap<>();
        long extent = entriesStart;
        for (long i = 0; i < num; i++) {
            long slot = ResourceTableLayout.offsetSlot(i);
            long offset = WireLayouts.u32(ResourceTableLayout.entryOffset(table, i));
            if (offset < entriesStart || offset > size - FwRscHdrLayout.LAYOUT.byteSize()) {
                throw new ResourceTableException(OFFSET_OUT_OF_BOUNDS, slot, "offset[" + i + "]=" + offset
                        + " is outside the entries area [" + entriesStart + ", " + size + ")");
            }
            Shape shape = shape(table, offset, size);
            long entrySize = shape.size();
            if (entrySize > size - offset || entrySize > MAX_ENTRY_SIZE) {
                throw new ResourceTableException(ENTRY_TRUNCATED, offset, "entry " + i + " needs " + entrySize
                        + " bytes at " + offset + ", table is " + size);
            }
            checkOverlap(occupied, offset, entrySize, i);
            ResourceEntry entry = readEntry(table, offset, shape, mode);
            if (entry instanceof VendorResource vendor) {
                callHook(hook, offset, vendor);
            }
            entries.add(entry);
            offsets.add(offset);
            extent = Math.max(extent, offset + entrySize);
        }
        return new ParsedResourceTable(new ResourceTable(reserved0, reserved1, entries), offsets, extent);
    }

    /**
     * What decides an entry's size, read once: the parser never reads these fields again, so a peer that
     * rewrites them while we parse cannot make us read past what was checked.
     *
     * @param type the entry type
     * @param size the entry's full size; may exceed the table
     * @param vrings a vdev's {@code num_of_vrings}
     * @param dataLen a vdev's {@code config_len} or a vendor entry's {@code len}
     */
    private record Shape(int type, long size, int vrings, long dataLen) {
    }

    /** The shape of the entry at {@code offset}, or an error for an unknown type. */
    private static Shape shape(MemorySegment table, long offset, long size) {
        int type = FwRscHdrLayout.type(table, offset);
        return switch (type) {
            case FwRscHdrLayout.RSC_CARVEOUT -> new Shape(type, FwRscCarveoutLayout.SIZE, 0, 0);
            case FwRscHdrLayout.RSC_DEVMEM -> new Shape(type, FwRscDevmemLayout.SIZE, 0, 0);
            case FwRscHdrLayout.RSC_TRACE -> new Shape(type, FwRscTraceLayout.SIZE, 0, 0);
            case FwRscHdrLayout.RSC_VDEV -> {
                if (FwRscVdevLayout.SIZE > size - offset) {
                    yield new Shape(type, FwRscVdevLayout.SIZE, 0, 0);
                }
                long configLen = WireLayouts.u32(table.get(LE_U32, offset + FwRscVdevLayout.CONFIG_LEN_OFFSET));
                int vrings = WireLayouts.u8(table.get(LE_U8, offset + FwRscVdevLayout.NUM_OF_VRINGS_OFFSET));
                yield new Shape(type, FwRscVdevLayout.sizeOf(vrings, configLen), vrings, configLen);
            }
            default -> {
                if (!FwRscHdrLayout.isVendorType(type)) {
                    throw new ResourceTableException(UNKNOWN_TYPE, offset + FwRscHdrLayout.TYPE_OFFSET,
                            "type=" + WireLayouts.u32(type) + " is not 0..3 nor a vendor type 128..512");
                }
                if (FwRscVendorLayout.SIZE > size - offset) {
                    yield new Shape(type, FwRscVendorLayout.SIZE, 0, 0);
                }
                long len = WireLayouts.u32(table.get(LE_U32, offset + FwRscVendorLayout.LEN_OFFSET));
                yield new Shape(type, FwRscVendorLayout.SIZE + len, 0, len);
            }
        };
    }

    private static void checkOverlap(TreeMap<Long, Long> occupied, long offset, long entrySize, long index) {
        long end = offset + entrySize;
        Map.Entry<Long, Long> before = occupied.floorEntry(offset);
        Map.Entry<Long, Long> after = occupied.ceilingEntry(offset);
        if ((before != null && before.getValue() > offset) || (after != null && after.getKey() < end)) {
            Map.Entry<Long, Long> other = before != null && before.getValue() > offset ? before : after;
            throw new ResourceTableException(ENTRIES_OVERLAP, offset, "entry " + index + " [" + offset + ", " + end
                    + ") overlaps the entry at [" + other.getKey() + ", " + other.getValue() + ")");
        }
        occupied.put(offset, end);
    }

    private static ResourceEntry readEntry(MemorySegment t, long at, Shape shape, ParseMode mode) {
        int type = shape.type();
        return switch (type) {
            case FwRscHdrLayout.RSC_CARVEOUT, FwRscHdrLayout.RSC_DEVMEM -> readMemory(t, at, type, mode);
            case FwRscHdrLayout.RSC_TRACE -> {
                int reserved = t.get(LE_U32, at + FwRscTraceLayout.RESERVED_OFFSET);
                if (mode == ParseMode.OPENAMP) {
                    requireZero(reserved, at + FwRscTraceLayout.RESERVED_OFFSET, "trace reserved");
                }
                yield new TraceResource(u32(t, at + FwRscTraceLayout.DA_OFFSET),
                        u32(t, at + FwRscTraceLayout.LEN_OFFSET), reserved, name(t, at + FwRscTraceLayout.NAME_OFFSET));
            }
            case FwRscHdrLayout.RSC_VDEV -> readVdev(t, at, shape, mode);
            default -> new VendorResource(type,
                    RawBytes.copyOf(t, at + FwRscVendorLayout.DATA_OFFSET, (int) shape.dataLen()));
        };
    }

    /** Carveout and devmem entries share one layout ({@link FwRscCarveoutLayout}). */
    private static ResourceEntry readMemory(MemorySegment t, long at, int type, ParseMode mode) {
        boolean carveout = type == FwRscHdrLayout.RSC_CARVEOUT;
        int reserved = FwRscCarveoutLayout.reserved(t, at);
        if (mode == ParseMode.OPENAMP) {
            requireZero(reserved, at + FwRscCarveoutLayout.RESERVED_OFFSET,
                    carveout ? "carveout reserved" : "devmem reserved");
        }
        long da = u32(t, at + FwRscCarveoutLayout.DA_OFFSET);
        long pa = u32(t, at + FwRscCarveoutLayout.PA_OFFSET);
        long len = u32(t, at + FwRscCarveoutLayout.LEN_OFFSET);
        int flags = FwRscCarveoutLayout.flags(t, at);
        String name = name(t, at + FwRscCarveoutLayout.NAME_OFFSET);
        return carveout
                ? new CarveoutResource(da, pa, len, flags, reserved, name)
                : new DevmemResource(da, pa, len, flags, reserved, name);
    }

    private static VdevResource readVdev(MemorySegment t, long at, Shape shape, ParseMode mode) {
        int reserved0 = WireLayouts.u8(t.get(LE_U8, at + FwRscVdevLayout.RESERVED0_OFFSET));
        int reserved1 = WireLayouts.u8(t.get(LE_U8, at + FwRscVdevLayout.RESERVED1_OFFSET));
        if (mode == ParseMode.OPENAMP) {
            requireZero(reserved0, at + FwRscVdevLayout.RESERVED0_OFFSET, "vdev reserved[0]");
            requireZero(reserved1, at + FwRscVdevLayout.RESERVED1_OFFSET, "vdev reserved[1]");
        } else if (reserved0 != FwRscVdevLayout.ROLE_DRIVER && reserved0 != FwRscVdevLayout.ROLE_DEVICE) {
            throw new ResourceTableException(BAD_ROLE, at + FwRscVdevLayout.RESERVED0_OFFSET,
                    "vdev reserved[0] (master role)=" + reserved0 + ", expected 0 (driver) or 1 (device)");
        }
        int count = shape.vrings();
        List<VringResource> vrings = new ArrayList<>(count);
        for (int v = 0; v < count; v++) {
            long vr = FwRscVdevLayout.vringOffset(at, v);
            long align = u32(t, vr + FwRscVdevVringLayout.ALIGN_OFFSET);
            long num = u32(t, vr + FwRscVdevVringLayout.NUM_OFFSET);
            int reserved = t.get(LE_U32, vr + FwRscVdevVringLayout.RESERVED_OFFSET);
            if (!WireLayouts.isPowerOfTwo(num) || num > VringResource.MAX_NUM) {
                throw new ResourceTableException(BAD_VRING_NUM, vr + FwRscVdevVringLayout.NUM_OFFSET,
                        "vring " + v + " num=" + num + ", expected a power of two up to " + VringResource.MAX_NUM);
            }
            if (!WireLayouts.isPowerOfTwo(align)) {
                throw new ResourceTableException(BAD_VRING_ALIGN, vr + FwRscVdevVringLayout.ALIGN_OFFSET,
                        "vring " + v + " align=" + align + ", expected a power of two");
            }
            if (mode == ParseMode.OPENAMP) {
                requireZero(reserved, vr + FwRscVdevVringLayout.RESERVED_OFFSET, "vring " + v + " reserved");
            }
            vrings.add(new VringResource(u32(t, vr + FwRscVdevVringLayout.DA_OFFSET), align, (int) num,
                    t.get(LE_U32, vr + FwRscVdevVringLayout.NOTIFYID_OFFSET), reserved));
        }
        RawBytes config = RawBytes.copyOf(t, FwRscVdevLayout.configOffset(at, count), (int) shape.dataLen());
        return new VdevResource(
                t.get(LE_U32, at + FwRscVdevLayout.ID_OFFSET),
                t.get(LE_U32, at + FwRscVdevLayout.NOTIFYID_OFFSET),
                t.get(LE_U32, at + FwRscVdevLayout.DFEATURES_OFFSET),
                t.get(LE_U32, at + FwRscVdevLayout.GFEATURES_OFFSET),
                WireLayouts.u8(t.get(LE_U8, at + FwRscVdevLayout.STATUS_OFFSET)),
                reserved0, reserved1, vrings, config);
    }

    private static void callHook(VendorResourceHook hook, long offset, VendorResource vendor) {
        try {
            hook.onVendorResource(offset, vendor);
        } catch (ResourceTableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ResourceTableException(VENDOR_REJECTED, offset,
                    "vendor hook failed on type " + vendor.type() + ": " + e, e);
        }
    }

    private static void requireZero(int value, long offset, String field) {
        if (value != 0) {
            throw new ResourceTableException(RESERVED_NOT_ZERO, offset,
                    field + "=0x" + Integer.toHexString(value) + ", OpenAMP requires 0");
        }
    }

    private static long u32(MemorySegment t, long offset) {
        return WireLayouts.u32(t.get(LE_U32, offset));
    }

    /** A 32-byte C name: Latin-1 bytes up to the first NUL, which must exist. Read once, then scanned. */
    private static String name(MemorySegment t, long offset) {
        byte[] bytes = new byte[FwRscCarveoutLayout.NAME_SIZE];
        MemorySegment.copy(t, LE_U8, offset, bytes, 0, bytes.length);
        for (int n = 0; n < bytes.length; n++) {
            if (bytes[n] == 0) {
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
        }
        throw new ResourceTableException(NAME_NOT_TERMINATED, offset, "name[" + bytes.length + "] has no NUL");
    }
}
