package io.rptun.reactive;

import java.lang.foreign.MemorySegment;

/**
 * Fills one TX buffer in place, for a zero-copy send ({@link RpmsgChannel#sendWith}): writes the payload
 * into {@code txPayload}, the buffer's payload area in shared memory (as large as the device's max
 * payload), and returns how many bytes it wrote. The segment is valid only during the call.
 */
@FunctionalInterface
public interface RpmsgWriter {
    /**
     * @return the payload length, 0 to {@code txPayload.byteSize()}
     */
    int write(MemorySegment txPayload);
}
