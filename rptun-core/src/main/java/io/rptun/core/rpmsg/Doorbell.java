package io.rptun.core.rpmsg;

import java.time.Duration;
import java.util.Objects;

/**
 * Moved to {@link io.rptun.core.virtio.Doorbell} (its {@code Poller} too, inherited here). Kept only so that
 * code not yet switched compiles ({@link RpmsgDevice#awaitWork} still takes this type until its split is
 * merged); delete it once nothing names it.
 *
 * @deprecated use {@link io.rptun.core.virtio.Doorbell}
 */
@Deprecated(forRemoval = true)
public interface Doorbell extends io.rptun.core.virtio.Doorbell {
    /**
     * {@code bell} as this deprecated type, for a caller that holds the virtio type and passes it to code not
     * yet switched: {@code bell} itself if it already is one, else a view that forwards every method to it
     * (its own spinning {@code await(Duration, Poller)} included). Allocates: make it once, not per wait.
     */
    static Doorbell of(io.rptun.core.virtio.Doorbell bell) {
        Objects.requireNonNull(bell, "bell");
        if (bell instanceof Doorbell d) {
            return d;
        }
        return new Doorbell() {
            @Override
            public void ring() {
                bell.ring();
            }

            @Override
            public boolean await(Duration timeout) {
                return bell.await(timeout);
            }

            @Override
            public boolean await(Duration timeout, Poller poller) {
                return bell.await(timeout, poller);
            }

            @Override
            public void close() {
                bell.close();
            }

            @Override
            public String toString() {
                return bell.toString();
            }
        };
    }
}
