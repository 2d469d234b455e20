package io.rptun.reactive.socket;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.socket.RpmsgSocket;
import io.rptun.core.socket.SocketOptions;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Connects to a socket on the other side of a device, like reactor-netty's {@code TcpClient}. Immutable:
 * each setter returns a new client.
 *
 * <pre>{@code
 * SocketClient.create(device).name("echo").connect()
 *     .flatMap(c -> c.outbound().send(Flux.just(hello)).then(c.outbound().shutdownOutput())
 *         .thenMany(c.inbound().receive()).collectList().doFinally(s -> c.dispose()));
 * }</pre>
 */
public final class SocketClient {
    private final RpmsgDevice device;
    private final @Nullable String name;
    private final SocketOptions options;
    private final Duration connectTimeout;

    private SocketClient(RpmsgDevice device, @Nullable String name, SocketOptions options, Duration connectTimeout) {
        this.device = device;
        this.name = name;
        this.options = options;
        this.connectTimeout = connectTimeout;
    }

    /** A stream client on {@code device}, 15 s to connect. */
    public static SocketClient create(RpmsgDevice device) {
        return new SocketClient(Objects.requireNonNull(device, "device"), null, SocketOptions.stream(),
                Duration.ofSeconds(15));
    }

    public SocketClient name(String value) {
        return new SocketClient(device, Objects.requireNonNull(value, "name"), options, connectTimeout);
    }

    public SocketClient options(SocketOptions value) {
        return new SocketClient(device, name, Objects.requireNonNull(value, "options"), connectTimeout);
    }

    public SocketClient connectTimeout(Duration value) {
        return new SocketClient(device, name, options, Objects.requireNonNull(value, "connectTimeout"));
    }

    /**
     * A connection, once the peer's SYNC arrived. Fails with {@link io.rptun.core.socket.SocketException}
     * CONNECT_TIMEOUT or RESET. The wait runs on {@code Schedulers.boundedElastic()}; a connection that
     * arrives after a cancel is closed.
     */
    public Mono<SocketConnection> connect() {
        String n = name;
        if (n == null) {
            return Mono.error(new IllegalStateException("no name: call name(..) first"));
        }
        return Mono.fromCallable(() -> RpmsgSocket.connect(device, n, options, connectTimeout))
                .subscribeOn(Schedulers.boundedElastic())
                .doOnDiscard(RpmsgSocket.class, RpmsgSocket::close)
                .map(SocketConnection::new);
    }

    /** {@link #connect()}, blocking up to the connect timeout. */
    public SocketConnection connectNow() {
        SocketConnection c = connect().block();
        return Objects.requireNonNull(c);
    }
}
