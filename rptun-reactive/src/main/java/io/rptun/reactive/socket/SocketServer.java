package io.rptun.reactive.socket;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.socket.RpmsgServerSocket;
import io.rptun.core.socket.RpmsgSocket;
import io.rptun.core.socket.SocketException;
import io.rptun.core.socket.SocketOptions;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Listens on a socket name, like reactor-netty's {@code TcpServer}: each connection goes to the handler,
 * and is closed when the handler's publisher terminates. Immutable: each setter returns a new server.
 *
 * <pre>{@code
 * SocketServer.create(device).name("echo")
 *     .handle((in, out) -> out.send(in.receive()))
 *     .bindNow();
 * }</pre>
 */
public final class SocketServer {
    private final List<RpmsgDevice> devices;
    private final @Nullable String name;
    private final String cpu;
    private final SocketOptions options;
    private final @Nullable BiFunction<? super SocketInbound, ? super SocketOutbound, ? extends Publisher<Void>> handler;

    private SocketServer(List<RpmsgDevice> devices, @Nullable String name, String cpu, SocketOptions options,
            @Nullable BiFunction<? super SocketInbound, ? super SocketOutbound, ? extends Publisher<Void>> handler) {
        this.devices = devices;
        this.name = name;
        this.cpu = cpu;
        this.options = options;
        this.handler = handler;
    }

    /** A server on {@code device}. */
    public static SocketServer create(RpmsgDevice device) {
        return create(List.of(device));
    }

    /** A server on every one of {@code devices} (narrow it with {@link #cpu}). */
    public static SocketServer create(List<RpmsgDevice> devices) {
        return new SocketServer(List.copyOf(devices), null, "", SocketOptions.stream(), null);
    }

    public SocketServer name(String value) {
        return new SocketServer(devices, Objects.requireNonNull(value, "name"), cpu, options, handler);
    }

    /** Only connections from the device whose remote cpu is {@code value} ("" for all). */
    public SocketServer cpu(String value) {
        return new SocketServer(devices, name, Objects.requireNonNull(value, "cpu"), options, handler);
    }

    public SocketServer options(SocketOptions value) {
        return new SocketServer(devices, name, cpu, Objects.requireNonNull(value, "options"), handler);
    }

    /**
     * What to do with each connection. Called on the device's serving thread; must not block. The
     * connection is closed when the returned publisher completes or fails.
     */
    public SocketServer handle(BiFunction<? super SocketInbound, ? super SocketOutbound, ? extends Publisher<Void>> value) {
        return new SocketServer(devices, name, cpu, options, Objects.requireNonNull(value, "handler"));
    }

    /** Starts listening (on {@code Schedulers.boundedElastic()}); the value stops it when disposed. */
    public Mono<Bound> bind() {
        String n = name;
        var h = handler;
        if (n == null || h == null) {
            return Mono.error(new IllegalStateException("name(..) and handle(..) first"));
        }
        return Mono.fromCallable(() -> new Bound(RpmsgServerSocket.listen(devices, cpu, n, options), h))
                .subscribeOn(Schedulers.boundedElastic())
                .doOnNext(Bound::start);
    }

    /** {@link #bind()}, blocking. */
    public Bound bindNow() {
        return Objects.requireNonNull(bind().block());
    }

    /** A listening server; {@link #dispose()} stops listening and leaves running connections alone. */
    public static final class Bound implements Disposable {
        private final RpmsgServerSocket listener;
        private final BiFunction<? super SocketInbound, ? super SocketOutbound, ? extends Publisher<Void>> handler;

        Bound(RpmsgServerSocket listener,
                BiFunction<? super SocketInbound, ? super SocketOutbound, ? extends Publisher<Void>> handler) {
            this.listener = listener;
            this.handler = handler;
        }

        void start() {
            listener.setAcceptListener(this::acceptAll);
        }

        /** The core listener underneath. */
        public RpmsgServerSocket listener() {
            return listener;
        }

        private void acceptAll() {
            while (true) {
                RpmsgSocket socket;
                try {
                    socket = listener.tryAccept();
                } catch (SocketException e) {
                    return; // closed
                }
                if (socket == null) {
                    return;
                }
                SocketConnection c = new SocketConnection(socket);
                Publisher<Void> p;
                try {
                    p = handler.apply(c, c);
                } catch (RuntimeException e) {
                    c.dispose();
                    continue;
                }
                Mono.from(p).subscribe(null, e -> c.dispose(), c::dispose);
            }
        }

        @Override
        public void dispose() {
            listener.close();
        }

        @Override
        public boolean isDisposed() {
            return listener.isClosed();
        }
    }
}
