package io.rptun.reactive;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunLifecycleException;
import io.rptun.core.lifecycle.RptunListener;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * The reactive layer of a link that follows it across sessions: each time the {@link Rptun} is RUNNING with a
 * new device (the first start, a {@code reset()}, a remote that died and a new one that booted), a fresh
 * {@link RpmsgReactive} over it is {@linkplain #sessions() published}, and the one before is disposed once its
 * session ended. An {@link RpmsgReactive} over one device stays what it was; this class is the layer above it
 * for code that must outlive a session.
 *
 * <ul>
 *   <li>{@link #announcements()} goes on across sessions: when a session ends, a DESTROYED event for each
 *       service it had announced, then the next session's CREATED events.</li>
 *   <li>Channels belong to one session: a channel of a session that ended fails as the core says
 *       ({@code PEER_LOST} when the remote died, {@code DEVICE_CLOSED} after a reset), and nothing it sent is
 *       sent again by this class.</li>
 *   <li>{@link #channels(String)} is "the channel to service X, reopened whenever the link is up again": one
 *       channel per session, opened as soon as the session's remote serves X. Stream through each and resume
 *       on the next:
 *       <pre>{@code
 * link.channels("sensor")
 *     .concatMap(ch -> ch.receive().map(RpmsgMessage::asString).onErrorResume(RpmsgException.class, e -> Flux.empty()))
 *     .subscribe(reading -> ...);   // readings of every session, in order within each
 * }</pre></li>
 * </ul>
 *
 * <p>It listens to the link ({@link RptunListener}): a new session is published on the thread that started
 * it, so subscribers of {@link #sessions()} must not block there (the other methods do not). Everything
 * completes when the link is closed, and {@link #dispose()} stops following it.
 */
public final class RptunReactive implements Disposable {
    private final Rptun rptun;
    private final ReactiveOptions options;
    private final Sinks.Many<RpmsgReactive> sessions = Sinks.many().replay().latest();
    private final RptunListener listener = e -> refresh();
    private final AtomicBoolean disposed = new AtomicBoolean();
    /** The layer of the latest session, or null before the first; under this object's monitor. */
    private @Nullable RpmsgReactive current;

    private RptunReactive(Rptun rptun, ReactiveOptions options) {
        this.rptun = Objects.requireNonNull(rptun, "rptun");
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Follows {@code rptun} with {@link ReactiveOptions#defaults()}. */
    public static RptunReactive follow(Rptun rptun) {
        return follow(rptun, ReactiveOptions.defaults());
    }

    /** Follows {@code rptun}, each session's layer made with {@code options}. */
    public static RptunReactive follow(Rptun rptun, ReactiveOptions options) {
        RptunReactive r = new RptunReactive(rptun, options);
        rptun.addListener(r.listener);
        r.refresh();
        return r;
    }

    /** The link it follows. */
    public Rptun rptun() {
        return rptun;
    }

    /**
     * The layer of each session, the current one first (replayed to a late subscriber); completes when the link
     * is closed or this is disposed.
     */
    public Flux<RpmsgReactive> sessions() {
        return sessions.asFlux();
    }

    /** The remote's name service across sessions (see the class doc). */
    public Flux<NameServiceEvent> announcements() {
        return sessions().concatMap(layer -> Flux.defer(() -> {
            Map<String, Integer> known = new LinkedHashMap<>();
            return layer.announcements()
                    .doOnNext(e -> {
                        if (e.type() == NameServiceEvent.Type.CREATED) {
                            known.put(e.name(), e.address());
                        } else {
                            known.remove(e.name());
                        }
                    })
                    .onErrorResume(RpmsgException.class, e -> Flux.defer(() -> Flux.fromIterable(Map.copyOf(known)
                            .entrySet()).map(s -> NameServiceEvent.destroyed(s.getKey(), s.getValue()))))
                    .takeUntilOther(onDisposed(layer));
        }));
    }

    /** Opens {@code service} on the current session ({@link RpmsgReactive#open(String, Duration)}). */
    public Mono<RpmsgChannel> open(String service, Duration timeout) {
        return sessions().next().flatMap(layer -> layer.open(service, timeout));
    }

    /**
     * A channel to {@code service} for every session, as soon as its remote serves it (an open that times out
     * is tried again within the session). A session that ends before its channel opened is skipped; the
     * channel of a session fails when that session ends (the class doc's recipe resumes on the next).
     */
    public Flux<RpmsgChannel> channels(String service) {
        Objects.requireNonNull(service, "service");
        return sessions().concatMap(layer -> layer.open(service)
                .retryWhen(Retry.indefinitely().filter(e -> e instanceof RpmsgReactiveException r
                        && r.reason() == RpmsgReactiveException.Reason.OPEN_TIMEOUT))
                .onErrorResume(RpmsgException.class, e -> Mono.empty())
                .takeUntilOther(onDisposed(layer)));
    }

    /** Stops following the link and disposes the current session's layer (the link itself stays as it is). */
    @Override
    public void dispose() {
        if (disposed.compareAndSet(false, true)) {
            rptun.removeListener(listener);
            RpmsgReactive layer;
            synchronized (this) {
                layer = current;
                current = null;
            }
            if (layer != null) {
                layer.dispose();
            }
            sessions.tryEmitComplete();
        }
    }

    @Override
    public boolean isDisposed() {
        return disposed.get();
    }

    /** Looks at the link: a RUNNING one with a device the current layer is not over starts a new session. */
    private void refresh() {
        if (disposed.get()) {
            return;
        }
        RptunState state = rptun.state();
        RpmsgReactive old = null;
        RpmsgReactive fresh = null;
        synchronized (this) {
            RpmsgDevice device = runningDevice();
            if (device != null && (current == null || current.device() != device)) {
                old = current;
                fresh = RpmsgReactive.create(device, options);
                current = fresh;
                sessions.emitNext(fresh, Sinks.EmitFailureHandler.busyLooping(Duration.ofSeconds(1)));
            } else if (state == RptunState.CLOSED) {
                old = current;
                current = null;
            }
        }
        if (old != null) {
            old.dispose(); // its device has stopped: this ends what is left of its channels
        }
        if (state == RptunState.CLOSED && fresh == null) {
            sessions.tryEmitComplete();
        }
    }

    private @Nullable RpmsgDevice runningDevice() {
        if (rptun.state() != RptunState.RUNNING) {
            return null;
        }
        try {
            return rptun.device();
        } catch (RptunLifecycleException e) {
            return null; // it left RUNNING meanwhile: the listener hears of it
        }
    }

    /** Completes once {@code layer} is no longer the current session's (a later one came, or the link closed). */
    private Mono<Void> onDisposed(RpmsgReactive layer) {
        return sessions().filter(l -> l != layer).next().then();
    }
}
