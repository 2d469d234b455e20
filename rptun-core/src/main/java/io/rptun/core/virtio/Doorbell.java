package io.rptun.core.virtio;

import java.time.Duration;

/**
 * The receiving end of "ring the peer": what a serving thread sleeps on until the peer rings, through
 * its {@link PeerNotifier} (for the whole link) or a queue's {@link Notifier} (one vring). {@link #ring()}
 * may be called from any thread (it is what the peer's {@code PeerNotifier} does); {@link #await} is
 * called by one thread, the one serving this side.
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

    /**
     * What a serving loop lets its doorbell do while it waits: poll the rings itself, so the peer need not
     * ring a side that is awake (virtio's notification suppression), and switch the peer's notifications
     * back on only when the thread is about to block. See {@code RpmsgDevice.awaitWork}. Called on the
     * waiting thread only.
     */
    interface Poller {
        /** True when work waits that the peer was asked not to ring for. Cheap; called while spinning. */
        boolean hasWork();

        /**
         * Called before the thread blocks: asks the peer to notify again, then looks once more.
         *
         * @return true if work arrived meanwhile: return instead of blocking
         */
        boolean beforeBlocking();

        /** Called after the thread blocked (woken or timed out): the peer may stop notifying again. */
        void afterBlocking();
    }

    /**
     * Like {@link #await(Duration)}, for a serving loop that keeps the peer's notifications off while it is
     * awake: a doorbell that spins first polls {@link Poller#hasWork()} as well as its own ring word, and
     * calls {@link Poller#beforeBlocking()} before it blocks and {@link Poller#afterBlocking()} after.
     * This default blocks at once (it never spins).
     *
     * @return true if it was rung or work is waiting
     */
    default boolean await(Duration timeout, Poller poller) {
        if (poller.hasWork() || poller.beforeBlocking()) {
            return true;
        }
        try {
            return await(timeout);
        } finally {
            poller.afterBlocking();
        }
    }

    /**
     * True for a busy-spin doorbell: {@link #await(Duration, Poller)} polls {@link Poller#hasWork()} between
     * {@link Thread#onSpinWait()} pauses until rung, work or the timeout, and never sleeps or yields. A serving
     * loop then leaves all the looking to it: anything it did first (a yield is a system call, microseconds
     * during which new work goes unseen) would only delay the look. This default says false.
     */
    default boolean spinsWithoutBlocking() {
        return false;
    }

    /** Lets go of what the doorbell holds (nothing, for the in-process one). */
    @Override
    default void close() {
    }
}
