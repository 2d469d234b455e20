package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;
import static io.rptun.core.memory.WireLayouts.LE_U8;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * NuttX {@code struct fw_rsc_config} (64 bytes, packed): the rpmsg vdev's config space, in the field
 * order of current NuttX (13.x). This is the only order rptun speaks; older NuttX releases ordered the
 * fields differently and are not supported.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |        h2r_buf_size  (host-to-remote buffer size)             |  0
 * +---------------------------------------------------------------+
 * |        r2h_buf_size  (remote-to-host buffer size)             |  4
 * +---------------------------------------------------------------+
 * |        h2r_buf_addr  (u64)                                    |  8
 * |                                                               |
 * +---------------------------------------------------------------+
 * |        r2h_buf_addr  (u64)                                    | 16
 * |                                                               |
 * +---------------------------------------------------------------+
 * |        host_cpuname[8]                                        | 24
 * +---------------------------------------------------------------+
 * |        remote_cpuname[8]                                      | 32
 * +---------------------------------------------------------------+
 * |        reserved[6]  (u32 each)                                | 40
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class FwRscConfigLayout {
    /** Bytes in a cpu name, the terminating NUL included. */
    public static final int CPUNAME_SIZE = 8;
    /** Number of reserved words. */
    public static final int RESERVED_WORDS = 6;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            LE_U32.withName("h2r_buf_size"),
            LE_U32.withName("r2h_buf_size"),
            LE_U64.withName("h2r_buf_addr"),
            LE_U64.withName("r2h_buf_addr"),
            MemoryLayout.sequenceLayout(CPUNAME_SIZE, LE_U8).withName("host_cpuname"),
            MemoryLayout.sequenceLayout(CPUNAME_SIZE, LE_U8).withName("remote_cpuname"),
            MemoryLayout.sequenceLayout(RESERVED_WORDS, LE_U32).withName("reserved"));

    public static final long H2R_BUF_SIZE_OFFSET = LAYOUT.byteOffset(groupElement("h2r_buf_size"));
    public static final long R2H_BUF_SIZE_OFFSET = LAYOUT.byteOffset(groupElement("r2h_buf_size"));
    public static final long H2R_BUF_ADDR_OFFSET = LAYOUT.byteOffset(groupElement("h2r_buf_addr"));
    public static final long R2H_BUF_ADDR_OFFSET = LAYOUT.byteOffset(groupElement("r2h_buf_addr"));
    public static final long HOST_CPUNAME_OFFSET = LAYOUT.byteOffset(groupElement("host_cpuname"));
    public static final long REMOTE_CPUNAME_OFFSET = LAYOUT.byteOffset(groupElement("remote_cpuname"));
    public static final long RESERVED_OFFSET = LAYOUT.byteOffset(groupElement("reserved"));
    public static final long SIZE = LAYOUT.byteSize();

    private FwRscConfigLayout() {
    }
}
