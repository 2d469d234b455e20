package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct resource_table} (OpenAMP {@code remoteproc.h}): the table header, followed by
 * {@code num} entry offsets.
 *
 * <pre>
 *  0               1               2               3
 *  0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 * +---------------------------------------------------------------+
 * |                          ver (must be 1)                      |  0
 * +---------------------------------------------------------------+
 * |                          num                                  |  4
 * +---------------------------------------------------------------+
 * |      reserved[0]  (OpenAMP: 0; NuttX: cmd_master mailbox)     |  8
 * +---------------------------------------------------------------+
 * |      reserved[1]  (OpenAMP: 0; NuttX: cmd_slave mailbox)      | 12
 * +---------------------------------------------------------------+
 * |      offset[0 .. num)  byte offset of each entry from byte 0  | 16
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Writer: whoever builds the table (the master, or the firmware image). NuttX's mailbox words are
 * written at run time: {@code reserved[0]} by the master, {@code reserved[1]} by the slave.
 */
public final class ResourceTableLayout {
    /** The fixed part, without the offset array. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LE_U32.withName("ver"),
            LE_U32.withName("num"),
            MemoryLayout.sequenceLayout(2, LE_U32).withName("reserved"));

    public static final long VER_OFFSET = LAYOUT.byteOffset(groupElement("ver"));
    public static final long NUM_OFFSET = LAYOUT.byteOffset(groupElement("num"));
    public static final long RESERVED0_OFFSET = LAYOUT.byteOffset(groupElement("reserved"));
    public static final long RESERVED1_OFFSET = RESERVED0_OFFSET + LE_U32.byteSize();
    /** Where {@code offset[0]} starts. */
    public static final long OFFSETS_OFFSET = LAYOUT.byteSize();
    /** Size of the fixed header. */
    public static final long HEADER_SIZE = LAYOUT.byteSize();
    /** The only table version there is. */
    public static final int VERSION = 1;

    private ResourceTableLayout() {
    }

    /** Size of the header with its offset array: {@code 16 + 4·num}. */
    public static long sizeWithOffsets(long num) {
        return HEADER_SIZE + LE_U32.byteSize() * num;
    }

    /** Where {@code offset[index]} lives. */
    public static long offsetSlot(long index) {
        return OFFSETS_OFFSET + LE_U32.byteSize() * index;
    }

    public static int ver(MemorySegment table) {
        return table.get(LE_U32, VER_OFFSET);
    }

    public static int num(MemorySegment table) {
        return table.get(LE_U32, NUM_OFFSET);
    }

    public static int reserved0(MemorySegment table) {
        return table.get(LE_U32, RESERVED0_OFFSET);
    }

    public static int reserved1(MemorySegment table) {
        return table.get(LE_U32, RESERVED1_OFFSET);
    }

    public static int entryOffset(MemorySegment table, long index) {
        return table.get(LE_U32, offsetSlot(index));
    }
}
