package io.rptun.reactive.socket;

import io.rptun.core.socket.RpmsgSocket;
import java.util.Objects;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One socket connection as Reactor streams (reactor-netty's {@code Connection}): {@link #inbound()},
 * {@link #outbound()}, {@link #dispose()} (closes the socket: the peer sees its end of stream).
 */
public final class SocketConnection implements Disposable, SocketInbound, SocketOutbound {
    private final RpmsgSocket socket;
    private final SocketSignals signals = new SocketSignals();
    private final ReceiveFlux receive;
    private final Sinks.Empty<Void> disposed = Sinks.empty();

    SocketConnection(RpmsgSocket socket) {
        this.socket = Objects.requireNonNull(socket, "socket");
        this.receive = new ReceiveFlux(socket, signals);
        socket.setListener(signals);
    }

    /** Wraps a core socket (connected or connecting); the connection owns it from now on. */
    public static SocketConnection of(RpmsgSocket socket) {
        return new SocketConnection(socket);
    }

    public SocketInbound inbound() {
        return this;
    }

    public SocketOutbound outbound() {
        return this;
    }

    /** The core socket underneath. */
    public RpmsgSocket socket() {
        return socket;
    }

    @Override
    public Flux<byte[]> receive() {
        return receive;
    }

    @Override
    public Mono<Void> send(Publisher<byte[]> data) {
        Objects.requireNonNull(data, "data");
        return new SendMono(socket, signals, data);
    }

    @Override
    public Mono<Void> shutdownOutput() {
        return Mono.fromRunnable(socket::shutdownOutput);
    }

    /** Completes when the connection was disposed. */
    public Mono<Void> onDispose() {
        return disposed.asMono();
    }

    @Override
    public void dispose() {
        socket.close();
        disposed.tryEmitEmpty();
    }

    @Override
    public boolean isDisposed() {
        return socket.isClosed();
    }

    @Override
    public String toString() {
        return "SocketConnection[" + socket + "]";
    }
}
