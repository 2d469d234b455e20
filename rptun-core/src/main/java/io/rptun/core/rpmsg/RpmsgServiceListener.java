package io.rptun.core.rpmsg;

/**
 * Watches the remote's name service on a device ({@link RpmsgDevice#addServiceListener}): which services
 * the remote announced and destroyed, and when the device stopped for good. What a layer above needs
 * for a live list of services (the reactive announcements) without polling {@link
 * RpmsgDevice#remoteServices()}.
 *
 * <p>{@link #serviceCreated} and {@link #serviceDestroyed} run on the device's serving thread, in the
 * order the name-service messages arrived, and only when {@link RpmsgDevice#remoteServices()} changed
 * (a repeated announcement of the same address says nothing new); {@link #deviceStopped} runs on the
 * thread that found or declared the failure, or that closed the device. Must not block or throw (a
 * listener that throws is counted as {@link RpmsgException.Reason#CALLBACK_FAILED}).
 */
public interface RpmsgServiceListener {
    /** The remote announced {@code name} at {@code address} (NS create or create-ack), or moved it there. */
    void serviceCreated(String name, int address);

    /** The remote destroyed its service {@code name} at {@code address} (NS destroy). */
    void serviceDestroyed(String name, int address);

    /**
     * The device stopped for good (BROKEN, PEER_LOST or CLOSED; {@code why} says which): no more events
     * come, and the remote's services are forgotten without a {@link #serviceDestroyed} each.
     */
    default void deviceStopped(RpmsgException why) {
    }
}
