package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import io.rptun.core.memory.SharedAccess;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct fw_rsc_vdev_vring} (20 bytes), one per vring inside a vdev entry.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |   da  (0 or FW_RSC_U32_ADDR_ANY: allocate from the carveout)  |  0
 * +---------------------------------------------------------------+
 * |                  align (power of two)                         |  4
 * +---------------------------------------------------------------+
 * |                  num   (power of two)                         |  8
 * +---------------------------------------------------------------+
 * |         notifyid (RSC_NOTIFY_ID_ANY = host assigns)           | 12
 * +---------------------------------------------------------------+
 * |                  reserved (OpenAMP: 0)                        | 16
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Live fields: {@code da} and {@code notifyid} are written back by the master when they were
 * ANY, before it sets DRIVER_OK; the remote reads them after it sees DRIVER_OK.
 */
public final class FwRscVdevVringLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LE_U32.withName("da"),
            LE_U32.withName("align"),
            LE_U32.withName("num"),
            LE_U32.withName("notifyid"),
            LE_U32.withName("reserved"));

    public static final long DA_OFFSET = LAYOUT.byteOffset(groupElement("da"));
    public static final long ALIGN_OFFSET = LAYOUT.byteOffset(groupElement("align"));
    public static final long NUM_OFFSET = LAYOUT.byteOffset(groupElement("num"));
    public static final long NOTIFYID_OFFSET = LAYOUT.byteOffset(groupElement("notifyid"));
    public static final long RESERVED_OFFSET = LAYOUT.byteOffset(groupElement("reserved"));
    public static final long SIZE = LAYOUT.byteSize();

    private FwRscVdevVringLayout() {
    }

    /** da of the vring at {@code vring}, read with acquire. */
    public static int daAcquire(MemorySegment table, long vring) {
        return SharedAccess.getIntAcquire(table, vring + DA_OFFSET);
    }

    /** da written back with release: the allocated vring must be zeroed before its address is visible. */
    public static void daRelease(MemorySegment table, long vring, int da) {
        SharedAccess.putIntRelease(table, vring + DA_OFFSET, da);
    }

    /** notifyid of the vring at {@code vring}, read with acquire. */
    public static int notifyIdAcquire(MemorySegment table, long vring) {
        return SharedAccess.getIntAcquire(table, vring + NOTIFYID_OFFSET);
    }

    /** notifyid written back with release by the host that assigned it. */
    public static void notifyIdRelease(MemorySegment table, long vring, int notifyId) {
        SharedAccess.putIntRelease(table, vring + NOTIFYID_OFFSET, notifyId);
    }
}
