package io.rptun.core.rpmsg;

/**
 * What an endpoint is told. Every method runs on the thread that is serving the device ({@link
 * RpmsgDevice#process()}, usually an {@link RpmsgRunner}), one call at a time per device, and never
 * after {@link RpmsgEndpoint#destroy()} has returned (except the call that destroy was made from).
 *
 * <p>A Kotlin or Java lambda implements {@link #onMessage}; override the others for binding events.
 * Callbacks should not block for long: they hold up every endpoint of the device. They may send; a
 * send that finds no TX buffer keeps serving the device while it waits, so it cannot deadlock against a
 * peer doing the same.
 */
@FunctionalInterface
public interface RpmsgListener {
    /**
     * A message for this endpoint. {@code message} and its payload are valid only until this method
     * returns, unless you {@link RpmsgMessage#hold()} it; using it afterwards throws
     * {@link IllegalStateException}. A listener that throws loses nothing: the buffer goes back and the
     * failure is counted ({@link RpmsgException.Reason#CALLBACK_FAILED}).
     */
    void onMessage(RpmsgEndpoint endpoint, RpmsgMessage message);

    /** The endpoint got a destination: from the name service, or by adopting a message's source. */
    default void onBound(RpmsgEndpoint endpoint) {
    }

    /**
     * The endpoint lost its destination: the remote sent an NS destroy, or it was lost or the device
     * closed. Its destination is ANY again; a new NS create binds it again.
     */
    default void onUnbind(RpmsgEndpoint endpoint) {
    }
}
