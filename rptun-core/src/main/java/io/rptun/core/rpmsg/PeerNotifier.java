package io.rptun.core.rpmsg;

import java.util.Objects;

/**
 * Moved to {@link io.rptun.core.virtio.PeerNotifier}, the layer that owns the kick rule. Kept only so that
 * code not yet switched compiles ({@link RpmsgDevice}'s factories still take this type until its split is
 * merged); delete it once nothing names it.
 *
 * @deprecated use {@link io.rptun.core.virtio.PeerNotifier}
 */
@Deprecated(forRemoval = true)
@FunctionalInterface
public interface PeerNotifier extends io.rptun.core.virtio.PeerNotifier {
    /** Never notifies: for a peer that polls. */
    PeerNotifier NONE = id -> {
    };

    /**
     * {@code notifier} as this deprecated type, for a caller that holds the virtio type and passes it to code
     * not yet switched: {@code notifier} itself if it already is one, else a view that forwards to it.
     */
    static PeerNotifier of(io.rptun.core.virtio.PeerNotifier notifier) {
        Objects.requireNonNull(notifier, "notifier");
        return notifier instanceof PeerNotifier p ? p : notifier::notify;
    }
}
