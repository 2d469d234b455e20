package io.rptun.reactive.socket;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/** What a connection sends. */
public interface SocketOutbound {
    /**
     * Writes every element of {@code data}: a stream's bytes in order (split as credit and TX buffers allow),
     * or one datagram per element. Completes when all were handed to the ring; fails with the connection's
     * {@link io.rptun.core.socket.SocketException} (e.g. DATAGRAM_TOO_LARGE, RESET). Lazy: nothing is sent
     * until subscribed. Two sends subscribed at once interleave by element.
     */
    Mono<Void> send(Publisher<byte[]> data);

    /** Shuts the output down (SHUTDOWN with SHUT_WR): the peer's input ends once it read what was sent. */
    Mono<Void> shutdownOutput();
}
