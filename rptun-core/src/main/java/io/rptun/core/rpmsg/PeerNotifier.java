package io.rptun.core.rpmsg;

/**
 * Rings the other side: NuttX's {@code rptun_ops.notify}. Called with the notify id of the vring that
 * has news, or {@link #ALL}. Safe from any thread, must not block for long, should not throw.
 */
@FunctionalInterface
public interface PeerNotifier {
    /** "Every vring": NuttX's {@code RPTUN_NOTIFY_ALL}. */
    int ALL = -1;

    /** Never notifies: for a peer that polls. */
    PeerNotifier NONE = id -> {
    };

    void notify(int notifyId);
}
