package io.rptun.core.layout;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.WireLayouts;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the {@link SharedMemoryPlanner} needs besides the table: the shared region and how addresses map
 * onto it. Immutable; start from {@link #of(long)} and change fields with the {@code withXxx} methods.
 *
 * <pre>{@code
 * PlanOptions demo = PlanOptions.of(0x80000).withHeapOffset(0x10000);          // OpenAMP's Linux demo
 * PlanOptions nuttx = PlanOptions.of(0x100000)
 *         .withBasePa(0x8000_0000L)
 *         .withTableReserve(Generation.CURRENT.size());                        // sizeof(rptun_rsc_s)
 * }</pre>
 *
 * @param regionSize bytes in the shared region, at most {@link #MAX_REGION_SIZE}
 * @param basePa physical address of the region's byte 0
 * @param env the address environment that maps pa to da
 * @param tableReserve bytes reserved for the table at offset 0; 0 means exactly the table's written size
 *     ({@code ResourceTableWriter.sizeOf}); pass {@code Generation.size()} for NuttX's {@code rptun_rsc_s}
 * @param heapOffset where the heap of the vdev without a carveout starts (OpenAMP's
 *     {@code SHARED_BUF_OFFSET}); empty: after everything else placed
 * @param rpmsgBufferSizes rpmsg buffer sizes that override the vdev's {@code fw_rsc_config} and the
 *     default of 512 in the plan (its RX and TX buffer regions) only: an {@code RpmsgDevice} takes its sizes
 *     from the table, so leave this empty unless the table does not say what the peer uses
 */
public record PlanOptions(
        long regionSize,
        long basePa,
        AddressEnvironment env,
        long tableReserve,
        OptionalLong heapOffset,
        Optional<BufferSizes> rpmsgBufferSizes) {

    /** 256 TiB: keeps every sum of an offset, a size and an alignment far from overflow. */
    public static final long MAX_REGION_SIZE = 1L << 48;

    /**
     * rpmsg buffer sizes in each direction, as in NuttX's {@code fw_rsc_config}.
     *
     * @param h2r host-to-remote: the driver's TX buffers (u32)
     * @param r2h remote-to-host: the driver's RX buffers (u32)
     */
    public record BufferSizes(long h2r, long r2h) {
        /** Checks both sizes fit a u32. */
        public BufferSizes {
            if (h2r < 0 || h2r > WireLayouts.U32_MAX) {
                throw new IllegalArgumentException("h2r=" + h2r + " (must fit a uint32_t)");
            }
            if (r2h < 0 || r2h > WireLayouts.U32_MAX) {
                throw new IllegalArgumentException("r2h=" + r2h + " (must fit a uint32_t)");
            }
        }
    }

    /** Checks the numbers: none negative, the region at most 2^48 bytes, {@code basePa + regionSize} below 2^63. */
    public PlanOptions {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(heapOffset, "heapOffset");
        Objects.requireNonNull(rpmsgBufferSizes, "rpmsgBufferSizes");
        if (regionSize < 0 || regionSize > MAX_REGION_SIZE) {
            throw new IllegalArgumentException("regionSize=" + regionSize + " (0 to 2^48)");
        }
        if (basePa < 0 || basePa > Long.MAX_VALUE - regionSize) {
            throw new IllegalArgumentException("basePa=" + basePa + " (region must end below 2^63)");
        }
        if (tableReserve < 0) {
            throw new IllegalArgumentException("tableReserve=" + tableReserve);
        }
        if (heapOffset.isPresent() && heapOffset.getAsLong() < 0) {
            throw new IllegalArgumentException("heapOffset=" + heapOffset.getAsLong());
        }
    }

    /** A region of {@code regionSize} bytes at pa 0, identity addresses, the table's own size reserved. */
    public static PlanOptions of(long regionSize) {
        return new PlanOptions(regionSize, 0, AddressEnvironment.identity(), 0, OptionalLong.empty(),
                Optional.empty());
    }

    /** These options with another region size. */
    public PlanOptions withRegionSize(long value) {
        return new PlanOptions(value, basePa, env, tableReserve, heapOffset, rpmsgBufferSizes);
    }

    /** These options with the region's byte 0 at physical address {@code value}. */
    public PlanOptions withBasePa(long value) {
        return new PlanOptions(regionSize, value, env, tableReserve, heapOffset, rpmsgBufferSizes);
    }

    /** These options with another address environment. */
    public PlanOptions withEnv(AddressEnvironment value) {
        return new PlanOptions(regionSize, basePa, value, tableReserve, heapOffset, rpmsgBufferSizes);
    }

    /** These options with {@code value} bytes reserved for the table (0: the table's own size). */
    public PlanOptions withTableReserve(long value) {
        return new PlanOptions(regionSize, basePa, env, value, heapOffset, rpmsgBufferSizes);
    }

    /** These options with the heap of the vdev without a carveout starting at offset {@code value}. */
    public PlanOptions withHeapOffset(long value) {
        return new PlanOptions(regionSize, basePa, env, tableReserve, OptionalLong.of(value), rpmsgBufferSizes);
    }
}
