package io.rptun.core.rsc;

/**
 * {@code fw_rsc_carveout}: physically contiguous shared memory. In RPTUN the i-th vdev is paired with
 * the i-th carveout: its vrings with da 0/ANY are carved from the carveout's start and the rest is the
 * shared heap.
 *
 * @param da device address, or {@link Rsc#ADDR_ANY}
 * @param pa physical address, or {@link Rsc#ADDR_ANY}
 * @param len length in bytes
 * @param flags IOMMU flags
 * @param reserved 0 in OpenAMP
 * @param name up to 31 Latin-1 bytes
 */
public record CarveoutResource(long da, long pa, long len, int flags, int reserved, String name)
        implements ResourceEntry {

    public CarveoutResource {
        Checks.u32("da", da);
        Checks.u32("pa", pa);
        Checks.u32("len", len);
        Checks.name("name", name, FwRscCarveoutLayout.NAME_SIZE);
    }

    /** A carveout with flags and reserved 0. */
    public static CarveoutResource of(String name, long da, long pa, long len) {
        return new CarveoutResource(da, pa, len, 0, 0, name);
    }

    @Override
    public int type() {
        return FwRscHdrLayout.RSC_CARVEOUT;
    }

    @Override
    public long byteSize() {
        return FwRscCarveoutLayout.SIZE;
    }
}
