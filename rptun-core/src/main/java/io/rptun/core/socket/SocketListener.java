package io.rptun.core.socket;

/**
 * What a layer above a socket (the reactive one) hears instead of blocking: hints to look again. Runs on
 * the device's serving thread or on whichever thread changed the socket; must be quick, must not block and
 * should not throw. Each may come more often than needed; none is missed after {@link
 * RpmsgSocket#setListener} returned.
 */
public interface SocketListener {
    /** Data arrived, the input ended, or the connection failed. */
    void readable();

    /** Credit came back, a TX buffer may be free, the peer's window arrived, or the output ended or failed. */
    void writable();
}
