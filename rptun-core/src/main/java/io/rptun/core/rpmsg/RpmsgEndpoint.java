package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgException.Reason;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One rpmsg endpoint: a local address ({@link #address()}), an optional service name, a destination
 * ({@link #destination()}, ANY until bound) and the {@link RpmsgListener} its messages go to.
 * Created by {@link RpmsgDevice#createEndpoint}; thread-safe.
 *
 * <h2>Binding</h2>
 * A named endpoint created with destination ANY is announced to the remote (NS create) and becomes
 * bound when the remote's name service answers, when the remote's announcement of the same name arrives,
 * or when a first message arrives (its source is adopted). {@link #awaitBound}, {@link #isBound()} and
 * {@link RpmsgListener#onBound} tell the application; nobody spins.
 *
 * <h2>Sending</h2>
 * {@link #send} waits up to the device's send timeout for a TX buffer; {@link #trySend} returns false at
 * once instead. A payload larger than {@link #maxPayload()} is refused before any ring is touched.
 * {@link #txBuffer()} lends a TX buffer to fill in place (zero-copy); {@link #trySendWith} does the same
 * through a callback, with no handle object, for senders that must not allocate per message.
 * Sends are lock-free in the common case and may come from any thread, including a callback.
 */
public final class RpmsgEndpoint implements AutoCloseable {

    private final RpmsgDevice device;
    /** The device's TX path: every send goes straight to it. */
    private final RpmsgSender sender;
    private final String name;
    private final int address;
    private final RpmsgListener listener;
    private final boolean destinationGiven;
    private volatile int destination;
    private volatile boolean destroyed;
    private volatile boolean deliveryPaused;
    /**
     * Callbacks of this endpoint that threw, and sends from its callbacks that timed out waiting for a TX
     * buffer ({@link #callbackFailures()}). Written by the serving thread, read by anyone.
     */
    private final AtomicLong callbackFailures = new AtomicLong();
    /** How many times the destination changed since creation (written under this endpoint's monitor). */
    private volatile int destinationChanges;

    RpmsgEndpoint(RpmsgDevice device, String name, int address, int destination, boolean destinationGiven,
            RpmsgListener listener) {
        this.device = device;
        this.sender = device.sender();
        this.destinationGiven = destinationGiven;
        this.name = name;
        this.address = address;
        this.destination = destination;
        this.listener = listener;
    }

    /** The service name, "" for an unnamed endpoint. */
    public String name() {
        return name;
    }

    /** The local address ({@code src} of what it sends). */
    public int address() {
        return address;
    }

    /** The remote address it sends to, or {@link RpmsgAddresses#ANY} while unbound. */
    public int destination() {
        return destination;
    }

    /** True when it has a destination and is not destroyed. */
    public boolean isBound() {
        return !destroyed && destination != RpmsgAddresses.ANY;
    }

    /** True once destroyed (locally, or by the device closing). */
    public boolean isDestroyed() {
        return destroyed;
    }

    /**
     * Stops delivery to this endpoint (flow control for a consumer that is behind, as the reactive layer
     * does without demand). The next message for it stays in the RX ring, unread and not copied, and so
     * does everything the peer sends behind it, for every endpoint of the device: the rings are shared
     * and arrival order is kept. The peer then runs out of TX buffers and waits. Pause only for a short
     * while, or bound what a paused endpoint holds so that the others keep flowing.
     */
    public void pauseDelivery() {
        deliveryPaused = true;
    }

    /** Resumes delivery and wakes the serving thread (through {@link RpmsgDevice#setWakeup}). */
    public void resumeDelivery() {
        if (deliveryPaused) {
            deliveryPaused = false;
            device.wakeServing();
        }
    }

    /** True between {@link #pauseDelivery()} and {@link #resumeDelivery()}. */
    public boolean isDeliveryPaused() {
        return deliveryPaused;
    }

    /**
     * How many of this endpoint's callbacks threw, plus how many sends from inside them timed out waiting
     * for a TX buffer (counted once even when the listener lets the timeout escape). Neither stops the
     * device: the message is dropped, the first failure is logged (WARN, with the endpoint's name), and
     * serving goes on. 0 for an endpoint whose listener behaves.
     */
    public long callbackFailures() {
        return callbackFailures.get();
    }

    /** Counts one failure; true if it is the first (the one that gets logged at WARN). */
    boolean countCallbackFailure() {
        return callbackFailures.getAndIncrement() == 0;
    }

    /** The device it belongs to. */
    public RpmsgDevice device() {
        return device;
    }

    /** The largest payload one message carries. */
    public int maxPayload() {
        return device.maxPayload();
    }

    RpmsgListener listener() {
        return listener;
    }


    /** True when the application chose the destination at creation (OpenAMP: no NS create then). */
    boolean destinationGiven() {
        return destinationGiven;
    }

    /**
     * Waits until bound. It may return just before {@link RpmsgListener#onBound} runs on the serving thread.
     *
     * @return true when bound, false if {@code timeout} passed first
     * @throws RpmsgException ENDPOINT_DESTROYED, PEER_LOST, DEVICE_BROKEN or DEVICE_CLOSED when it never can
     *     be; INTERRUPTED
     */
    public boolean awaitBound(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                if (destroyed) {
                    throw destroyedError();
                }
                if (isBound()) {
                    return true;
                }
                device.checkAlive();
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                try {
                    long ms = Math.max(1, Math.min(remaining / 1_000_000, 100));
                    wait(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RpmsgException(Reason.INTERRUPTED, "interrupted waiting for " + this + " to be bound");
                }
            }
        }
    }

    /** Sends {@code data} to the destination, waiting up to the send timeout for a TX buffer. */
    public void send(byte[] data) {
        sender.send(this, destinationOrThrow(), MemorySegment.ofArray(data), sender.sendTimeoutNanos());
    }

    /** Sends {@code length} bytes of {@code data} from {@code offset}. */
    public void send(byte[] data, int offset, int length) {
        sender.send(this, destinationOrThrow(), MemorySegment.ofArray(data).asSlice(offset, length),
                sender.sendTimeoutNanos());
    }

    /** Sends the bytes of {@code data} (any segment: heap, native, mapped). */
    public void send(MemorySegment data) {
        sender.send(this, destinationOrThrow(), data, sender.sendTimeoutNanos());
    }

    /** Sends {@code data}, waiting up to {@code timeout} for a TX buffer. */
    public void send(MemorySegment data, Duration timeout) {
        sender.send(this, destinationOrThrow(), data, timeout.toNanos());
    }

    /** Sends {@code data} to {@code dst} instead of the destination (OpenAMP's {@code rpmsg_sendto}). */
    public void sendTo(int dst, byte[] data) {
        sender.send(this, dst, MemorySegment.ofArray(data), sender.sendTimeoutNanos());
    }

    /** Sends the bytes of {@code data} to {@code dst}. */
    public void sendTo(int dst, MemorySegment data) {
        sender.send(this, dst, data, sender.sendTimeoutNanos());
    }

    /**
     * Sends {@code data} if a TX buffer is free right now.
     *
     * @return false, having sent nothing, when none is
     */
    public boolean trySend(byte[] data) {
        return sender.send(this, destinationOrThrow(), MemorySegment.ofArray(data), RpmsgSender.TRY);
    }

    /** Like {@link #trySend(byte[])} for a segment. */
    public boolean trySend(MemorySegment data) {
        return sender.send(this, destinationOrThrow(), data, RpmsgSender.TRY);
    }

    /** Like {@link #trySend(byte[])}, to {@code dst}. */
    public boolean trySendTo(int dst, byte[] data) {
        return sender.send(this, dst, MemorySegment.ofArray(data), RpmsgSender.TRY);
    }

    /**
     * Zero-copy without a handle: if a TX buffer is free right now, {@code writer} fills its payload in place
     * with {@code item} and the buffer goes to the destination. Unlike {@link #tryTxBuffer()} nothing is
     * allocated per message, as long as {@code writer} is not a new lambda each time (pass the item, do not
     * capture it).
     *
     * @return false when no TX buffer is free: the writer was not called and nothing was sent
     * @throws RpmsgException NOT_BOUND, ENDPOINT_DESTROYED, NOT_READY, DEVICE_BROKEN, PEER_LOST, DEVICE_CLOSED
     *     as {@link #send} gives them; PAYLOAD_TOO_LARGE when the writer returns more than the payload's size.
     *     The TX buffer is back in the pool whenever this throws.
     * @throws IllegalArgumentException when the writer returns a negative length (the buffer is back)
     * @throws RuntimeException whatever the writer throws, after the buffer went back to the pool
     */
    public <T> boolean trySendWith(T item, RpmsgPayloadWriter<? super T> writer) {
        Objects.requireNonNull(writer, "writer");
        return sender.trySendWith(this, destinationOrThrow(), item, writer);
    }

    /** Like {@link #trySendWith}, to {@code dst} instead of the destination. */
    public <T> boolean trySendWithTo(int dst, T item, RpmsgPayloadWriter<? super T> writer) {
        Objects.requireNonNull(writer, "writer");
        return sender.trySendWith(this, dst, item, writer);
    }

    /**
     * Sends a batch to the destination, zero-copy and published at once: while TX buffers are free right now
     * (at most {@code max}), {@code writer} fills the next one's payload in place, and every message it wrote
     * reaches the ring with one index store and at most one kick. This is what makes a stream of small
     * messages cheap: the peer's indices and the kick are paid once per batch instead of once per message.
     * Order is kept: the messages leave in the order written, after any this thread sent before.
     *
     * @param max the most messages to send, 0 or more
     * @return how many were sent: fewer than {@code max} when the TX buffers ran out or the writer said
     *     {@link RpmsgBatchWriter#NO_MORE}; 0 when none was free (the writer was not called)
     * @throws RpmsgException as {@link #trySendWith} gives them. When the writer throws or returns a bad
     *     length, the messages before it are sent, that buffer is back in the pool, and the exception leaves.
     * @throws IllegalArgumentException when {@code max} is negative, or the writer returns a negative length
     *     other than {@code NO_MORE}
     */
    public int trySendBatch(RpmsgBatchWriter writer, int max) {
        Objects.requireNonNull(writer, "writer");
        return sender.sendBatch(this, destinationOrThrow(), writer, max);
    }

    /** Like {@link #trySendBatch}, to {@code dst} instead of the destination. */
    public int trySendBatchTo(int dst, RpmsgBatchWriter writer, int max) {
        Objects.requireNonNull(writer, "writer");
        return sender.sendBatch(this, dst, writer, max);
    }

    /**
     * Copies {@code messages} from {@code from} on into TX buffers and sends them as one batch
     * ({@link #trySendBatch}), as many as TX buffers are free right now.
     *
     * @return how many were sent (the next to send is {@code from} plus that)
     * @throws RpmsgException PAYLOAD_TOO_LARGE, before anything is sent, when one of them is larger than
     *     {@link #maxPayload()}; the others as {@link #trySendBatch}
     */
    public int trySendAll(List<? extends MemorySegment> messages, int from) {
        Objects.checkIndex(from, messages.size() + 1);
        int max = maxPayload();
        for (int i = from; i < messages.size(); i++) {
            if (messages.get(i).byteSize() > max) {
                throw new RpmsgException(RpmsgException.Reason.PAYLOAD_TOO_LARGE, name + ": message " + i + " of "
                        + messages.get(i).byteSize() + " bytes does not fit a TX buffer (at most " + max + ")");
            }
        }
        int[] next = {from};
        return trySendBatch(payload -> {
            if (next[0] == messages.size()) {
                return RpmsgBatchWriter.NO_MORE;
            }
            MemorySegment m = messages.get(next[0]);
            MemorySegment.copy(m, 0, payload, 0, m.byteSize());
            next[0]++;
            return (int) m.byteSize();
        }, messages.size() - from);
    }

    /** A TX buffer to fill in place (zero-copy), waiting up to the send timeout for one. */
    public RpmsgTxBuffer txBuffer() {
        return txBuffer(Duration.ofNanos(sender.sendTimeoutNanos()));
    }

    /** A TX buffer to fill in place, waiting up to {@code timeout}. */
    public RpmsgTxBuffer txBuffer(Duration timeout) {
        RpmsgTxBuffer buffer = sender.txBuffer(this, timeout.toNanos());
        if (buffer == null) {
            throw new IllegalStateException("no buffer and no error");
        }
        return buffer;
    }

    /** A TX buffer to fill in place, or null if none is free right now. */
    public @Nullable RpmsgTxBuffer tryTxBuffer() {
        return sender.txBuffer(this, RpmsgSender.TRY);
    }

    /**
     * Destroys the endpoint: frees its address, sends an NS destroy for a named endpoint when the name
     * service is on, and returns only when none of its callbacks is running, so none runs afterwards
     * (called from its own callback, that callback is the only one still on the stack). Idempotent.
     */
    public void destroy() {
        device.destroy(this);
        if (deliveryPaused) {
            device.wakeServing();
        }
    }

    /** {@link #destroy()}. */
    @Override
    public void close() {
        destroy();
    }

    private int destinationOrThrow() {
        int dst = destination;
        if (dst == RpmsgAddresses.ANY) {
            if (destroyed) {
                throw destroyedError();
            }
            // A lost, broken or closed device unbinds every endpoint: say why, not just "not bound".
            device.checkAlive();
            throw new RpmsgException(Reason.NOT_BOUND, this + " has no destination yet (wait with awaitBound, or use"
                    + " sendTo)");
        }
        return dst;
    }

    RpmsgException destroyedError() {
        return new RpmsgException(Reason.ENDPOINT_DESTROYED, this + " was destroyed");
    }

    /** Binds or unbinds; returns true if the bound state changed. Wakes {@link #awaitBound} waiters. */
    synchronized boolean setDestination(int value) {
        int old = destination;
        destination = value;
        destinationChanges++;
        notifyAll();
        return (old == RpmsgAddresses.ANY) != (value == RpmsgAddresses.ANY);
    }

    /** Binds to {@code value} if still unbound; true if it did. Wakes {@link #awaitBound} waiters. */
    synchronized boolean adopt(int value) {
        if (destination != RpmsgAddresses.ANY || destroyed) {
            return false;
        }
        destination = value;
        destinationChanges++;
        notifyAll();
        return true;
    }

    int destinationChanges() {
        return destinationChanges;
    }

    synchronized void markDestroyed() {
        destroyed = true;
        notifyAll();
    }

    /** Wakes {@link #awaitBound} waiters so they look at the device's state. */
    synchronized void wakeWaiters() {
        notifyAll();
    }

    @Override
    public String toString() {
        return "endpoint '" + name + "' " + RpmsgAddresses.format(address) + " -> "
                + RpmsgAddresses.format(destination) + (destroyed ? " (destroyed)" : "");
    }
}
