package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U8;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct fw_rsc_carveout} (56 bytes), also the layout of {@code struct fw_rsc_devmem}.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                   type (RSC_CARVEOUT = 0)                     |  0
 * +---------------------------------------------------------------+
 * |        da  (device address; FW_RSC_U32_ADDR_ANY = any)        |  4
 * +---------------------------------------------------------------+
 * |                   pa  (physical address)                      |  8
 * +---------------------------------------------------------------+
 * |                           len                                 | 12
 * +---------------------------------------------------------------+
 * |                          flags                                | 16
 * +---------------------------------------------------------------+
 * |                     reserved (OpenAMP: 0)                     | 20
 * +---------------------------------------------------------------+
 * |             name[32]  (NUL-terminated)                        | 24
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class FwRscCarveoutLayout {
    /** Bytes in an entry name, the terminating NUL included. */
    public static final int NAME_SIZE = 32;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LE_U32.withName("type"),
            LE_U32.withName("da"),
            LE_U32.withName("pa"),
            LE_U32.withName("len"),
            LE_U32.withName("flags"),
            LE_U32.withName("reserved"),
            MemoryLayout.sequenceLayout(NAME_SIZE, LE_U8).withName("name"));

    public static final long TYPE_OFFSET = LAYOUT.byteOffset(groupElement("type"));
    public static final long DA_OFFSET = LAYOUT.byteOffset(groupElement("da"));
    public static final long PA_OFFSET = LAYOUT.byteOffset(groupElement("pa"));
    public static final long LEN_OFFSET = LAYOUT.byteOffset(groupElement("len"));
    public static final long FLAGS_OFFSET = LAYOUT.byteOffset(groupElement("flags"));
    public static final long RESERVED_OFFSET = LAYOUT.byteOffset(groupElement("reserved"));
    public static final long NAME_OFFSET = LAYOUT.byteOffset(groupElement("name"));
    public static final long SIZE = LAYOUT.byteSize();

    private FwRscCarveoutLayout() {
    }

    public static int da(MemorySegment table, long entry) {
        return table.get(LE_U32, entry + DA_OFFSET);
    }

    public static int pa(MemorySegment table, long entry) {
        return table.get(LE_U32, entry + PA_OFFSET);
    }

    public static int len(MemorySegment table, long entry) {
        return table.get(LE_U32, entry + LEN_OFFSET);
    }

    public static int flags(MemorySegment table, long entry) {
        return table.get(LE_U32, entry + FLAGS_OFFSET);
    }

    public static int reserved(MemorySegment table, long entry) {
        return table.get(LE_U32, entry + RESERVED_OFFSET);
    }
}
