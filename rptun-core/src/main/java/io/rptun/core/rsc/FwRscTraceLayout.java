package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U8;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct fw_rsc_trace} (48 bytes): a trace buffer the remote logs into.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                    type (RSC_TRACE = 2)                       |  0
 * +---------------------------------------------------------------+
 * |                   da  (device address)                        |  4
 * +---------------------------------------------------------------+
 * |                           len                                 |  8
 * +---------------------------------------------------------------+
 * |                     reserved (OpenAMP: 0)                     | 12
 * +---------------------------------------------------------------+
 * |             name[32]  (NUL-terminated)                        | 16
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class FwRscTraceLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LE_U32.withName("type"),
            LE_U32.withName("da"),
            LE_U32.withName("len"),
            LE_U32.withName("reserved"),
            MemoryLayout.sequenceLayout(FwRscCarveoutLayout.NAME_SIZE, LE_U8).withName("name"));

    public static final long TYPE_OFFSET = LAYOUT.byteOffset(groupElement("type"));
    public static final long DA_OFFSET = LAYOUT.byteOffset(groupElement("da"));
    public static final long LEN_OFFSET = LAYOUT.byteOffset(groupElement("len"));
    public static final long RESERVED_OFFSET = LAYOUT.byteOffset(groupElement("reserved"));
    public static final long NAME_OFFSET = LAYOUT.byteOffset(groupElement("name"));
    public static final long SIZE = LAYOUT.byteSize();

    private FwRscTraceLayout() {
    }
}
