package io.rptun.core.rpmsg;

import java.util.Map;

/**
 * A device's counters at one moment.
 *
 * @param sent messages handed to the TX ring (name-service messages included)
 * @param received well-formed messages taken from the RX ring (name-service messages included)
 * @param dropped inbound messages dropped and listener failures, by reason (only non-zero ones)
 * @param txBuffersFree TX buffers in the free pool right now
 * @param txBuffersAllocated TX buffers the host carved from the heap so far (0 on a remote)
 * @param endpoints live endpoints
 * @param notificationsSent times this side notified the peer (kicked) after publishing on either ring: once
 *     per batch at most, and never while the peer asked not to be (it was awake and polling); a racy
 *     read while traffic runs
 * @param bytesSent payload bytes of the messages sent (name-service messages included, headers not)
 * @param bytesReceived payload bytes of the messages received (name-service messages included, headers not)
 * @param notificationsReceived times this side's serving loop was woken by the peer's notification: several
 *     kicks that arrive while it is awake count once, and a peer kicks less the busier this side is (it
 *     switches the peer's notifications off while it polls); 0 for a device served without
 *     {@link RpmsgDevice#awaitWork}
 * @param txPublications index stores on the TX ring (each publishes a batch of one or more messages):
 *     {@code sent / txPublications} is the mean batch
 * @param rxPublications index stores on the RX ring giving buffers back to the peer (the host re-posts them,
 *     the remote returns them used): {@code received / rxPublications} is the mean batch returned
 */
public record RpmsgStats(long sent, long received, Map<RpmsgException.Reason, Long> dropped, int txBuffersFree,
        int txBuffersAllocated, int endpoints, long notificationsSent, long bytesSent, long bytesReceived,
        long notificationsReceived, long txPublications, long rxPublications) {
    public RpmsgStats {
        dropped = Map.copyOf(dropped);
    }

    /** Every drop, whatever the reason. */
    public long droppedTotal() {
        return dropped.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Drops for one reason. */
    public long dropped(RpmsgException.Reason reason) {
        return dropped.getOrDefault(reason, 0L);
    }
}
