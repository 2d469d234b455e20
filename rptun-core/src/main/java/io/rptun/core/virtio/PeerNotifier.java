package io.rptun.core.virtio;

/**
 * Rings the other side for the whole link: NuttX's {@code rptun_ops.notify}. Called with the notify id of
 * the vring that has news, or {@link #ALL}. This is the one notion of "ring the peer": a queue's
 * {@link Notifier} is its per-queue view ({@link #forQueue}), and the peer's receiving end is its
 * {@link Doorbell}. Whether to ring at all is the kick rule of this package (see the package comment),
 * decided by whoever published; this interface only delivers the ring.
 *
 * <p>Threads: safe from any thread, must not block for long, should not throw.
 */
@FunctionalInterface
public interface PeerNotifier {
    /** "Every vring": NuttX's {@code RPTUN_NOTIFY_ALL}. */
    int ALL = -1;

    /** Never notifies: for a peer that polls. */
    PeerNotifier NONE = id -> {
    };

    /** Rings the peer for the vring with notify id {@code notifyId}, or for every vring ({@link #ALL}). */
    void notify(int notifyId);

    /**
     * The per-queue view: a {@link Notifier} that rings the peer for {@code notifyId}. Allocates; call it
     * once per queue, when the queue is set up.
     */
    default Notifier forQueue(int notifyId) {
        return () -> notify(notifyId);
    }
}
