package io.rptun.core.socket;

/** The two kinds of rpmsg socket NuttX has. */
public enum SocketType {
    /**
     * {@code SOCK_STREAM}: a byte stream; writes of any size are split over DATA messages that fit a TX
     * buffer and the peer's window; reads return what has arrived. Connects with a name suffix to a
     * listening socket.
     */
    STREAM,
    /**
     * {@code SOCK_DGRAM}: message boundaries kept, one datagram per DATA message (a u32 length prefix,
     * then the bytes). Both sides open the same name (no suffix, no listener) and pair through the name
     * service.
     */
    DATAGRAM
}
