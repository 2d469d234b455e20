package io.rptun.core.rpmsg;

import java.lang.foreign.MemorySegment;

/**
 * Fills a TX buffer in place for {@link RpmsgEndpoint#trySendWith}: the zero-copy send that needs no
 * {@link RpmsgTxBuffer} handle, so a sender that streams many messages (the reactive layer) allocates
 * nothing per message. The item comes as an argument so that one writer, kept in a field, serves every
 * message: a lambda that captured the item would be a new object each time.
 *
 * <p>{@code payload} is the TX buffer's payload area in shared memory ({@link RpmsgEndpoint#maxPayload()}
 * bytes, or fewer if the peer's buffer is smaller), valid only during the call: do not keep it, and do not
 * hand it to another thread. The writer runs on the sending thread, before the buffer is on the ring, so a
 * slow writer holds one TX buffer and nothing else.
 *
 * @param <T> what is written
 */
@FunctionalInterface
public interface RpmsgPayloadWriter<T> {
    /**
     * Writes {@code item} into {@code payload}.
     *
     * @return how many payload bytes to send, 0 to {@code payload.byteSize()}; anything else is refused and
     *     the buffer goes back to the pool unsent. A writer that throws sends nothing either.
     */
    int write(T item, MemorySegment payload);
}
