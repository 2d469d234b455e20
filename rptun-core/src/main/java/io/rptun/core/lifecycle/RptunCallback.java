package io.rptun.core.lifecycle;

/**
 * What a driver calls back into its {@link Rptun} (NuttX's {@code register_callback}): the peer's
 * interrupt, and the driver's own finding that the peer is gone. Both are safe from any thread and return
 * at once.
 */
public interface RptunCallback {
    /** The peer kicked {@code notifyId} (or {@link RptunDriver#NOTIFY_ALL}): serve the rings and the mailbox. */
    void notified(int notifyId);

    /**
     * The driver found the peer dead (a stopped heartbeat, a closed socket, an exited process): every
     * pending send and every receiver fails with a typed error that carries {@code why}.
     */
    void peerLost(String why);
}
