package io.rptun.core.virtio;

/**
 * How a queue tells the peer that it published something: a doorbell, a mailbox write, an IPI, a byte
 * on a socket. This is the per-queue view of ringing the peer: the whole link's is {@link PeerNotifier},
 * and {@link PeerNotifier#forQueue} makes the view of one vring; the peer's receiving end is its
 * {@link Doorbell}. Called by whichever thread published the batch, at most once per batch, and only when
 * the peer asked for notifications (the kick rule, see the package comment). Must not block for long; must be safe to call from any thread.
 * It should not throw: if it does, the exception reaches the thread that published, whose buffers are
 * already in the ring, and buffers other threads queued meanwhile wait for the next submit or flush.
 */
@FunctionalInterface
public interface Notifier {
    /** Never notifies: for peers that poll. */
    Notifier NONE = () -> {
    };

    /** Rings the peer's doorbell. */
    void kick();
}
