package io.rptun.core.rsc;

/**
 * {@code fw_rsc_vendor}: a vendor-specific entry (types 128..512), kept as raw bytes and handed to a
 * {@link VendorResourceHook} while parsing.
 *
 * @param type 128..512
 * @param data the {@code len} bytes after the 8-byte header
 */
public record VendorResource(int type, RawBytes data) implements ResourceEntry {

    public VendorResource {
        if (!FwRscHdrLayout.isVendorType(type)) {
            throw new IllegalArgumentException("type=" + type + " (vendor types are "
                    + FwRscHdrLayout.RSC_VENDOR_START + ".." + FwRscHdrLayout.RSC_VENDOR_END + ")");
        }
    }

    @Override
    public long byteSize() {
        return FwRscVendorLayout.SIZE + data.length();
    }
}
