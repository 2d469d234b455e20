package io.rptun.core.rpmsg;

import java.lang.foreign.MemorySegment;

/**
 * Fills TX buffers in place for {@link RpmsgEndpoint#trySendBatch}: the core hands it one free TX buffer's
 * payload after another, and publishes every message it wrote with one index store and at most one kick.
 * The writer owns its cursor (the next item of a queue, an array, a counter), so one writer kept in a field
 * serves every batch without allocating.
 *
 * <p>{@code payload} is valid only during the call (do not keep it or hand it to another thread). The writer
 * runs while this thread holds the endpoint's TX ring: other senders queue behind the batch until it is
 * published, so it must be quick, must not block, and must not send on the same device.
 */
@FunctionalInterface
public interface RpmsgBatchWriter {
    /** What {@link #writeNext} returns when it has nothing more to send now. */
    int NO_MORE = -1;

    /**
     * Writes the next message into {@code payload}.
     *
     * @return its length, 0 to {@code payload.byteSize()}; or {@link #NO_MORE}, and the buffer goes back
     *     unused. Any other value is refused (the buffer goes back, the messages before it are sent, and the
     *     call throws). A writer that throws sends nothing for that call either.
     */
    int writeNext(MemorySegment payload);
}
