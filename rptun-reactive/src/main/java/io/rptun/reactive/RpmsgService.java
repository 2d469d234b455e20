package io.rptun.reactive;

import io.rptun.core.rpmsg.RpmsgMessage;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * A request/response service from {@link RpmsgReactive#serve}: runs until {@link #dispose()}d or the device
 * stops. Its {@link #channel()} says where it is and how its receive side is doing.
 */
public final class RpmsgService implements Disposable {
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgService.class);

    private final RpmsgChannel channel;
    private final LongAdder handled = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private volatile @Nullable Disposable subscription;
    private volatile @Nullable Throwable error;

    private RpmsgService(RpmsgChannel channel) {
        this.channel = channel;
    }

    static RpmsgService start(RpmsgChannel channel, Function<? super RpmsgMessage, ? extends Publisher<byte[]>> handler,
            int concurrency) {
        RpmsgService service = new RpmsgService(channel);
        service.subscription = channel.receive()
                .flatMap(request -> service.reply(request, handler), concurrency)
                .subscribe(null, service::stopped);
        return service;
    }

    private Mono<Void> reply(RpmsgMessage request, Function<? super RpmsgMessage, ? extends Publisher<byte[]>> handler) {
        int requester = request.src();
        request.retain();
        Publisher<byte[]> replies;
        try {
            replies = Objects.requireNonNull(handler.apply(request), "the handler returned null");
        } catch (RuntimeException e) {
            request.release();
            failed(e);
            return Mono.empty();
        }
        return channel.outbound(requester, replies, RpmsgChannel::encodeBytes).then()
                .doOnSuccess(v -> handled.increment())
                .onErrorResume(e -> {
                    failed(e);
                    return Mono.empty();
                })
                .doFinally(signal -> request.release());
    }

    private void failed(Throwable e) {
        failures.increment();
        LOG.debug("{}: a request failed: {}", channel, e.toString());
    }

    private void stopped(Throwable e) {
        error = e;
        LOG.debug("{} stopped: {}", channel, e.toString());
    }

    /** The service's channel: its name, address, stats. Do not {@code receive()} from it: the service does. */
    public RpmsgChannel channel() {
        return channel;
    }

    /** The service name. */
    public String name() {
        return channel.name();
    }

    /** The local address requests go to. */
    public int address() {
        return channel.address();
    }

    /** Requests answered (every reply on the ring). */
    public long handled() {
        return handled.sum();
    }

    /** Requests whose handler threw or whose reply failed. */
    public long failures() {
        return failures.sum();
    }

    /** Why the service stopped (the device's error), or null while it runs or after a plain dispose. */
    public @Nullable Throwable error() {
        return error;
    }

    /** Stops serving: destroys the endpoint (NS destroy) and releases what was queued. */
    @Override
    public void dispose() {
        Disposable s = subscription;
        if (s != null) {
            s.dispose();
        }
        channel.dispose();
    }

    @Override
    public boolean isDisposed() {
        return channel.isDisposed();
    }

    /** Completes once the service stopped, for whatever reason. */
    public Mono<Void> onClose() {
        return channel.onClose();
    }
}
