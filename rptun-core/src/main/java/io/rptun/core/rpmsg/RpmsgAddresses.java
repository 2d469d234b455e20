package io.rptun.core.rpmsg;

/** rpmsg addresses and feature bits (docs/protocols.md section 3 and NuttX's extensions). */
public final class RpmsgAddresses {
    /** {@code RPMSG_ADDR_ANY} (0xFFFFFFFF): "not chosen yet" for a source, "not bound" for a destination. */
    public static final int ANY = 0xFFFF_FFFF;
    /** {@code RPMSG_NS_EPT_ADDR}: the name service. */
    public static final int NS_ADDR = 0x35;
    /** {@code RPMSG_RESERVED_ADDRESSES}: addresses below this are never handed out for ANY. */
    public static final int FIRST_DYNAMIC = 1024;

    /** {@code VIRTIO_RPMSG_F_NS}: the name service is on. */
    public static final int F_NS = 1;
    /** NuttX's {@code VIRTIO_RPMSG_F_ACK}: the two-phase name service (CREATE_ACK). */
    public static final int F_ACK = 1 << 1;
    /** NuttX's {@code VIRTIO_RPMSG_F_BUFSZ}: per-direction buffer sizes from {@code fw_rsc_config}. */
    public static final int F_BUFSZ = 1 << 2;
    /** NuttX's {@code VIRTIO_RPMSG_F_CPUNAME}: cpu names from {@code fw_rsc_config}. */
    public static final int F_CPUNAME = 1 << 3;
    /** Every feature this implementation can use; a host asks for these by default. */
    public static final int SUPPORTED = F_NS | F_ACK | F_BUFSZ | F_CPUNAME;

    /** {@code VIRTIO_ID_RPMSG}. */
    public static final int VIRTIO_ID_RPMSG = 7;
    /** Virtio status {@code DRIVER_OK}. */
    public static final int STATUS_DRIVER_OK = 4;
    /** Virtio status {@code NEEDS_RESET}. */
    public static final int STATUS_NEEDS_RESET = 0x40;
    /** The buffer size without F_BUFSZ. */
    public static final int DEFAULT_BUFFER_SIZE = 512;

    private RpmsgAddresses() {
    }

    /** The address as the unsigned hex C prints, ANY as "ANY". */
    public static String format(int address) {
        return address == ANY ? "ANY" : "0x" + Integer.toHexString(address);
    }
}
