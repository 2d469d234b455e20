package io.rptun.reactive;

import io.rptun.core.rpmsg.RpmsgBatchWriter;
import java.lang.foreign.MemorySegment;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;
import reactor.util.context.Context;

/**
 * Sends every element of a publisher as one message, like reactor-netty's {@code MonoSendMany}: requests
 * {@code prefetch} elements, fills a TX buffer in place for each as soon as one is free, requests more once
 * three quarters of them are sent, and completes when the publisher completed and every element is on the
 * ring. Never blocks a thread: with no TX buffer free it registers with the {@link DeviceBridge} and returns;
 * the core's TX-available listener resumes it. So it never holds more than {@code prefetch} elements unsent,
 * and never asks for more than it can hold.
 *
 * <p>Sends in batches: whatever the queue holds when TX buffers are free goes out through one
 * {@code RpmsgEndpoint.trySendBatch}, each element encoded in place and the batch published with one index
 * store and at most one kick. Elements that a synchronous publisher ({@code Flux.range}, {@code generate},
 * {@code fromIterable}) delivers inside this subscriber's own {@code request} call are only queued, and sent
 * together once that call returns: otherwise each would go out alone, the publisher's emission loop calling
 * {@code onNext} once per element. Elements delivered any other way (another thread, a later signal) are sent
 * at once, so deferring never delays one past the {@code request} call that produced it.
 *
 * <p>Allocates nothing per element: the subscriber itself is the core's {@link RpmsgBatchWriter}, with no
 * TX-buffer handle and no capturing lambda.
 *
 * <p>Signals: elements are sent on the thread that delivers them (the publisher's), or on the serving thread
 * or a releasing thread when TX buffers come free; completion and errors arrive on one of those.
 */
final class SendMono<T> extends Mono<Void> {
    /** Writes {@code item} into a TX buffer's payload area; returns its length. */
    @FunctionalInterface
    interface Encoder<T> {
        int encode(T item, MemorySegment payload);
    }

    private final RpmsgChannel channel;
    private final int dst;
    private final Publisher<? extends T> source;
    private final Encoder<? super T> encoder;
    private final int prefetch;

    /** {@code dst} ANY: the channel's destination; else that address (a service's reply). */
    SendMono(RpmsgChannel channel, int dst, Publisher<? extends T> source, Encoder<? super T> encoder, int prefetch) {
        this.channel = channel;
        this.dst = dst;
        this.source = source;
        this.encoder = encoder;
        this.prefetch = prefetch;
    }

    @Override
    public void subscribe(CoreSubscriber<? super Void> actual) {
        source.subscribe(new SendSubscriber<>(actual, channel, dst, encoder, prefetch));
    }

    static final class SendSubscriber<T> implements CoreSubscriber<T>, Subscription, DeviceBridge.TxWaiter,
            RpmsgBatchWriter {
        @SuppressWarnings("rawtypes")
        private static final AtomicIntegerFieldUpdater<SendSubscriber> WIP =
                AtomicIntegerFieldUpdater.newUpdater(SendSubscriber.class, "wip");

        private final CoreSubscriber<? super Void> actual;
        private final RpmsgChannel channel;
        private final int dst;
        private final Encoder<? super T> encoder;
        private final int prefetch;
        private final int limit;
        private final Queue<T> queue;
        private final AtomicBoolean waiting = new AtomicBoolean();
        private @Nullable Subscription upstream;
        /**
         * The thread inside {@code upstream.request} for this subscriber right now, or null. Written and read
         * plainly: a thread only ever compares it with itself, writes only itself or null, and sees its own last
         * write or another thread's, so it never finds itself here once its call returned. Two threads requesting
         * at once (an asynchronous publisher's onNext draining during the first request) may overwrite each
         * other: the cost is one batch sent element by element, never an element left unsent.
         */
        private @Nullable Thread requesting;
        /** The element being written into a TX buffer, not yet accepted by the core (drain loop only). */
        private @Nullable T pending;
        /** Sent since the last request upstream (drain loop only). */
        private long sentSinceRequest;
        private boolean terminated;
        private volatile boolean done;
        private volatile @Nullable Throwable error;
        private volatile boolean cancelled;
        @SuppressWarnings("unused") // through WIP
        private volatile int wip;

        SendSubscriber(CoreSubscriber<? super Void> actual, RpmsgChannel channel, int dst, Encoder<? super T> encoder,
                int prefetch) {
            this.actual = actual;
            this.channel = channel;
            this.dst = dst;
            this.encoder = encoder;
            this.prefetch = prefetch;
            this.limit = prefetch - (prefetch >> 2);
            this.queue = Queues.<T>get(prefetch).get();
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
                requestUpstream(s, prefetch);
                drain(); // what a synchronous publisher delivered inside that call
            }
        }

        /**
         * Requests {@code n} from upstream; {@link #onNext} only queues what arrives on this thread inside the
         * call, and the caller drains it afterwards as one batch.
         */
        private void requestUpstream(Subscription s, long n) {
            Thread me = Thread.currentThread();
            boolean nested = requesting == me;
            requesting = me;
            try {
                s.request(n);
            } finally {
                if (!nested) {
                    // Only ever null, never a value read earlier: a thread restoring another's would leave it
                    // marked as requesting after it returned, and its next onNext would wait for a drain.
                    requesting = null;
                }
            }
        }

        @Override
        public void onNext(T item) {
            if (done || cancelled) {
                Operators.onDiscard(item, currentContext());
                return;
            }
            if (!queue.offer(item)) {
                Operators.onDiscard(item, currentContext());
                error = Operators.onOperatorError(upstream, Exceptions.failWithOverflow(
                        "the publisher sent more than requested"), item, currentContext());
                done = true;
            }
            if (requesting != Thread.currentThread()) {
                drain();
            }
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
            // Mono<Void>: nothing to deliver but the terminal signal.
        }

        @Override
        public void cancel() {
            if (cancelled) {
                return;
            }
            cancelled = true;
            Subscription s = upstream;
            if (s != null) {
                s.cancel();
            }
            channel.bridge().forget(this);
            drain();
        }

        @Override
        public AtomicBoolean waiting() {
            return waiting;
        }

        @Override
        public void txAvailable() {
            drain();
        }

        private void drain() {
            if (WIP.getAndIncrement(this) != 0) {
                return;
            }
            int missed = 1;
            while (true) {
                if (!terminated) {
                    drainOnce();
                } else {
                    clear(); // an element that raced a cancel in
                }
                missed = WIP.addAndGet(this, -missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        private void drainOnce() {
            if (cancelled) {
                clear();
                terminated = true;
                channel.leaveTxLine(this);
                return;
            }
            Throwable upstreamError = error;
            if (upstreamError != null) {
                sendBeforeError();
                fail(upstreamError, false);
                return;
            }
            while (!queue.isEmpty()) {
                try {
                    if (!channel.mayTakeTx(this)) {
                        // An earlier send on this channel waits for a buffer: queue behind it, keep the order.
                        channel.joinTxLine(this);
                        if (!channel.mayTakeTx(this)) {
                            return;
                        }
                    }
                    int sent = sendBatch();
                    if (sent == 0) {
                        // No TX buffer. Take a place in line, register, then look once more: a buffer freed in
                        // between is not missed.
                        channel.joinTxLine(this);
                        channel.bridge().awaitTx(this);
                        sent = sendBatch();
                        if (sent == 0) {
                            return;
                        }
                        channel.bridge().forget(this);
                    }
                    sentSinceRequest += sent;
                } catch (RuntimeException e) {
                    // The core put the TX buffer back; the item is still pending, so fail() discards it once.
                    fail(channel.sendError(e), true);
                    return;
                }
                if (sentSinceRequest >= limit) {
                    long n = sentSinceRequest;
                    sentSinceRequest = 0;
                    Subscription s = upstream;
                    if (s != null) {
                        requestUpstream(s, n); // a synchronous publisher's elements: the next batch of this loop
                    }
                }
            }
            // Nothing waits for a buffer any more: let the next send in line go.
            channel.leaveTxLine(this);
            if (done && error == null && pending == null && queue.isEmpty()) {
                terminated = true;
                actual.onComplete();
            }
        }

        /**
         * The publisher failed: what it emitted before the error and still waits here (a synchronous publisher's
         * last batch, queued inside the request call) goes out if TX buffers are free now, as it would have one
         * element at a time; whatever does not fit is discarded with the error, as always. A failure of this
         * send is not reported: the publisher's error is.
         */
        private void sendBeforeError() {
            if (queue.isEmpty() || cancelled || !channel.mayTakeTx(this)) {
                return;
            }
            try {
                sendBatch();
            } catch (RuntimeException e) {
                // The core put the TX buffer back; fail() discards the element it held.
            }
        }

        /**
         * Sends what the queue holds as one batch (as many as TX buffers are free): one publication and at most
         * one kick for all of them. Returns how many went.
         */
        private int sendBatch() {
            int sent = channel.trySendBatch(dst, this, queue.size());
            // The core took the last message written: it is no longer this subscriber's to discard.
            pending = null;
            return sent;
        }

        /**
         * The core calls this for each TX buffer of a batch, on the draining thread: the next queued element,
         * encoded in place. Being called again means the message written before was accepted; the element
         * written last stays {@code pending} until the batch returns, so a failure discards it exactly once.
         */
        @Override
        public int writeNext(MemorySegment payload) {
            pending = null;
            T item = queue.poll();
            if (item == null) {
                return NO_MORE;
            }
            pending = item;
            return write(item, payload);
        }

        /**
         * Encodes {@code item} into a TX buffer's payload. A bad length, or the channel closed while encoding,
         * throws: the core puts the buffer back.
         */
        private int write(T item, MemorySegment payload) {
            int length = encoder.encode(item, payload);
            if (length < 0 || length > payload.byteSize()) {
                throw new RpmsgReactiveException(RpmsgReactiveException.Reason.BAD_WRITE_LENGTH, "a writer for "
                        + channel + " returned " + length + " for a " + payload.byteSize() + "-byte TX buffer");
            }
            channel.checkSendOpen();
            return length;
        }

        private void fail(Throwable e, boolean cancelUpstream) {
            terminated = true;
            cancelled = true;
            if (cancelUpstream) {
                Subscription s = upstream;
                if (s != null) {
                    s.cancel();
                }
            }
            channel.bridge().forget(this);
            channel.leaveTxLine(this);
            clear();
            actual.onError(e);
        }

        private void clear() {
            T item = pending;
            pending = null;
            if (item != null) {
                Operators.onDiscard(item, currentContext());
            }
            Operators.onDiscardQueueWithClear(queue, currentContext(), null);
        }
    }
}
