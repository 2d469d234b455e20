package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static io.rptun.core.memory.WireLayouts.LE_U64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * NuttX's {@code fw_rsc_config} (current field order, see {@link FwRscConfigLayout}): the per-direction
 * rpmsg buffer sizes and addresses and the two cpu names, carried in the rpmsg vdev's config space.
 *
 * @param h2rBufSize host-to-remote buffer size (u32)
 * @param r2hBufSize remote-to-host buffer size (u32)
 * @param h2rBufAddr host-to-remote buffer address (u64)
 * @param r2hBufAddr remote-to-host buffer address (u64)
 * @param hostCpuName up to 7 Latin-1 bytes
 * @param remoteCpuName up to 7 Latin-1 bytes
 */
public record RptunConfig(
        long h2rBufSize, long r2hBufSize, long h2rBufAddr, long r2hBufAddr, String hostCpuName, String remoteCpuName) {

    public RptunConfig {
        Checks.u32("h2rBufSize", h2rBufSize);
        Checks.u32("r2hBufSize", r2hBufSize);
        Checks.name("hostCpuName", hostCpuName, FwRscConfigLayout.CPUNAME_SIZE);
        Checks.name("remoteCpuName", remoteCpuName, FwRscConfigLayout.CPUNAME_SIZE);
    }

    /**
     * Reads the first 64 bytes of a config space. Cpu names end at the first NUL or after 8 bytes;
     * reserved words are ignored.
     */
    public static RptunConfig from(RawBytes config) {
        if (config.length() < FwRscConfigLayout.SIZE) {
            throw new IllegalArgumentException("config length=" + config.length() + " (fw_rsc_config needs "
                    + FwRscConfigLayout.SIZE + ")");
        }
        MemorySegment s = MemorySegment.ofArray(config.toArray());
        return new RptunConfig(
                Integer.toUnsignedLong(s.get(LE_U32, FwRscConfigLayout.H2R_BUF_SIZE_OFFSET)),
                Integer.toUnsignedLong(s.get(LE_U32, FwRscConfigLayout.R2H_BUF_SIZE_OFFSET)),
                s.get(LE_U64, FwRscConfigLayout.H2R_BUF_ADDR_OFFSET),
                s.get(LE_U64, FwRscConfigLayout.R2H_BUF_ADDR_OFFSET),
                cpuName(s, FwRscConfigLayout.HOST_CPUNAME_OFFSET),
                cpuName(s, FwRscConfigLayout.REMOTE_CPUNAME_OFFSET));
    }

    private static String cpuName(MemorySegment s, long offset) {
        int n = 0;
        while (n < FwRscConfigLayout.CPUNAME_SIZE - 1 && s.get(ValueLayout.JAVA_BYTE, offset + n) != 0) {
            n++;
        }
        byte[] b = new byte[n];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, offset, b, 0, n);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** The 64-byte config space, reserved words zero. */
    public RawBytes toBytes() {
        byte[] out = new byte[(int) FwRscConfigLayout.SIZE];
        MemorySegment s = MemorySegment.ofArray(out);
        s.set(LE_U32, FwRscConfigLayout.H2R_BUF_SIZE_OFFSET, (int) h2rBufSize);
        s.set(LE_U32, FwRscConfigLayout.R2H_BUF_SIZE_OFFSET, (int) r2hBufSize);
        s.set(LE_U64, FwRscConfigLayout.H2R_BUF_ADDR_OFFSET, h2rBufAddr);
        s.set(LE_U64, FwRscConfigLayout.R2H_BUF_ADDR_OFFSET, r2hBufAddr);
        byte[] host = Checks.nameBytes(hostCpuName);
        byte[] remote = Checks.nameBytes(remoteCpuName);
        System.arraycopy(host, 0, out, (int) FwRscConfigLayout.HOST_CPUNAME_OFFSET, host.length);
        System.arraycopy(remote, 0, out, (int) FwRscConfigLayout.REMOTE_CPUNAME_OFFSET, remote.length);
        return RawBytes.of(out);
    }
}
