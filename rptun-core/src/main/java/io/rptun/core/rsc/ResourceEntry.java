package io.rptun.core.rsc;

/**
 * One entry of a resource table, in the order the table lists it. Immutable.
 *
 * <p>u32 addresses and lengths are held as non-negative {@code long}s (0 to 0xFFFFFFFF); ids, flags and
 * feature words as raw {@code int} bit patterns.
 */
public sealed interface ResourceEntry
        permits CarveoutResource, DevmemResource, TraceResource, VdevResource, VendorResource {

    /** The entry's {@code fw_rsc_hdr.type}. */
    int type();

    /** Bytes this entry takes in a table. */
    long byteSize();
}
