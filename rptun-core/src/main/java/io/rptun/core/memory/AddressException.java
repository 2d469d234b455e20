package io.rptun.core.memory;

import io.rptun.core.RptunException;

/**
 * An address environment that cannot be built, or an address (or address range) that cannot be
 * translated or does not lie in the shared region.
 *
 * <p>Carries the offending address and length; the message repeats them in hex with what was wrong.
 */
public final class AddressException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Reason {
        /** Two windows of an environment share bytes in pa space or in da space. */
        OVERLAPPING_WINDOWS,
        /** A window's pa or da range runs past {@code 2^63 - 1}. */
        WRAPPING_WINDOW,
        /** A window of size 0 was given where it does not end the list. */
        EMPTY_WINDOW,
        /**
         * A range starts in a window but runs past its end, or starts outside every window but runs
         * into one (so identity translation would be wrong for part of it).
         */
        RANGE_CROSSES_WINDOW,
        /** A range does not lie wholly inside the local mapping of the shared region. */
        OUTSIDE_REGION,
        /** A length is negative. */
        NEGATIVE_LENGTH,
        /** An address is negative (at or above {@code 2^63} as an unsigned value), or a range wraps. */
        ADDRESS_OVERFLOW,
    }

    private final Reason reason;
    private final long address;
    private final long length;

    /**
     * Creates the exception.
     *
     * @param reason  what was wrong
     * @param address the offending address (or offset, or window start)
     * @param length  the length of the offending range or window
     * @param detail  what was wrong, with numbers in hex
     */
    public AddressException(Reason reason, long address, long length, String detail) {
        super(reason + " at 0x" + Long.toHexString(address) + " length 0x" + Long.toHexString(length)
                + ": " + detail);
        this.reason = reason;
        this.address = address;
        this.length = length;
    }

    @Override
    public Reason reason() {
        return reason;
    }

    /** The offending address (or offset, or window start). */
    public long address() {
        return address;
    }

    /** The length of the offending range or window. */
    public long length() {
        return length;
    }
}
