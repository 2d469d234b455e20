package io.rptun.core.rsc;

import io.rptun.core.RptunException;

/**
 * A resource table that cannot be used, with the reason and the byte offset (from the table's start)
 * of the field where the problem was found.
 */
public final class ResourceTableException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Reason {
        /** The buffer is shorter than the 16-byte header. */
        TRUNCATED_HEADER,
        /** {@code ver} is not 1. */
        BAD_VERSION,
        /** A reserved field is not zero in OpenAMP mode. */
        RESERVED_NOT_ZERO,
        /** The offset array ({@code 16 + 4·num} bytes) does not fit in the table. */
        OFFSETS_TRUNCATED,
        /** An {@code offset[i]} points into the header, or past the end of the table. */
        OFFSET_OUT_OF_BOUNDS,
        /** An entry's type is neither a known type nor a vendor type. */
        UNKNOWN_TYPE,
        /** An entry (with its vrings, config space or vendor data) runs past the end of the table. */
        ENTRY_TRUNCATED,
        /** Two entries share bytes. */
        ENTRIES_OVERLAP,
        /** A 32-byte name has no terminating NUL. */
        NAME_NOT_TERMINATED,
        /** A vring's {@code num} is not a power of two up to 32768. */
        BAD_VRING_NUM,
        /** A vring's {@code align} is not a power of two. */
        BAD_VRING_ALIGN,
        /** NuttX mode: the vdev's {@code reserved[0]} is neither 0 (driver) nor 1 (device). */
        BAD_ROLE,
        /** The vendor hook refused a vendor entry. */
        VENDOR_REJECTED,
        /** A table does not fit the structure asked for (for example a standard {@code rptun_rsc_s}). */
        NOT_STANDARD,
    }

    private final Reason reason;
    private final long offset;

    public ResourceTableException(Reason reason, long offset, String detail) {
        super(reason + " at offset " + offset + " (0x" + Long.toHexString(offset) + "): " + detail);
        this.reason = reason;
        this.offset = offset;
    }

    public ResourceTableException(Reason reason, long offset, String detail, Throwable cause) {
        super(reason + " at offset " + offset + " (0x" + Long.toHexString(offset) + "): " + detail, cause);
        this.reason = reason;
        this.offset = offset;
    }

    @Override
    public Reason reason() {
        return reason;
    }

    /** Byte offset from the start of the table of the field where the problem was found. */
    public long offset() {
        return offset;
    }
}
