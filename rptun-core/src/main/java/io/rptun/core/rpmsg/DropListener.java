package io.rptun.core.rpmsg;

/**
 * Told about every inbound message the device dropped (a malformed header, an unknown destination, a
 * bad name-service message) and every listener that threw. The device has already counted it and
 * returned the buffer; it goes on serving the others. Runs on the device's serving thread (or, for a host
 * RX buffer smaller than the negotiated size that a remote refuses when it sends, on the sending thread);
 * must not throw.
 */
@FunctionalInterface
public interface DropListener {
    void dropped(RpmsgDevice device, RpmsgException why);
}
