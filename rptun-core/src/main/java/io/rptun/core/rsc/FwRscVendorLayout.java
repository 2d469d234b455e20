package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * {@code struct fw_rsc_vendor} (8 bytes, then {@code len} bytes of vendor data): types
 * {@code RSC_VENDOR_START..RSC_VENDOR_END} (128..512), handed to a hook.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                    type (128 .. 512)                          |  0
 * +---------------------------------------------------------------+
 * |              len (bytes of data after this header)            |  4
 * +---------------------------------------------------------------+
 * |              data[len]                                        |  8
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class FwRscVendorLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LE_U32.withName("type"),
            LE_U32.withName("len"));

    public static final long TYPE_OFFSET = LAYOUT.byteOffset(groupElement("type"));
    public static final long LEN_OFFSET = LAYOUT.byteOffset(groupElement("len"));
    /** Where the vendor data starts. */
    public static final long DATA_OFFSET = LAYOUT.byteSize();
    public static final long SIZE = LAYOUT.byteSize();

    private FwRscVendorLayout() {
    }
}
