package io.rptun.reactive;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgListener;
import io.rptun.core.rpmsg.RpmsgMessage;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;
import reactor.util.context.Context;

/**
 * The receive side of a channel: the endpoint's {@link RpmsgListener} and the operator behind
 * {@link RpmsgChannel#receive()}, in one place because both sides of its queue meet here.
 *
 * <h2>Emission</h2>
 * When the receiver has demand and nothing is queued, {@link #onMessage} hands the message to
 * {@code onNext} directly, on the serving thread, while the core still owns it: the core gives the buffer
 * back when the callback returns unless the receiver retained it. Otherwise the message is held (the core's
 * {@code hold()}, no copy) and queued; whoever requests, or the serving thread itself, drains the queue in
 * a serialized loop (Reactor's work-in-progress counter), releasing the hold after each {@code onNext}.
 *
 * <h2>Flow control</h2>
 * At most {@code receiveBound} messages are held; past that, {@link ReceiveOverflow} decides. PAUSE (and COPY
 * once it can neither hold nor copy another message of the largest size) pause the endpoint's delivery in the
 * core, so the next message stays in the ring; the drain resumes it at half the bound (and, for COPY, half the
 * channel's copy budget). Pausing happens on the serving thread inside the callback, before the core looks at
 * the next message, so the bound is exact; the drain thread decrements the counts and then reads the paused
 * flag, the serving thread sets the flag and then reads the counts (both volatile), so one of them always sees
 * the other and delivery cannot stay paused on an empty queue.
 *
 * <p>Under COPY the device's budgets are shared with the layer's other channels ({@link DeviceBridge}): when
 * they spent the device copy budget or the zero-copy holds, a message this channel can neither hold nor copy
 * is held anyway (the core delivered it already, and nothing is lost), and the channel pauses as soon as its
 * queue is past the resume level. It never pauses with its own queue at or below that level, so a pause is
 * always undone by its own receiver reading.
 *
 * <p>Each pause starts a pause episode, counted in {@link ChannelStats#pauses()} and shown by
 * {@link ChannelStats#pausing()}; its start is logged once, at WARN for the channel's first episode and then
 * at most once a minute (DEBUG for the others), with the count so far.
 *
 * <h2>Threads</h2>
 * The queue has one producer (the serving thread, in {@link #onMessage}) and one consumer at a time (the
 * thread inside the drain loop). Termination ({@link #terminate}) may come from any thread; it only sets
 * fields and drains.
 */
final class ChannelInbound implements RpmsgListener {
    private static final AtomicIntegerFieldUpdater<ChannelInbound> WIP =
            AtomicIntegerFieldUpdater.newUpdater(ChannelInbound.class, "wip");
    private static final AtomicReferenceFieldUpdater<ChannelInbound, @Nullable Receiver> CURRENT =
            AtomicReferenceFieldUpdater.newUpdater(ChannelInbound.class, Receiver.class, "current");
    private static final Logger LOG = LoggerFactory.getLogger(RpmsgChannel.class);
    /** Pause episodes after the first are logged at WARN at most this often (nanoseconds). */
    private static final long WARN_EVERY_NANOS = 60_000_000_000L;

    private final RpmsgChannel channel;
    private final DeviceBridge bridge;
    private final ReceiveOverflow overflow;
    private final int bound;
    private final long copyBudget;
    private final int resumeHeld;
    private final long resumeCopiedBytes;
    private final boolean completeOnUnbind;
    private final Queue<RpmsgMessage> queue = Queues.<RpmsgMessage>unbounded(32).get();
    private final AtomicInteger held = new AtomicInteger();
    private final AtomicInteger copied = new AtomicInteger();
    private final AtomicLong copiedBytes = new AtomicLong();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private volatile int maxHeld;
    private volatile int maxQueued;
    private volatile long maxCopiedBytes;
    private volatile long pauses;
    private volatile boolean paused;
    /** What the largest message counts against a copy budget (serving thread; 0 until the first message). */
    private long maxCharge;
    /** When a pause was last logged at WARN (serving thread), and whether ever. */
    private long lastWarnNanos;
    private boolean warned;
    private volatile @Nullable RpmsgEndpoint endpoint;

    private volatile boolean done;
    private volatile @Nullable Throwable error;
    private volatile boolean discardQueued;
    private volatile boolean hadReceiver;
    private volatile @Nullable Receiver current;
    @SuppressWarnings("unused") // through WIP
    private volatile int wip;

    ChannelInbound(RpmsgChannel channel, DeviceBridge bridge, ReactiveOptions options, boolean completeOnUnbind) {
        this.channel = channel;
        this.bridge = bridge;
        this.overflow = options.overflow();
        this.bound = options.receiveBound();
        this.copyBudget = overflow == ReceiveOverflow.COPY ? options.copyBudget() : 0;
        this.resumeHeld = bound / 2;
        this.resumeCopiedBytes = copyBudget / 2;
        this.completeOnUnbind = completeOnUnbind;
    }

    Flux<RpmsgMessage> flux() {
        return new ReceiveFlux(this);
    }

    ChannelStats stats() {
        return new ChannelStats(held.get(), copied.get(), copiedBytes.get(), maxHeld, maxQueued, maxCopiedBytes,
                dropped.sum(), pauses, paused, delivered.sum());
    }

    // ---------------------------------------------------------------- the core's side (serving thread)

    @Override
    public void onMessage(RpmsgEndpoint ep, RpmsgMessage message) {
        if (endpoint != ep) {
            endpoint = ep;
        }
        Receiver r = current;
        if (done || (hadReceiver && (r == null || r.cancelled))) {
            dropped.increment(); // nobody will read it: the core gives the buffer back when we return
            return;
        }
        if (wip == 0 && WIP.compareAndSet(this, 0, 1)) {
            if (r != null && !r.cancelled && r.requested > 0 && r.badRequest == null && queue.isEmpty()) {
                emitDirect(r, message);
            } else {
                enqueue(ep, message);
            }
            if (WIP.decrementAndGet(this) == 0) {
                return;
            }
        } else {
            enqueue(ep, message);
            if (WIP.getAndIncrement(this) != 0) {
                return;
            }
        }
        drainLoop();
    }

    /** In the callback: the core still owns the message and takes the buffer back unless the receiver retained it. */
    private void emitDirect(Receiver r, RpmsgMessage message) {
        delivered.increment();
        try {
            r.actual.onNext(message);
        } catch (Throwable t) {
            Exceptions.throwIfFatal(t);
            r.fail(Operators.onOperatorError(r, t, message, r.actual.currentContext()));
            return;
        }
        r.produced(1);
    }

    private void enqueue(RpmsgEndpoint ep, RpmsgMessage message) {
        if (overflow == ReceiveOverflow.COPY) {
            enqueueCopying(ep, message);
            return;
        }
        if (held.get() < bound) {
            hold(message);
        } else {
            switch (overflow) {
                case DROP -> {
                    dropped.increment();
                    return;
                }
                case ERROR -> {
                    dropped.increment();
                    terminate(new RpmsgReactiveException(RpmsgReactiveException.Reason.RECEIVE_OVERFLOW, ep
                            + ": the receiver fell more than " + bound + " messages behind"), true);
                    return;
                }
                case PAUSE, COPY -> hold(message);
            }
        }
        maxQueued = Math.max(maxQueued, held.get() + copied.get());
        if (!paused && overflow == ReceiveOverflow.PAUSE && held.get() >= bound) {
            pause(ep);
        }
    }

    /** COPY: hold within the bound and the layer's holds, else copy within the budgets, else hold anyway. */
    private void enqueueCopying(RpmsgEndpoint ep, RpmsgMessage message) {
        if (maxCharge == 0) {
            maxCharge = (long) ep.maxPayload() + ReactiveOptions.COPY_OVERHEAD;
        }
        if (held.get() < bound && bridge.tryHold()) {
            hold(message);
        } else {
            long charge = (long) message.length() + ReactiveOptions.COPY_OVERHEAD;
            if (copiedBytes.get() + charge <= copyBudget && bridge.tryCharge(charge)) {
                queue.offer(message.copy());
                copied.incrementAndGet();
                maxCopiedBytes = Math.max(maxCopiedBytes, copiedBytes.addAndGet(charge));
            } else {
                // Other channels spent the layer's share meanwhile: the core delivered it, so keep it.
                bridge.forceHold();
                hold(message);
            }
        }
        maxQueued = Math.max(maxQueued, held.get() + copied.get());
        if (!paused && !resumable() && !roomForNext()) {
            pause(ep);
        }
    }

    private void hold(RpmsgMessage message) {
        queue.offer(message.hold());
        maxHeld = Math.max(maxHeld, held.incrementAndGet());
    }

    /** COPY: whether a message of the largest size could still be held or copied. */
    private boolean roomForNext() {
        if (held.get() < bound && !bridge.holdsFull()) {
            return true;
        }
        return copyBudget - copiedBytes.get() >= maxCharge && bridge.copyRoom() >= maxCharge;
    }

    /** Drained enough to take more: half the bound held, and under COPY half the budget copied. */
    private boolean resumable() {
        return held.get() <= resumeHeld && copiedBytes.get() <= resumeCopiedBytes;
    }

    private void pause(RpmsgEndpoint ep) {
        long n;
        synchronized (this) {
            paused = true;
            n = ++pauses;
            ep.pauseDelivery();
            // The drain may have taken messages between our count and the flag: look again.
            if (resumable()) {
                resumeLocked(ep);
            }
        }
        logPause(ep, n);
    }

    /** Serving thread: one line per pause episode, WARN for the first and then at most once a minute. */
    private void logPause(RpmsgEndpoint ep, long n) {
        long now = System.nanoTime();
        boolean warn = !warned || now - lastWarnNanos >= WARN_EVERY_NANOS;
        if (!warn && !LOG.isDebugEnabled()) {
            return;
        }
        String budgets = overflow == ReceiveOverflow.COPY
                ? " and a copy budget is spent (channel " + copiedBytes.get() + " of " + copyBudget + " bytes, device "
                        + bridge.copiedBytes() + " of " + bridge.deviceCopyBudget() + " bytes)"
                : " under ReceiveOverflow." + overflow;
        String line = channel + " paused delivery for every endpoint of " + ep.device() + ": its receiver is "
                + (held.get() + copied.get()) + " messages behind (" + held.get() + " held zero-copy, " + copied.get()
                + " copied)" + budgets + "; the other channels wait until it reads (pause episode " + n + ")";
        if (warn) {
            warned = true;
            lastWarnNanos = now;
            LOG.warn(line);
        } else {
            LOG.debug(line);
        }
    }

    private void maybeResume() {
        if (!paused) {
            return;
        }
        RpmsgEndpoint ep = endpoint;
        synchronized (this) {
            if (paused && ep != null && resumable()) {
                resumeLocked(ep);
            }
        }
    }

    private void resumeLocked(RpmsgEndpoint ep) {
        paused = false;
        ep.resumeDelivery();
    }

    @Override
    public void onBound(RpmsgEndpoint ep) {
        endpoint = ep;
        channel.bound();
    }

    @Override
    public void onUnbind(RpmsgEndpoint ep) {
        if (ep.device().state() != RpmsgDevice.State.READY) {
            channel.deviceStopped();
        } else if (completeOnUnbind) {
            channel.remoteClosed();
        }
    }

    // ---------------------------------------------------------------- termination (any thread)

    /**
     * Ends receiving: with {@code error} null, completes once the queue is drained ({@code discard} false) or at
     * once ({@code discard} true); with an error, fails at once. Queued messages dropped here are released.
     */
    void terminate(@Nullable Throwable error, boolean discard) {
        if (discard) {
            discardQueued = true;
        }
        if (!done) {
            this.error = error;
            done = true;
        }
        drain();
    }

    // ---------------------------------------------------------------- the receiver's side

    void subscribe(CoreSubscriber<? super RpmsgMessage> actual) {
        Receiver r = new Receiver(this, actual);
        while (true) {
            Receiver c = current;
            if (c != null && !c.cancelled) {
                Operators.error(actual, new RpmsgReactiveException(RpmsgReactiveException.Reason.ALREADY_RECEIVING,
                        channel + " already has a receiver: one at a time"));
                return;
            }
            if (CURRENT.compareAndSet(this, c, r)) {
                break;
            }
        }
        hadReceiver = true;
        actual.onSubscribe(r);
        drain();
    }

    private void drain() {
        if (WIP.getAndIncrement(this) != 0) {
            return;
        }
        drainLoop();
    }

    private void drainLoop() {
        int missed = 1;
        while (true) {
            Receiver r = current;
            if (r != null && r.cancelled) {
                CURRENT.compareAndSet(this, r, null);
                clearQueue(r.actual.currentContext());
            } else if (r == null) {
                // Arrivals after a receiver left, or a channel that ended before anyone read it.
                if (hadReceiver || (done && (error != null || discardQueued))) {
                    clearQueue(Context.empty());
                }
            } else {
                drainTo(r);
            }
            missed = WIP.addAndGet(this, -missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private void drainTo(Receiver r) {
        CoreSubscriber<? super RpmsgMessage> a = r.actual;
        long requested = r.requested;
        long emitted = 0;
        while (emitted != requested) {
            if (r.cancelled) {
                return; // the next turn of the loop clears the queue
            }
            boolean d = done;
            RpmsgMessage m = queue.poll();
            if (checkTerminated(r, d, m == null)) {
                if (m != null) {
                    dequeued(m);
                    discard(m, a.currentContext());
                }
                return;
            }
            if (m == null) {
                break;
            }
            delivered.increment();
            try {
                a.onNext(m);
            } catch (Throwable t) {
                Exceptions.throwIfFatal(t);
                releaseOurs(m);
                dequeued(m);
                r.fail(Operators.onOperatorError(r, t, m, a.currentContext()));
                return;
            }
            // Counted out only once its buffer is back: the device never holds more than the bound.
            releaseOurs(m);
            dequeued(m);
            emitted++;
        }
        if (emitted == requested && checkTerminated(r, done, queue.isEmpty())) {
            return;
        }
        if (emitted != 0) {
            r.produced(emitted);
        }
    }

    private boolean checkTerminated(Receiver r, boolean d, boolean empty) {
        Throwable bad = r.badRequest;
        if (bad != null) {
            r.fail(bad);
            return true;
        }
        if (!d) {
            return false;
        }
        Throwable e = error;
        if (e != null || discardQueued) {
            r.finish();
            clearQueue(r.actual.currentContext());
            if (e != null) {
                r.actual.onError(e);
            } else {
                r.actual.onComplete();
            }
            return true;
        }
        if (empty) {
            r.finish();
            r.actual.onComplete();
            return true;
        }
        return false;
    }

    /** Drain thread: a message left the queue. */
    private void dequeued(RpmsgMessage m) {
        if (m.isCopy()) {
            long charge = (long) m.length() + ReactiveOptions.COPY_OVERHEAD;
            copiedBytes.addAndGet(-charge);
            bridge.uncharge(charge);
            copied.decrementAndGet();
        } else {
            if (overflow == ReceiveOverflow.COPY) {
                bridge.unhold();
            }
            held.decrementAndGet();
        }
        maybeResume();
    }

    /** Drops our hold, after onNext: a receiver that retained the message keeps it. */
    private static void releaseOurs(RpmsgMessage m) {
        if (!m.isCopy()) {
            m.release();
        }
    }

    /**
     * A queued message nobody will get: the discard hook sees it still valid (it may retain it, or release it
     * itself), then whatever of our hold is left goes back.
     */
    private static void discard(RpmsgMessage m, Context ctx) {
        Operators.onDiscard(m, ctx);
        if (!m.isCopy() && m.isHeld()) {
            m.release();
        }
    }

    private void clearQueue(Context ctx) {
        RpmsgMessage m;
        while ((m = queue.poll()) != null) {
            dequeued(m);
            discard(m, ctx);
        }
    }

    @Override
    public String toString() {
        return "inbound of " + channel;
    }

    /** One subscription to {@link RpmsgChannel#receive()}. */
    static final class Receiver implements Subscription {
        private static final AtomicLongFieldUpdater<Receiver> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(Receiver.class, "requested");

        final ChannelInbound parent;
        final CoreSubscriber<? super RpmsgMessage> actual;
        volatile long requested;
        volatile boolean cancelled;
        volatile @Nullable Throwable badRequest;

        Receiver(ChannelInbound parent, CoreSubscriber<? super RpmsgMessage> actual) {
            this.parent = parent;
            this.actual = actual;
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                // Rule 3.9: a non-positive request is an error signal, not an exception.
                badRequest = new IllegalArgumentException("§3.9 violated: positive request amount required, got " + n);
            } else {
                Operators.addCap(REQUESTED, this, n);
            }
            parent.drain();
        }

        @Override
        public void cancel() {
            if (!cancelled) {
                cancelled = true;
                parent.drain();
            }
        }

        void produced(long n) {
            if (requested != Long.MAX_VALUE) {
                REQUESTED.addAndGet(this, -n);
            }
        }

        /** Drain loop only: no more signals to this receiver; the channel forgets it. */
        void finish() {
            cancelled = true;
            CURRENT.compareAndSet(parent, this, null);
        }

        /** Drain loop only: fails this receiver; what is queued is released. */
        void fail(Throwable e) {
            finish();
            parent.clearQueue(actual.currentContext());
            actual.onError(e);
        }
    }

    /** {@link RpmsgChannel#receive()}: each subscription becomes the channel's one receiver, or fails. */
    private static final class ReceiveFlux extends Flux<RpmsgMessage> {
        private final ChannelInbound inbound;

        ReceiveFlux(ChannelInbound inbound) {
            this.inbound = inbound;
        }

        @Override
        public void subscribe(CoreSubscriber<? super RpmsgMessage> actual) {
            inbound.subscribe(actual);
        }
    }
}
