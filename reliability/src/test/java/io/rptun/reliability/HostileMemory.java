package io.rptun.reliability;

import static io.rptun.core.memory.WireLayouts.LE_U16;
import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;

import io.rptun.core.rsc.FwRscCarveoutLayout;
import io.rptun.core.rsc.FwRscVdevVringLayout;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.core.rsc.VringResource;
import io.rptun.core.virtio.VringDescLayout;
import io.rptun.core.virtio.VringLayout;
import io.rptun.sim.SimHeader;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Where everything a hostile peer may scribble on lives in a simulated link's shared file, read once from the
 * honest layout right after both sides came up (the table is parsed before anyone corrupts it, so the
 * scribbler keeps its aim even when it rewrites the table). All writes are plain stores through the host's
 * mapping of the file: exactly what a peer process writing the shared memory does.
 */
final class HostileMemory {
    final MemorySegment file;
    final MemorySegment region;
    final ParsedResourceTable table;
    final int num;
    final long align;
    /** Offsets in the region of vring 0 (host RX) and vring 1 (host TX). */
    final long[] vrings = new long[2];
    final long vdevEntry;
    final long carveoutFrom;
    final long carveoutTo;
    /** The host's RX buffers (the remote fills them), from vring 0's descriptors at start. */
    final long[] rxBuffers;
    final int bufferSize;

    HostileMemory(MemorySegment file, MemorySegment region, int bufferSize) {
        this.file = file;
        this.region = region;
        this.bufferSize = bufferSize;
        this.table = ResourceTableParser.parse(region, ParseMode.NUTTX);
        List<VringResource> rings = table.table().vdevs().getFirst().vrings();
        this.num = rings.getFirst().num();
        this.align = rings.getFirst().align();
        this.vdevEntry = table.vdevOffset(0);
        for (int v = 0; v < 2; v++) {
            // The host wrote the allocated addresses back into the table (identity address environment).
            long da = table.vringOffset(0, v) + FwRscVdevVringLayout.DA_OFFSET;
            vrings[v] = Integer.toUnsignedLong(region.get(LE_U32, da));
        }
        long carveoutDa = Integer.toUnsignedLong(
                region.get(LE_U32, table.carveoutOffset(0) + FwRscCarveoutLayout.DA_OFFSET));
        this.carveoutFrom = carveoutDa;
        this.carveoutTo = carveoutDa + table.table().carveouts().getFirst().len();
        this.rxBuffers = new long[num];
        for (int i = 0; i < num; i++) {
            rxBuffers[i] = region.get(LE_U64, desc(0, i) + VringDescLayout.ADDR_OFFSET);
        }
    }

    long desc(int vring, int index) {
        return vrings[vring] + VringLayout.descOffset(num) + (long) index * VringLayout.DESC_SIZE;
    }

    long avail(int vring) {
        return vrings[vring] + VringLayout.availOffset(num);
    }

    long used(int vring) {
        return vrings[vring] + VringLayout.usedOffset(num, align);
    }

    /** Where host TX descriptor {@code index} (vring 1, read by the remote) points now; -1 if not in the carveout. */
    long txBuffer(int index) {
        long addr = region.get(LE_U64, desc(1, index) + VringDescLayout.ADDR_OFFSET);
        return addr >= carveoutFrom && addr + bufferSize <= carveoutTo ? addr : -1;
    }

    /** True when {@code [offset, offset + length)} is a place in the carveout a user may be handed. */
    boolean insideCarveout(long offset, long length) {
        return offset >= carveoutFrom && length >= 0 && offset + length <= carveoutTo;
    }

    void u16(long offset, int value) {
        region.set(LE_U16, offset, (short) value);
    }

    void u32(long offset, int value) {
        region.set(LE_U32, offset, value);
    }

    void u64(long offset, long value) {
        region.set(LE_U64, offset, value);
    }

    int readU16(long offset) {
        return Short.toUnsignedInt(region.get(LE_U16, offset));
    }

    void headerU32(long offset, int value) {
        file.set(LE_U32, offset, value);
    }

    void headerU64(long offset, long value) {
        file.set(LE_U64, offset, value);
    }

    /** The field {@code fieldOffset} of a side's block in the sim header. */
    static long side(SimHeader.Side side, long fieldOffset) {
        return side.blockOffset() + fieldOffset;
    }
}
