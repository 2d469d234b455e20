package io.rptun.core.virtio;

import io.rptun.core.RptunException;

/**
 * A virtqueue that can no longer be used because the peer wrote something impossible into the shared
 * ring. The first such violation breaks the queue for good ({@link Virtqueue#isBroken()}); every later
 * operation on it throws the same exception. Names the violation, the ring and the index where it was
 * found, and the offending value.
 */
public final class VringException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** What the peer did wrong. */
    public enum Reason {
        /** The device saw {@code avail.idx} move by more than {@code num} past what it has taken. */
        AVAIL_IDX_JUMP,
        /** The driver saw {@code used.idx} move past the number of buffers it has outstanding. */
        USED_IDX_JUMP,
        /** An avail slot names a descriptor {@code >= num}. */
        DESC_INDEX_OUT_OF_RANGE,
        /** A descriptor's {@code next} is {@code >= num}. */
        NEXT_OUT_OF_RANGE,
        /** A descriptor chain visits a descriptor twice. */
        CHAIN_LOOP,
        /** An avail slot names a descriptor that the device still holds from an earlier chain. */
        DESC_IN_USE,
        /** A descriptor has the INDIRECT flag, which is never negotiated here. */
        INDIRECT_DESCRIPTOR,
        /** A descriptor's {@code addr}/{@code len} range does not lie inside the shared region. */
        ADDRESS_OUTSIDE_REGION,
        /**
         * A descriptor's buffer lies inside the shared region but outside the window the device takes
         * buffers from (on the resource table or a vring, for example).
         */
        BUFFER_OUTSIDE_WINDOW,
        /** A used element's {@code id} is not the head of a buffer the driver has outstanding. */
        USED_ID_NOT_OUTSTANDING,
        /** A used element's {@code len} is larger than the buffer it returns. */
        USED_LENGTH_BEYOND_BUFFER,
        /** A buffer arrived as a chain where this queue takes single-descriptor buffers only. */
        UNEXPECTED_CHAIN,
        /** A buffer the device should write is read-only, or one it should read is write-only. */
        WRONG_DIRECTION,
    }

    private final Reason reason;
    private final String ring;
    private final int index;
    private final long value;

    /**
     * @param reason the violation
     * @param ring   the queue's name
     * @param index  the free-running idx, slot or descriptor index where it was found (the detail says which)
     * @param value  the offending value the peer wrote
     * @param detail what was wrong, for people
     */
    public VringException(Reason reason, String ring, int index, long value, String detail) {
        super(reason + " on " + ring + " at " + index + ": " + detail);
        this.reason = reason;
        this.ring = ring;
        this.index = index;
        this.value = value;
    }

    /** The same, with the exception that revealed it (an address check). */
    public VringException(Reason reason, String ring, int index, long value, String detail, Throwable cause) {
        super(reason + " on " + ring + " at " + index + ": " + detail, cause);
        this.reason = reason;
        this.ring = ring;
        this.index = index;
        this.value = value;
    }

    @Override
    public Reason reason() {
        return reason;
    }

    /** The name of the queue the violation was found on. */
    public String ring() {
        return ring;
    }

    /** The free-running idx, slot or descriptor index where the violation was found. */
    public int index() {
        return index;
    }

    /** The offending value as the peer wrote it. */
    public long value() {
        return value;
    }
}
