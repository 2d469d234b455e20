package io.rptun.reactive.socket;

import io.rptun.core.socket.RpmsgSocket;
import io.rptun.core.socket.SocketException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * {@link SocketOutbound#send}: asks the publisher for one element at a time and writes it with
 * {@code write(..., ZERO)} as far as credit and TX buffers allow; the socket's writable hint resumes it.
 * So it holds at most one element, and never blocks a thread.
 */
final class SendMono extends Mono<Void> {
    private final RpmsgSocket socket;
    private final SocketSignals signals;
    private final Publisher<byte[]> source;

    SendMono(RpmsgSocket socket, SocketSignals signals, Publisher<byte[]> source) {
        this.socket = socket;
        this.signals = signals;
        this.source = source;
    }

    @Override
    public void subscribe(CoreSubscriber<? super Void> actual) {
        source.subscribe(new Sender(actual));
    }

    private final class Sender implements CoreSubscriber<byte[]>, Subscription {
        private final CoreSubscriber<? super Void> actual;
        private final AtomicInteger wip = new AtomicInteger();
        private final Runnable hint = this::drain;
        private @Nullable Subscription upstream;
        /** The element being written and how far (drain loop only, handed over by onNext). */
        private volatile byte @Nullable [] current;
        private int offset;
        private volatile boolean done;
        private volatile @Nullable Throwable error;
        private volatile boolean cancelled;
        private boolean terminated;

        Sender(CoreSubscriber<? super Void> actual) {
            this.actual = actual;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                signals.addSender(hint);
                actual.onSubscribe(this);
                s.request(1);
            }
        }

        @Override
        public void onNext(byte[] item) {
            if (done || cancelled || current != null) {
                Operators.onDiscard(item, currentContext());
                return;
            }
            offset = 0;
            current = item;
            drain();
        }

        @Override
        public void onError(Throwable t) {
            if (done) {
                Operators.onErrorDropped(t, currentContext());
                return;
            }
            error = t;
            done = true;
            drain();
        }

        @Override
        public void onComplete() {
            done = true;
            drain();
        }

        @Override
        public void request(long n) {
            // Mono<Void>: only the terminal signal.
        }

        @Override
        public void cancel() {
            cancelled = true;
            Subscription s = upstream;
            if (s != null) {
                s.cancel();
            }
            signals.removeSender(hint);
        }

        private void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            while (true) {
                if (!terminated && !cancelled) {
                    drainOnce();
                }
                missed = wip.addAndGet(-missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        private void drainOnce() {
            byte[] item = current;
            if (item != null) {
                try {
                    offset += socket.write(item, offset, item.length - offset, Duration.ZERO);
                } catch (SocketException e) {
                    Subscription s = upstream;
                    if (s != null) {
                        s.cancel();
                    }
                    terminate(e);
                    return;
                }
                if (offset < item.length) {
                    return; // the writable hint comes back here
                }
                current = null;
                Subscription s = upstream;
                if (s != null && !done) {
                    s.request(1);
                }
            }
            if (done && current == null) {
                terminate(error);
            }
        }

        private void terminate(@Nullable Throwable e) {
            terminated = true;
            signals.removeSender(hint);
            if (e != null) {
                actual.onError(e);
            } else {
                actual.onComplete();
            }
        }
    }
}
