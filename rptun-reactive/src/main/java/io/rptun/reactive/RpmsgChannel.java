package io.rptun.reactive;

import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.core.rpmsg.RpmsgBatchWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * One rpmsg endpoint as a reactive channel, from {@link RpmsgReactive#open}: {@link #receive()} what the
 * remote sends, {@code send...} to it, {@link #close()} it. Shaped like a reactor-netty connection.
 *
 * <h2>Receiving</h2>
 * {@link #receive()} is a {@code Flux} of the remote's messages, one receiver at a time (a second
 * concurrent subscriber gets {@link RpmsgReactiveException.Reason#ALREADY_RECEIVING}). Demand drives the
 * ring: while the receiver requests nothing, messages are held zero-copy up to
 * {@link ReactiveOptions#receiveBound()}, then {@link ReactiveOptions#overflow()} applies (by default copies
 * within the copy budgets, so the device's other channels keep flowing, and past them a pause of the whole
 * link until this receiver reads: see {@link ReceiveOverflow}). Messages that arrive before anyone subscribed are
 * kept the same way; after a receiver cancelled, and until the next one subscribes, they are dropped.
 *
 * <p><b>Buffer lifetime.</b> A message is valid inside {@code onNext} only: call {@link RpmsgMessage#retain()}
 * there (and {@link RpmsgMessage#release()} later, from any thread) or {@link RpmsgMessage#copy()} to keep it,
 * for example before {@code publishOn} or any operator that queues. Whatever the channel itself queued is
 * released on cancellation, error or close, after passing it to the discard hook; a receiver that retains
 * and then drops messages should install one: {@code .doOnDiscard(RpmsgMessage.class, RpmsgMessage::release)}.
 *
 * <p><b>Threads.</b> {@code onNext} runs on the device's serving thread when the receiver has demand and
 * nothing is queued (inside the core callback: never block there), otherwise on the thread that calls
 * {@code request}. {@code onComplete} and {@code onError} run on the serving thread, the closing thread, or
 * the thread that declared the remote lost.
 *
 * <p><b>End.</b> {@code receive()} completes when the channel is closed locally (what was queued is released)
 * or when the remote destroys its endpoint (NS destroy: what was queued is delivered first), and fails with the
 * core's {@link RpmsgException} (PEER_LOST, DEVICE_CLOSED, DEVICE_BROKEN) when the device stops, releasing
 * what was queued.
 *
 * <h2>Sending</h2>
 * {@link #sendBytes}, {@link #sendByteBuffers} and {@link #sendWith} (zero-copy) return an
 * {@link RpmsgOutbound}; its {@link RpmsgOutbound#then()} completes when every element is on the TX ring. A
 * send asks its publisher for at most {@link ReactiveOptions#sendPrefetch()} elements ahead of free TX buffers
 * and never blocks a thread (it is safe inside {@code receive}'s {@code onNext} on the serving thread). Fails
 * with {@link RpmsgReactiveException.Reason#CHANNEL_CLOSED} once the channel is closed, with the core's
 * PAYLOAD_TOO_LARGE for an element larger than {@link #maxPayload()}, and with the device's error when it stops.
 */
public final class RpmsgChannel implements Disposable {
    private final DeviceBridge bridge;
    private final ReactiveOptions options;
    private final String name;
    private final ChannelInbound inbound;
    private final Sinks.One<RpmsgChannel> bound = Sinks.one();
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile @Nullable RpmsgEndpoint endpoint;
    private volatile boolean sendClosed;

    private RpmsgChannel(DeviceBridge bridge, ReactiveOptions options, String name, boolean service) {
        this.bridge = bridge;
        this.options = options;
        this.name = name;
        this.inbound = new ChannelInbound(this, bridge, options, !service);
    }

    /**
     * Creates the endpoint {@code name} (announced to the remote). A service's channel keeps receiving when a
     * remote endpoint bound to it goes away; an opened one ends then.
     *
     * @throws RpmsgException from the device (BAD_NAME, a stopped device, ...)
     */
    static RpmsgChannel create(DeviceBridge bridge, ReactiveOptions options, String name, boolean service) {
        RpmsgDevice device = bridge.device();
        int rx = device.rxBuffers();
        if (rx > 0 && options.receiveBound() >= rx) {
            throw new IllegalArgumentException("receiveBound=" + options.receiveBound() + " must be below the "
                    + rx + " RX buffers of " + device);
        }
        RpmsgChannel channel = new RpmsgChannel(bridge, options, name, service);
        channel.endpoint = bridge.createEndpoint(channel, name, channel.inbound);
        if (device.failure() != null) {
            channel.deviceStopped(); // stopped while we created it: the bridge may have missed this channel
        } else if (channel.endpoint().isBound()) {
            channel.bound();
        }
        return channel;
    }

    /** The service name. */
    public String name() {
        return name;
    }

    /** The local endpoint's address. */
    public int address() {
        return endpoint().address();
    }

    /** The remote address it sends to, or {@link RpmsgAddresses#ANY} while unbound. */
    public int destination() {
        return endpoint().destination();
    }

    /** The core endpoint underneath (for addresses and dumps; receiving and sending go through the channel). */
    public RpmsgEndpoint endpoint() {
        return Objects.requireNonNull(endpoint, "endpoint");
    }

    /** The largest payload one message carries. */
    public int maxPayload() {
        return bridge.device().maxPayload();
    }

    /** The options it was opened with. */
    public ReactiveOptions options() {
        return options;
    }

    /** The remote's messages (see the class doc for demand, lifetime, threads and the end). */
    public Flux<RpmsgMessage> receive() {
        return inbound.flux();
    }

    /** Sends each array as one message. */
    public RpmsgOutbound sendBytes(Publisher<byte[]> payloads) {
        return outbound(RpmsgAddresses.ANY, payloads, RpmsgChannel::encodeBytes);
    }

    /** Sends the remaining bytes of each buffer as one message (the buffer's position is left alone). */
    public RpmsgOutbound sendByteBuffers(Publisher<ByteBuffer> payloads) {
        return outbound(RpmsgAddresses.ANY, payloads, RpmsgChannel::encodeByteBuffer);
    }

    /** Zero-copy: each writer fills one TX buffer in place and says how long the message is. */
    public RpmsgOutbound sendWith(Publisher<? extends RpmsgWriter> writers) {
        return outbound(RpmsgAddresses.ANY, writers, RpmsgChannel::encodeWriter);
    }

    /**
     * Receive-side counters and gauges (held, copied and their bytes, high-water marks, drops, pause episodes,
     * pausing now): cheap, safe from any thread, for a metrics binder to poll.
     */
    public ChannelStats stats() {
        return inbound.stats();
    }

    /**
     * Closes the channel when subscribed: destroys the endpoint (NS destroy to the remote), completes
     * {@code receive()} releasing what was queued, and fails sends in progress with CHANNEL_CLOSED. The endpoint
     * is destroyed on the subscribing thread, which may wait for a TX buffer for the NS destroy.
     */
    public Mono<Void> close() {
        return Mono.fromRunnable(this::dispose).then(onClose());
    }

    /** Like {@link #close()}, now. Idempotent. */
    @Override
    public void dispose() {
        if (!closing.compareAndSet(false, true)) {
            inbound.terminate(null, true); // after a remote close: release what nobody read
            return;
        }
        sendClosed = true;
        try {
            RpmsgEndpoint ep = endpoint;
            if (ep != null) {
                ep.destroy();
            }
        } finally {
            finish(null);
        }
    }

    @Override
    public boolean isDisposed() {
        return closing.get();
    }

    /** Completes once the channel is closed, whoever closed it (this side, the remote, or a stopped device). */
    public Mono<Void> onClose() {
        return closed.asMono();
    }

    // ---------------------------------------------------------------- from the inbound and the bridge

    DeviceBridge bridge() {
        return bridge;
    }

    /** Completes {@link RpmsgReactive#open}. */
    Mono<RpmsgChannel> whenBound() {
        return bound.asMono();
    }

    void bound() {
        bound.tryEmitValue(this);
    }

    /** Serving thread: the remote destroyed its endpoint. Receive ends after what is queued. */
    void remoteClosed() {
        sendClosed = true;
        inbound.terminate(null, false);
        bound.tryEmitError(closedError("the remote destroyed its endpoint"));
        if (closing.compareAndSet(false, true)) {
            // Not on the serving thread: the NS destroy may wait for a TX buffer.
            Schedulers.boundedElastic().schedule(() -> {
                try {
                    endpoint().destroy();
                } finally {
                    bridge.forget(this);
                    bridge.wakeTxWaiters();
                    closed.tryEmitEmpty();
                }
            });
        }
    }

    /** The device stopped: every subscriber gets its typed error. */
    void deviceStopped() {
        RpmsgException why = bridge.device().failure();
        if (why == null) {
            return;
        }
        sendClosed = true;
        closing.set(true);
        RpmsgEndpoint ep = endpoint;
        if (ep != null) {
            ep.destroy(); // the device no longer sends anything: this only unregisters it
        }
        finish(why);
    }

    private void finish(@Nullable RpmsgException why) {
        inbound.terminate(why, true);
        bound.tryEmitError(why != null ? why : closedError("it was closed"));
        bridge.forget(this);
        bridge.wakeTxWaiters();
        closed.tryEmitEmpty();
    }

    private RpmsgReactiveException closedError(String why) {
        return new RpmsgReactiveException(RpmsgReactiveException.Reason.CHANNEL_CLOSED, this + ": " + why);
    }

    // ---------------------------------------------------------------- sending (SendMono)

    <T> RpmsgOutbound outbound(int dst, Publisher<? extends T> source, SendMono.Encoder<? super T> encoder) {
        Objects.requireNonNull(source, "source");
        return new Outbound(new SendMono<>(this, dst, source, encoder, options.sendPrefetch()));
    }

    /**
     * Sends that found no TX buffer, in the order they found none: a later send may not take a buffer while
     * an earlier one waits, so separate sends on one channel keep their order (as writes on a connection).
     * Changed under its own monitor; an {@code ArrayDeque}, so joining allocates nothing once it has grown.
     * Only a send itself joins or leaves, from its serialized drain loop.
     */
    private final ArrayDeque<SendMono.SendSubscriber<?>> txLine = new ArrayDeque<>();
    /** The first of {@link #txLine}, or null when it is empty: written under its monitor, read without it. */
    private volatile SendMono.@Nullable SendSubscriber<?> txLineHead;

    /** True if {@code sender} may take a TX buffer now: no earlier send waits for one. */
    boolean mayTakeTx(SendMono.SendSubscriber<?> sender) {
        SendMono.SendSubscriber<?> head = txLineHead;
        return head == null || head == sender;
    }

    /** {@code sender} waits for a TX buffer: it joins the line (once). */
    void joinTxLine(SendMono.SendSubscriber<?> sender) {
        synchronized (txLine) {
            if (!txLine.contains(sender)) {
                txLine.addLast(sender);
                txLineHead = txLine.peekFirst();
            }
        }
    }

    /** {@code sender} has nothing more to send now (or ended): the next in line may go. */
    void leaveTxLine(SendMono.SendSubscriber<?> sender) {
        if (txLineHead == null) {
            // Nobody waits: the common case, once per drain pass. A sender in line keeps it non-empty (only
            // the sender itself takes it out), so it is not in line either.
            return;
        }
        SendMono.SendSubscriber<?> next;
        synchronized (txLine) {
            if (!txLine.removeFirstOccurrence(sender)) {
                return;
            }
            next = txLine.peekFirst();
            txLineHead = next;
        }
        if (next != null) {
            next.txAvailable();
        }
    }

    /**
     * Sends up to {@code max} messages from {@code writer} as one batch (as many as TX buffers are free now), to
     * {@code dst} or, for ANY, the destination; 0 when none is free.
     */
    int trySendBatch(int dst, RpmsgBatchWriter writer, int max) {
        checkSendOpen();
        RpmsgEndpoint ep = endpoint();
        return dst == RpmsgAddresses.ANY ? ep.trySendBatch(writer, max) : ep.trySendBatchTo(dst, writer, max);
    }

    /** Throws CHANNEL_CLOSED once sending is closed (also between filling a TX buffer and sending it). */
    void checkSendOpen() {
        if (sendClosed) {
            throw closedError("it was closed");
        }
    }

    /** The typed error a send fails with: the device's failure, CHANNEL_CLOSED, or the error itself. */
    RuntimeException sendError(RuntimeException e) {
        RpmsgException failure = bridge.device().failure();
        if (failure != null) {
            return failure;
        }
        if (e instanceof RpmsgException re && re.reason() == RpmsgException.Reason.ENDPOINT_DESTROYED) {
            return new RpmsgReactiveException(RpmsgReactiveException.Reason.CHANNEL_CLOSED, this + " was closed", e);
        }
        return e;
    }

    static int encodeBytes(byte[] bytes, MemorySegment payload) {
        checkFits(bytes.length, payload);
        MemorySegment.copy(bytes, 0, payload, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return bytes.length;
    }

    private static int encodeByteBuffer(ByteBuffer buffer, MemorySegment payload) {
        int length = buffer.remaining();
        checkFits(length, payload);
        payload.asSlice(0, length).copyFrom(MemorySegment.ofBuffer(buffer));
        return length;
    }

    private static int encodeWriter(RpmsgWriter writer, MemorySegment payload) {
        return writer.write(payload);
    }

    private static void checkFits(long length, MemorySegment payload) {
        if (length > payload.byteSize()) {
            throw new RpmsgException(RpmsgException.Reason.PAYLOAD_TOO_LARGE, "a payload of " + length
                    + " bytes does not fit a TX buffer (at most " + payload.byteSize() + ")");
        }
    }

    @Override
    public String toString() {
        RpmsgEndpoint ep = endpoint;
        return "channel '" + name + "'" + (ep == null ? "" : " " + RpmsgAddresses.format(ep.address()) + " -> "
                + RpmsgAddresses.format(ep.destination()));
    }

    /** {@link RpmsgOutbound} over one {@link SendMono}. */
    private record Outbound(Mono<Void> mono) implements RpmsgOutbound {
        @Override
        public Mono<Void> then() {
            return mono;
        }

        @Override
        public void subscribe(Subscriber<? super Void> s) {
            mono.subscribe(s);
        }
    }
}
