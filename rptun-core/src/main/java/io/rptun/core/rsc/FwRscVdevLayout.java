package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U8;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import io.rptun.core.memory.SharedAccess;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * {@code struct fw_rsc_vdev} (28 bytes, then {@code num_of_vrings} × {@link FwRscVdevVringLayout},
 * then {@code config_len} bytes of virtio config space).
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                     type (RSC_VDEV = 3)                       |  0
 * +---------------------------------------------------------------+
 * |                 id (virtio device id; rpmsg = 7)              |  4
 * +---------------------------------------------------------------+
 * |               notifyid (RSC_NOTIFY_ID_ANY = host assigns)     |  8
 * +---------------------------------------------------------------+
 * |               dfeatures (device features)                     | 12
 * +---------------------------------------------------------------+
 * |               gfeatures (features the driver acked)           | 16
 * +---------------------------------------------------------------+
 * |                        config_len                             | 20
 * +---------------+---------------+---------------+---------------+
 * |    status     | num_of_vrings |  reserved[0]  |  reserved[1]  | 24
 * +---------------+---------------+---------------+---------------+
 * |        vring[0 .. num_of_vrings)  (20 bytes each)             | 28
 * +---------------------------------------------------------------+
 * |        config[config_len]                                     |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Live fields: {@code status} is written by the driver (DRIVER_OK last) and the device
 * (NEEDS_RESET), read by both; {@code gfeatures} is written by the driver before it kicks and read by
 * the device after it sees the kick; {@code notifyid} is written back by the host when it was ANY.
 * In NuttX, {@code reserved[0]} says which virtio role the master takes (0 = driver).
 */
public final class FwRscVdevLayout {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LE_U32.withName("type"),
            LE_U32.withName("id"),
            LE_U32.withName("notifyid"),
            LE_U32.withName("dfeatures"),
            LE_U32.withName("gfeatures"),
            LE_U32.withName("config_len"),
            LE_U8.withName("status"),
            LE_U8.withName("num_of_vrings"),
            MemoryLayout.sequenceLayout(2, LE_U8).withName("reserved"));

    public static final long TYPE_OFFSET = LAYOUT.byteOffset(groupElement("type"));
    public static final long ID_OFFSET = LAYOUT.byteOffset(groupElement("id"));
    public static final long NOTIFYID_OFFSET = LAYOUT.byteOffset(groupElement("notifyid"));
    public static final long DFEATURES_OFFSET = LAYOUT.byteOffset(groupElement("dfeatures"));
    public static final long GFEATURES_OFFSET = LAYOUT.byteOffset(groupElement("gfeatures"));
    public static final long CONFIG_LEN_OFFSET = LAYOUT.byteOffset(groupElement("config_len"));
    public static final long STATUS_OFFSET = LAYOUT.byteOffset(groupElement("status"));
    public static final long NUM_OF_VRINGS_OFFSET = LAYOUT.byteOffset(groupElement("num_of_vrings"));
    public static final long RESERVED0_OFFSET = LAYOUT.byteOffset(groupElement("reserved"));
    public static final long RESERVED1_OFFSET = RESERVED0_OFFSET + 1;
    /** Where {@code vring[0]} starts. */
    public static final long VRINGS_OFFSET = LAYOUT.byteSize();
    /** Size of the fixed part. */
    public static final long SIZE = LAYOUT.byteSize();

    /** {@code VIRTIO_ID_RPMSG}. */
    public static final int VIRTIO_ID_RPMSG = 7;
    /** {@code VIRTIO_CONFIG_STATUS_ACK}. */
    public static final int STATUS_ACKNOWLEDGE = 0x01;
    /** {@code VIRTIO_CONFIG_STATUS_DRIVER}. */
    public static final int STATUS_DRIVER = 0x02;
    /** {@code VIRTIO_CONFIG_STATUS_DRIVER_OK}. */
    public static final int STATUS_DRIVER_OK = 0x04;
    /** {@code VIRTIO_CONFIG_FEATURES_OK}. */
    public static final int STATUS_FEATURES_OK = 0x08;
    /** {@code VIRTIO_CONFIG_STATUS_NEEDS_RESET}. */
    public static final int STATUS_NEEDS_RESET = 0x40;
    /** {@code VIRTIO_CONFIG_STATUS_FAILED}. */
    public static final int STATUS_FAILED = 0x80;

    /** NuttX {@code reserved[0]}: the master is the virtio driver of this vdev. */
    public static final int ROLE_DRIVER = 0;
    /** NuttX {@code reserved[0]}: the master is the virtio device of this vdev. */
    public static final int ROLE_DEVICE = 1;

    private FwRscVdevLayout() {
    }

    /** Size of a vdev entry: {@code 28 + 20·vrings + configLen}. */
    public static long sizeOf(long numOfVrings, long configLen) {
        return SIZE + FwRscVdevVringLayout.SIZE * numOfVrings + configLen;
    }

    /** Where {@code vring[index]} of the vdev at {@code entry} starts. */
    public static long vringOffset(long entry, long index) {
        return entry + VRINGS_OFFSET + FwRscVdevVringLayout.SIZE * index;
    }

    /** Where the config space of the vdev at {@code entry} starts. */
    public static long configOffset(long entry, long numOfVrings) {
        return entry + VRINGS_OFFSET + FwRscVdevVringLayout.SIZE * numOfVrings;
    }

    /** Status, read with acquire: what the writer did before setting a bit is visible after it. */
    public static int statusAcquire(MemorySegment table, long entry) {
        return Byte.toUnsignedInt(SharedAccess.getByteAcquire(table, entry + STATUS_OFFSET));
    }

    /** Status, written with release: config space and rings must be visible before the new status. */
    public static void statusRelease(MemorySegment table, long entry, int status) {
        SharedAccess.putByteRelease(table, entry + STATUS_OFFSET, (byte) status);
    }

    /** gfeatures, read with acquire. */
    public static int gfeaturesAcquire(MemorySegment table, long entry) {
        return SharedAccess.getIntAcquire(table, entry + GFEATURES_OFFSET);
    }

    /** gfeatures, written with release before the driver kicks. */
    public static void gfeaturesRelease(MemorySegment table, long entry, int features) {
        SharedAccess.putIntRelease(table, entry + GFEATURES_OFFSET, features);
    }

    /** notifyid, read with acquire. */
    public static int notifyIdAcquire(MemorySegment table, long entry) {
        return SharedAccess.getIntAcquire(table, entry + NOTIFYID_OFFSET);
    }

    /** notifyid, written back with release by the host that assigned it. */
    public static void notifyIdRelease(MemorySegment table, long entry, int notifyId) {
        SharedAccess.putIntRelease(table, entry + NOTIFYID_OFFSET, notifyId);
    }
}
