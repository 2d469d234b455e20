package io.rptun.reactive.socket;

import io.rptun.core.socket.RpmsgSocket;
import io.rptun.core.socket.SocketException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * {@link SocketInbound#receive()}: takes a chunk out of the socket's window for each request, and only then,
 * so the peer's credit follows the subscriber's demand. Never blocks: with nothing to read it returns and
 * the socket's readable hint resumes it.
 */
final class ReceiveFlux extends Flux<byte[]> {
    private final RpmsgSocket socket;
    private final SocketSignals signals;
    private final AtomicBoolean subscribed = new AtomicBoolean();

    ReceiveFlux(RpmsgSocket socket, SocketSignals signals) {
        this.socket = socket;
        this.signals = signals;
    }

    @Override
    public void subscribe(CoreSubscriber<? super byte[]> actual) {
        if (!subscribed.compareAndSet(false, true)) {
            Operators.error(actual, new IllegalStateException("receive() of " + socket + " allows one subscriber"));
            return;
        }
        Drain d = new Drain(actual);
        signals.receiver(d::drain);
        actual.onSubscribe(d);
        d.drain();
    }

    private final class Drain implements Subscription {
        private final CoreSubscriber<? super byte[]> actual;
        private final AtomicLong requested = new AtomicLong();
        private final AtomicInteger wip = new AtomicInteger();
        private volatile boolean cancelled;
        private boolean done;

        Drain(CoreSubscriber<? super byte[]> actual) {
            this.actual = actual;
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                requested.getAndUpdate(r -> Operators.addCap(r, n));
                drain();
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            signals.receiver(null);
        }

        void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            while (true) {
                if (!done && !cancelled) {
                    drainOnce();
                }
                missed = wip.addAndGet(-missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        private void drainOnce() {
            while (requested.get() > 0 && !cancelled) {
                byte[] chunk;
                try {
                    chunk = socket.isClosed() ? null : socket.receive(Duration.ZERO);
                } catch (SocketException e) {
                    finish(e);
                    return;
                }
                if (chunk == null) {
                    break;
                }
                requested.decrementAndGet();
                actual.onNext(chunk);
            }
            if (socket.isInputDone() && socket.available() == 0) {
                finish(socket.failure());
            }
        }

        private void finish(@Nullable Throwable error) {
            done = true;
            signals.receiver(null);
            if (error != null) {
                actual.onError(error);
            } else {
                actual.onComplete();
            }
        }
    }
}
