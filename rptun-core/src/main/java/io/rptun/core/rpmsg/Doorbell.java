package io.rptun.core.rpmsg;

import java.time.Duration;

/**
 * What a serving thread sleeps on until the peer rings. {@link #ring()} may be called from any thread
 * (it is what the peer's {@link PeerNotifier} does); {@link #await} is called by one thread.
 *
 * <p>No lost wake-up: a ring that comes while nobody waits is remembered, and the next {@code await}
 * returns at once.
 */
public interface Doorbell extends AutoCloseable {
    /** Wakes the waiter, or makes the next {@link #await} return at once. */
    void ring();

    /**
     * Sleeps until rung or until {@code timeout} passed.
     *
     * @return true if it was rung
     */
    boolean await(Duration timeout);

    /** Lets go of what the doorbell holds (nothing, for the in-process one). */
    @Override
    default void close() {
    }
}
