package io.rptun.core.rsc;

/**
 * {@code fw_rsc_devmem}: a device memory region the remote needs mapped (same fields as a carveout).
 *
 * @param da device address
 * @param pa physical address
 * @param len length in bytes
 * @param flags IOMMU flags
 * @param reserved 0 in OpenAMP
 * @param name up to 31 Latin-1 bytes
 */
public record DevmemResource(long da, long pa, long len, int flags, int reserved, String name)
        implements ResourceEntry {

    public DevmemResource {
        Checks.u32("da", da);
        Checks.u32("pa", pa);
        Checks.u32("len", len);
        Checks.name("name", name, FwRscCarveoutLayout.NAME_SIZE);
    }

    @Override
    public int type() {
        return FwRscHdrLayout.RSC_DEVMEM;
    }

    @Override
    public long byteSize() {
        return FwRscDevmemLayout.SIZE;
    }
}
