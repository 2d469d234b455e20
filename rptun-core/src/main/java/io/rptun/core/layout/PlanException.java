package io.rptun.core.layout;

import io.rptun.core.RptunException;

/**
 * A resource table and plan options that cannot be laid out in the shared region. The message names the
 * planned region at fault (for example {@code vdev0 vring1}), its numbers in hex, and the shared region.
 */
public final class PlanException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Reason {
        /** The region cannot hold the table's reserve, or an allocation (a carveout at ANY, a vring) finds no room. */
        REGION_TOO_SMALL,
        /** The table is larger than the reserve given for it ({@link PlanOptions#tableReserve()}). */
        TABLE_TOO_LARGE,
        /** A static address (vring, carveout, heap offset, trace or devmem) does not lie wholly inside the region. */
        OUTSIDE_REGION,
        /** Two placements share bytes. */
        OVERLAP,
        /** A carveout cannot hold the vrings carved from it. */
        CARVEOUT_TOO_SMALL,
        /** More than one vdev has no carveout of its own, so they would share one heap. */
        NO_CARVEOUT,
        /** The heap cannot hold the driver's RX buffers (vring0 num times the RX buffer size). */
        HEAP_TOO_SMALL,
        /** A vring's da is not a multiple of its align, so the two sides would put the used ring apart. */
        MISALIGNED,
        /**
         * An address cannot be translated through the address environment, does not fit the table's u32
         * field, or resolves to 0 or ANY (which the peer would read as "allocate me").
         */
        BAD_ADDRESS,
    }

    private final Reason reason;

    /** Creates the exception; {@code message} should name the planned region and its numbers in hex. */
    public PlanException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    /** Creates the exception with the cause (an {@link io.rptun.core.memory.AddressException} for BAD_ADDRESS). */
    public PlanException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = reason;
    }

    @Override
    public Reason reason() {
        return reason;
    }
}
