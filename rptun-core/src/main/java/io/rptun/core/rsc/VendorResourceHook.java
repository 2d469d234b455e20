package io.rptun.core.rsc;

/**
 * Receives each vendor entry (types 128..512) while a table is parsed, in table order. To refuse an
 * entry, throw a {@link ResourceTableException} (reason {@code VENDOR_REJECTED}); any other runtime
 * exception is wrapped into one.
 */
@FunctionalInterface
public interface VendorResourceHook {

    /**
     * @param offset the entry's byte offset in the table
     * @param resource the entry
     */
    void onVendorResource(long offset, VendorResource resource);

    /** Accepts every vendor entry (they stay in the parsed model). */
    static VendorResourceHook acceptAll() {
        return (offset, resource) -> { };
    }

    /** Refuses every vendor entry. */
    static VendorResourceHook rejectAll() {
        return (offset, resource) -> {
            throw new ResourceTableException(ResourceTableException.Reason.VENDOR_REJECTED, offset,
                    "vendor type " + resource.type() + " is not supported");
        };
    }
}
