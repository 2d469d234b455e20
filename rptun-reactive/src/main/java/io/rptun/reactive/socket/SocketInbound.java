package io.rptun.reactive.socket;

import reactor.core.publisher.Flux;

/** What arrives on a connection. */
public interface SocketInbound {
    /**
     * The connection's input: for a stream, chunks of what arrived (each at most the receive window); for a
     * datagram socket, one element per datagram. Completes at the end of the input (the peer shut its output
     * or closed), fails with the connection's {@link io.rptun.core.socket.SocketException} when it broke.
     * Only one subscriber; a chunk is read out of the window (and credited back to the peer) only when
     * requested.
     */
    Flux<byte[]> receive();
}
