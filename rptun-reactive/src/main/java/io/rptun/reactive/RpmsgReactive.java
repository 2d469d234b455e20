package io.rptun.reactive;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgServiceListener;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The reactive face of one rpmsg device, shaped like reactor-netty: {@link #announcements()} of the remote's
 * name service, {@link #open} a channel to a remote service, {@link #serve} a request/response service.
 *
 * <pre>{@code
 * RpmsgReactive rpmsg = RpmsgReactive.create(device);
 * rpmsg.open("echo", Duration.ofSeconds(5))
 *      .flatMapMany(ch -> ch.sendBytes(Flux.just(ping)).then().thenMany(ch.receive().take(1).map(RpmsgMessage::copy)))
 *      .subscribe(reply -> ...);
 * }</pre>
 *
 * <p>Everything is lazy (nothing happens until subscribed) and never blocks the device's serving thread. The
 * device itself is the caller's: it must be served (an {@code RpmsgRunner}, as {@code RpmsgLoopback} and
 * {@code Rptun} do), and {@link #dispose()} closes this layer's channels and unhooks it, not the device.
 * Failures of the device (the remote lost, the device closed, a ring broken) reach every subscriber as the
 * core's {@link RpmsgException}; this layer's own failures are {@link RpmsgReactiveException}s.
 */
public final class RpmsgReactive implements Disposable {
    private final DeviceBridge bridge;
    private final ReactiveOptions options;

    private RpmsgReactive(RpmsgDevice device, ReactiveOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        int rx = device.rxBuffers();
        if (rx > 0 && options.receiveBound() >= rx) {
            throw new IllegalArgumentException("receiveBound=" + options.receiveBound() + " must be below the " + rx
                    + " RX buffers of " + device);
        }
        this.bridge = new DeviceBridge(Objects.requireNonNull(device, "device"), options);
    }

    /**
     * The reactive layer over the running device of {@code rptun} ({@link Rptun#device()}). After a reset
     * the link has a new device: create a new layer over it.
     *
     * @throws io.rptun.core.lifecycle.RptunLifecycleException NOT_RUNNING when the link is not running
     */
    public static RpmsgReactive create(Rptun rptun) {
        return create(rptun.device());
    }


    /**
     * {@link #create(Rptun)} with {@code options}.
     *
     * @throws io.rptun.core.lifecycle.RptunLifecycleException NOT_RUNNING when the link is not running
     */
    public static RpmsgReactive create(Rptun rptun, ReactiveOptions options) {
        return create(rptun.device(), options);
    }

    /**
     * The reactive layer over {@code device}, with {@link ReactiveOptions#defaultsFor} the device (the
     * defaults, with a receive bound of at most half its RX buffers).
     */
    public static RpmsgReactive create(RpmsgDevice device) {
        return create(device, ReactiveOptions.defaultsFor(device));
    }

    /**
     * The reactive layer over {@code device}.
     *
     * @throws IllegalArgumentException if the receive bound is not below the device's RX buffer count
     */
    public static RpmsgReactive create(RpmsgDevice device, ReactiveOptions options) {
        return new RpmsgReactive(device, options);
    }

    /** The device underneath. */
    public RpmsgDevice device() {
        return bridge.device();
    }

    /** The options. */
    public ReactiveOptions options() {
        return options;
    }

    /**
     * Heap bytes all this layer's channels hold in copies now, as counted against
     * {@link ReactiveOptions#deviceCopyBudget()} (a gauge; each channel's share is in {@link ChannelStats}).
     */
    public long copiedBytes() {
        return bridge.copiedBytes();
    }

    /**
     * The remote's name service, live: first a CREATED event for each service already known (by name), then
     * every announcement and destruction as it arrives. Fails with the device's {@link RpmsgException} when it
     * stops. Events are few, so they are buffered for a slow subscriber; the replay arrives on the subscribing
     * thread, the rest on the device's serving thread.
     */
    public Flux<NameServiceEvent> announcements() {
        return Flux.create(sink -> {
            Object gate = new Object();
            AtomicBoolean ended = new AtomicBoolean();
            RpmsgServiceListener listener = new RpmsgServiceListener() {
                @Override
                public void serviceCreated(String name, int address) {
                    synchronized (gate) {
                        sink.next(NameServiceEvent.created(name, address));
                    }
                }

                @Override
                public void serviceDestroyed(String name, int address) {
                    synchronized (gate) {
                        sink.next(NameServiceEvent.destroyed(name, address));
                    }
                }

                @Override
                public void deviceStopped(RpmsgException why) {
                    if (ended.compareAndSet(false, true)) {
                        sink.error(why);
                    }
                }
            };
            // Under the gate: events that come meanwhile wait until the known services are out.
            synchronized (gate) {
                Map<String, Integer> known = new TreeMap<>(bridge.watch(listener));
                sink.onDispose(() -> bridge.unwatch(listener));
                known.forEach((name, address) -> sink.next(NameServiceEvent.created(name, address)));
            }
            RpmsgException failure = bridge.device().failure();
            if (failure != null && ended.compareAndSet(false, true)) {
                sink.error(failure);
            }
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    /** {@link #open(String, Duration)} with {@link ReactiveOptions#openTimeout()}. */
    public Mono<RpmsgChannel> open(String service) {
        return open(service, options.openTimeout());
    }

    /**
     * Opens a channel to the remote's service {@code service}: creates a named endpoint, announces it, and
     * completes when the name service has bound it (at once if the remote announced the service already,
     * else on the serving thread when the remote answers). The endpoint is created on
     * {@code Schedulers.boundedElastic()}, since the announcement may wait for a TX buffer: subscribing never
     * blocks, even on the serving thread.
     *
     * <p>Fails with {@link RpmsgReactiveException.Reason#OPEN_TIMEOUT} after {@code timeout} (measured on
     * {@code Schedulers.parallel()}, so virtual time works in tests), and with the device's
     * {@link RpmsgException} when it cannot open (BAD_NAME, a stopped device, no TX buffer for the
     * announcement). The endpoint is destroyed then, and when the subscriber cancels before the channel
     * arrives.
     */
    public Mono<RpmsgChannel> open(String service, Duration timeout) {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(timeout, "timeout");
        return Mono.defer(() -> {
            // A cancel (or the timeout) may come while the endpoint is being created on another thread:
            // whichever of the two comes second disposes the channel (each writes its flag, then reads the
            // other's), so no endpoint is left behind.
            AtomicBoolean cancelled = new AtomicBoolean();
            AtomicBoolean handedOver = new AtomicBoolean();
            AtomicReference<@Nullable RpmsgChannel> created = new AtomicReference<>();
            return Mono.fromCallable(() -> {
                RpmsgChannel channel = RpmsgChannel.create(bridge, options, service, false);
                created.set(channel);
                if (cancelled.get()) {
                    channel.dispose();
                }
                return channel;
            })
                    .subscribeOn(Schedulers.boundedElastic())
                    .flatMap(channel -> channel.whenBound()
                            .doOnNext(c -> handedOver.set(true))
                            .doOnError(e -> channel.dispose()))
                    .doOnCancel(() -> {
                        cancelled.set(true);
                        RpmsgChannel channel = created.get();
                        if (channel != null && !handedOver.get()) {
                            channel.dispose();
                        }
                    });
        })
                .timeout(timeout, Mono.error(() -> new RpmsgReactiveException(RpmsgReactiveException.Reason.OPEN_TIMEOUT,
                        "nobody bound '" + service + "' within " + timeout + " (does the remote serve it?)")));
    }

    /**
     * Serves {@code name}: a named endpoint (announced to the remote) that answers each request with what
     * {@code handler} returns, each element one message sent to the requester's address. The request is valid
     * while the handler runs and until its reply publisher terminates (the service retains it); copy it to keep
     * it longer. Requests are handled concurrently, at most {@link ReactiveOptions#receiveBound()} at once, and
     * demand paces the remote as for {@link RpmsgChannel#receive()} (so up to twice the bound RX buffers may be
     * held). A handler that throws, or a reply that fails, is counted ({@link RpmsgService#failures()}) and the
     * service goes on; it stops when disposed or when the device stops.
     *
     * <p>The handler runs on the device's serving thread or the thread whose reply just finished; it must not
     * block. This method creates the endpoint on the calling thread, and its announcement may wait up to the
     * device's send timeout for a TX buffer: do not call it on the serving thread.
     *
     * @throws RpmsgException from the device (BAD_NAME, a stopped device, NO_TX_BUFFER for the announcement)
     */
    public RpmsgService serve(String name, Function<? super RpmsgMessage, ? extends Publisher<byte[]>> handler) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(handler, "handler");
        RpmsgChannel channel = RpmsgChannel.create(bridge, options, name, true);
        return RpmsgService.start(channel, handler, options.receiveBound());
    }

    /** Closes every channel and service of this layer and unhooks it from the device (which stays open). */
    @Override
    public void dispose() {
        bridge.dispose();
    }

    @Override
    public boolean isDisposed() {
        return bridge.isDisposed();
    }
}
