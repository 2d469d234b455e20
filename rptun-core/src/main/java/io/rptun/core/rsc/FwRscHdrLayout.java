package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct fw_rsc_hdr}: the 4-byte type word that starts every resource entry, and the entry
 * type constants.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                             type                              |  0
 * +---------------------------------------------------------------+
 * |                    type-specific body ...                     |  4
 * </pre>
 */
public final class FwRscHdrLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(LE_U32.withName("type"));
    public static final long TYPE_OFFSET = LAYOUT.byteOffset(groupElement("type"));

    /** {@code RSC_CARVEOUT}: physically contiguous memory the remote uses. */
    public static final int RSC_CARVEOUT = 0;
    /** {@code RSC_DEVMEM}: a device memory region to map. */
    public static final int RSC_DEVMEM = 1;
    /** {@code RSC_TRACE}: a trace (log) buffer. */
    public static final int RSC_TRACE = 2;
    /** {@code RSC_VDEV}: a virtio device with its vrings and config space. */
    public static final int RSC_VDEV = 3;
    /** {@code RSC_LAST}: one past the last standard type. */
    public static final int RSC_LAST = 4;
    /** {@code RSC_VENDOR_START}: first vendor-specific type. */
    public static final int RSC_VENDOR_START = 128;
    /** {@code RSC_VENDOR_END}: last vendor-specific type. */
    public static final int RSC_VENDOR_END = 512;

    private FwRscHdrLayout() {
    }

    /** True for {@code RSC_VENDOR_START <= type <= RSC_VENDOR_END}. */
    public static boolean isVendorType(int type) {
        return type >= RSC_VENDOR_START && type <= RSC_VENDOR_END;
    }

    public static int type(MemorySegment table, long entry) {
        return table.get(LE_U32, entry + TYPE_OFFSET);
    }
}
