package io.rptun.core.heap;

import io.rptun.core.RptunException;

/**
 * A {@link CarveoutHeap#free} (or {@link CarveoutHeap#sizeOf}) of an offset that is not a live block of
 * the heap. The heap is unchanged when this is thrown.
 *
 * <p>Carries the offending offset; the message repeats it in hex with what was wrong.
 */
public final class HeapException extends RptunException {
    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Reason {
        /** The block at this offset was handed out and has been freed since (and not handed out again). */
        DOUBLE_FREE,
        /**
         * The heap did not hand out a block at this offset: it lies outside the heap, is not a multiple of
         * the granule, lies inside a block, or was never the start of a live block.
         */
        NOT_ALLOCATED,
    }

    private final Reason reason;
    private final long offset;

    /**
     * Creates the exception.
     *
     * @param reason what was wrong
     * @param offset the offending offset in the shared segment
     * @param detail what was wrong, with numbers in hex
     */
    public HeapException(Reason reason, long offset, String detail) {
        super(reason + " at offset 0x" + Long.toHexString(offset) + ": " + detail);
        this.reason = reason;
        this.offset = offset;
    }

    @Override
    public Reason reason() {
        return reason;
    }

    /** The offending offset in the shared segment (the same offsets {@link CarveoutHeap#allocate} returns). */
    public long offset() {
        return offset;
    }
}
