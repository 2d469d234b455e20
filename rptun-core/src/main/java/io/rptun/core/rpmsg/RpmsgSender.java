package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgDevice.Role;
import io.rptun.core.rpmsg.RpmsgDevice.State;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.virtio.VirtqueuePort;
import io.rptun.core.virtio.VringBuffer;
import io.rptun.core.virtio.VringException;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The TX path of a device, kept out of {@link RpmsgDevice}: every way a message leaves this side.
 * <ul>
 *   <li>A copying send ({@link #send}) and its fast path ({@code sendOwned}): one hold of the TX ring takes a
 *       free buffer, fills it and publishes it; else the queued path takes a buffer from the {@link TxPool}
 *       (waiting for one if allowed), copies, stages and flushes.</li>
 *   <li>Zero-copy: a lent buffer ({@link #txBuffer}, then {@link #sendFilled} or {@link #releaseTx}), and a
 *       buffer filled in place by a writer with no handle ({@link #trySendWith}, with its held fast path).</li>
 *   <li>Batches ({@link #sendBatch}): held for the whole batch when the ring is free, else queued one by one
 *       and published with one flush.</li>
 *   <li>The sent-message and sent-byte counters for {@link RpmsgDevice#stats()}.</li>
 * </ul>
 * The name service sends its messages through the queued path here ({@link #stageTx}, {@link #flushTx}).
 *
 * <p>Threads: any thread may send, including a callback on the serving thread (whose wait for a buffer keeps
 * serving, see {@link TxWait}); nothing here takes a lock while TX buffers are free, and the fast paths
 * allocate nothing. {@code heldBytes} is written only by the TX ring's holder.
 */
final class RpmsgSender {
    /** A timeout that means: do not wait, take a buffer only if one is free now. */
    static final long TRY = -1;
    private static final int HELD_SENT = 1;
    private static final int HELD_NONE_FREE = 0;
    private static final int HELD_NOT_TAKEN = -1;
    private static final RpmsgPayloadWriter<RpmsgBatchWriter> BATCH_WRITE = RpmsgBatchWriter::writeNext;

    private final RpmsgDevice device;
    private final DeviceState st;
    private final Role role;
    private final String name;
    private final long sendTimeoutNanos;
    private final DeviceHooks hooks;
    private final TxPool pool;
    private final TxWait txWait;

    private final LongAdder sent = new LongAdder();
    /** Payload bytes sent through the queued path (the held paths count theirs in {@link #heldBytes}). */
    private final LongAdder sentBytes = new LongAdder();
    /**
     * Payload bytes sent by threads holding the TX ring (the copying fast path and batches): a plain field,
     * written only by the ring's holder (holds are ordered by the port's atomic hand-over), read racily.
     */
    private long heldBytes;

    RpmsgSender(RpmsgDevice device, DeviceState st, DeviceHooks hooks, TxPool pool, TxWait txWait,
            long sendTimeoutNanos) {
        this.device = device;
        this.st = st;
        this.role = device.role();
        this.name = device.options().name();
        this.sendTimeoutNanos = sendTimeoutNanos;
        this.hooks = hooks;
        this.pool = pool;
        this.txWait = txWait;
    }

    long sendTimeoutNanos() {
        return sendTimeoutNanos;
    }

    /** Messages sent through the queued path (the held paths are counted by the TX port). */
    long queuedSends() {
        return sent.sum();
    }

    /** Payload bytes sent, all paths. */
    long sentBytes() {
        return sentBytes.sum() + heldBytes;
    }

    boolean send(RpmsgEndpoint ep, int dst, MemorySegment data, long timeoutNanos) {
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        RpmsgLink l = st.readyLink();
        if (dst == RpmsgAddresses.ANY) {
            throw new RpmsgException(Reason.NOT_BOUND, "send from " + ep + " to ANY");
        }
        long length = data.byteSize();
        if (length > l.maxPayload()) {
            throw tooLarge(length, l.maxPayload());
        }
        if (sendOwned(l, ep, dst, data, length)) {
            return true;
        }
        VringBuffer b = pool.acquireTx(l, timeoutNanos);
        if (b == null) {
            return false;
        }
        if (ep.isDestroyed()) {
            // Destroyed while this send waited for the buffer: its address may already be someone else's.
            l.tx().release(b);
            hooks.fireTxAvailable();
            throw ep.destroyedError();
        }
        if (RpmsgHeaderLayout.SIZE + length > b.capacity()) {
            l.tx().release(b);
            throw tooLarge(length, b.capacity() - RpmsgHeaderLayout.SIZE);
        }
        MemorySegment.copy(data, 0, b.segment(), RpmsgHeaderLayout.SIZE, length);
        submitTx(l, b, ep.address(), dst, (int) length);
        return true;
    }

    /**
     * The fast path of a copying send: one hold of the TX ring takes a free buffer, fills it and publishes it
     * (no queue operation, no read-modify-write but the ring's own). False, holding nothing, when no buffer
     * is free right now or another thread holds the ring: then the queued path does the rest (waiting,
     * growing the host's pool, the remote's check of short buffers).
     */
    private boolean sendOwned(RpmsgLink l, RpmsgEndpoint ep, int dst, MemorySegment data, long length) {
        VringBuffer b;
        try {
            b = l.tx().acquireOwned();
        } catch (VringException e) {
            throw device.broken(e);
        }
        if (b == null) {
            return false;
        }
        try {
            if (b.capacity() < l.txBufferSize() || RpmsgHeaderLayout.SIZE + length > b.capacity()) {
                l.tx().releaseOwned(b); // the queued path deals with a short buffer (remote) or says why
                return false;
            }
            MemorySegment.copy(data, 0, b.segment(), RpmsgHeaderLayout.SIZE, length);
            frame(b, ep.address(), dst, (int) length);
            heldBytes += length;
        } catch (RuntimeException | Error e) {
            l.tx().releaseOwned(b);
            throw e;
        }
        try {
            l.tx().submitOwned(b);
        } catch (VringException e) {
            throw device.broken(e);
        }
        return true;
    }

    @Nullable RpmsgTxBuffer txBuffer(RpmsgEndpoint ep, long timeoutNanos) {
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        RpmsgLink l = st.readyLink();
        VringBuffer b = pool.acquireTx(l, timeoutNanos);
        if (b == null) {
            return null;
        }
        long room = b.capacity() - RpmsgHeaderLayout.SIZE;
        if (room < 0) {
            l.tx().release(b);
            throw tooLarge(0, room);
        }
        return new RpmsgTxBuffer(ep, b, (int) Math.min(room, l.maxPayload()));
    }

    void sendFilled(RpmsgEndpoint ep, VringBuffer buffer, int dst, int length) {
        RpmsgLink l = Objects.requireNonNull(st.link());
        RpmsgException refused = null;
        if (ep.isDestroyed()) {
            refused = ep.destroyedError();
        } else if (st.state() != State.READY) {
            refused = st.unusable(); // before NOT_BOUND: a lost peer unbinds every endpoint, and should say so
        } else if (dst == RpmsgAddresses.ANY) {
            refused = new RpmsgException(Reason.NOT_BOUND, ep + " has no destination yet");
        }
        if (refused != null) {
            l.tx().release(buffer);
            hooks.fireTxAvailable();
            throw refused;
        }
        submitTx(l, buffer, ep.address(), dst, length);
    }

    /**
     * {@link RpmsgEndpoint#trySendWith}: takes a TX buffer if one is free now, lets {@code writer} fill its
     * payload in place and sends it, with no {@link RpmsgTxBuffer} handle. Once the buffer is taken, whatever
     * goes wrong (the writer throws or returns a bad length, the endpoint or the device went away while it
     * wrote) puts it back in the pool and tells the TX-available listeners before the exception leaves.
     */
    <T> boolean trySendWith(RpmsgEndpoint ep, int dst, T item, RpmsgPayloadWriter<? super T> writer) {
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        RpmsgLink l = st.readyLink();
        if (dst == RpmsgAddresses.ANY) {
            throw new RpmsgException(Reason.NOT_BOUND, "send from " + ep + " to ANY");
        }
        int held = trySendWithHeld(l, ep, dst, item, writer);
        if (held != HELD_NOT_TAKEN) {
            return held == HELD_SENT;
        }
        VringBuffer b = pool.acquireTx(l, TRY);
        if (b == null) {
            return false;
        }
        int length;
        try {
            length = writeWith(l, ep, b, item, writer);
        } catch (Throwable e) {
            l.tx().release(b);
            hooks.fireTxAvailable();
            throw e;
        }
        submitTx(l, b, ep.address(), dst, length);
        return true;
    }

    /**
     * The fast path of {@link #trySendWith}, as {@link #sendOwned} is of a copying send: one hold of the TX ring
     * takes a free buffer, lets the writer fill it and publishes it. {@code HELD_NOT_TAKEN}, holding nothing,
     * when another thread holds the ring or the buffer is a remote's short one (the queued path deals with
     * both); {@code HELD_NONE_FREE} when no buffer is free at all.
     */
    private <T> int trySendWithHeld(RpmsgLink l, RpmsgEndpoint ep, int dst, T item, RpmsgPayloadWriter<? super T> writer) {
        VirtqueuePort tx = l.tx();
        boolean gaveBack = false;
        try {
            if (!tx.tryHold()) {
                return HELD_NOT_TAKEN;
            }
            @Nullable VringBuffer b = null;
            try {
                b = takeHeldOrGrow(l);
                if (b == null) {
                    return HELD_NONE_FREE;
                }
                if (b.capacity() < l.txBufferSize()) {
                    VringBuffer shortOne = b;
                    b = null;
                    tx.ungetHeld(shortOne);
                    return HELD_NOT_TAKEN;
                }
                int length = writeWith(l, ep, b, item, writer);
                VringBuffer filled = b;
                b = null;
                putFramed(tx, filled, ep.address(), dst, length);
                return HELD_SENT;
            } catch (Throwable e) {
                if (b != null) {
                    tx.ungetHeld(b);
                    gaveBack = true;
                }
                throw e;
            } finally {
                tx.releaseHold();
            }
        } catch (VringException e) {
            throw device.broken(e);
        } finally {
            if (gaveBack) {
                hooks.fireTxAvailable();
            }
        }
    }

    /** A TX buffer's payload view, made once per buffer and kept with its handle. */
    private record PayloadView(MemorySegment buffer, int capacity, MemorySegment payload) {
    }

    /**
     * The payload area of {@code b} ({@code capacity} bytes after the header), sliced once per buffer and kept
     * as the handle's attachment, so a send fills a buffer in place without allocating. A device-side handle
     * is rebound to other buffers: the view is used only for the very segment it was made from.
     */
    private static MemorySegment payloadView(VringBuffer b, int capacity) {
        MemorySegment segment = b.segment();
        if (b.attachment() instanceof PayloadView v && v.buffer() == segment && v.capacity() == capacity) {
            return v.payload();
        }
        MemorySegment payload = segment.asSlice(RpmsgHeaderLayout.SIZE, capacity);
        b.attach(new PayloadView(segment, capacity, payload));
        return payload;
    }

    private <T> int writeWith(RpmsgLink l, RpmsgEndpoint ep, VringBuffer b, T item, RpmsgPayloadWriter<? super T> writer) {
        return writeWith(l, ep, b, item, writer, false);
    }

    /**
     * The writer's message in {@code b}: its length, checked (or, with {@code noMoreAllowed}, the batch writer's
     * NO_MORE); throws, leaving {@code b} to the caller, when the writer fails or the endpoint or device went
     * away while it wrote.
     */
    private <T> int writeWith(RpmsgLink l, RpmsgEndpoint ep, VringBuffer b, T item, RpmsgPayloadWriter<? super T> writer,
            boolean noMoreAllowed) {
        long room = b.capacity() - RpmsgHeaderLayout.SIZE;
        if (room < 0) {
            throw tooLarge(0, room);
        }
        int capacity = (int) Math.min(room, l.maxPayload());
        // The endpoint keeps one payload view per TX buffer: no slice (no allocation) per message.
        int length = writer.write(item, payloadView(b, capacity));
        if (noMoreAllowed && length == RpmsgBatchWriter.NO_MORE) {
            return length;
        }
        if (length < 0) {
            throw new IllegalArgumentException((noMoreAllowed ? "a batch writer" : "a payload writer")
                    + " returned length=" + length);
        }
        if (length > capacity) {
            throw tooLarge(length, capacity);
        }
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        if (st.state() != State.READY) {
            throw st.unusable();
        }
        return length;
    }

    /**
     * {@link RpmsgEndpoint#trySendBatch}: up to {@code max} messages from {@code writer}, as many as TX buffers
     * are free right now, published together. With the ring free, this thread holds it for the whole batch:
     * each message costs a buffer from the holder's own pool, the writer, the header and a ring slot, and the
     * batch one index store and at most one kick. With another thread holding the ring, the messages queue one
     * by one and go out with one flush.
     */
    int sendBatch(RpmsgEndpoint ep, int dst, RpmsgBatchWriter writer, int max) {
        if (ep.isDestroyed()) {
            throw ep.destroyedError();
        }
        RpmsgLink l = st.readyLink();
        if (dst == RpmsgAddresses.ANY) {
            throw new RpmsgException(Reason.NOT_BOUND, "send from " + ep + " to ANY");
        }
        if (max < 0) {
            throw new IllegalArgumentException("max=" + max);
        }
        if (max == 0) {
            return 0;
        }
        VirtqueuePort tx = l.tx();
        boolean held;
        try {
            held = tx.tryHold();
        } catch (VringException e) {
            throw device.broken(e);
        }
        if (!held) {
            return sendBatchQueued(l, ep, dst, writer, max);
        }
        int n = sendBatchHeld(l, ep, dst, writer, max);
        if (n < 0) {
            // A remote found a buffer shorter than the negotiated size: the queued path gives it back and says so.
            n = -n - 1;
            return n + sendBatchQueued(l, ep, dst, writer, max - n);
        }
        return n;
    }

    /**
     * The batch while holding the ring (its sends are counted by the port, as {@code submitOwned}'s are): the
     * number sent, or {@code -(sent + 1)} when it stopped at a remote's short buffer, put back for the queued
     * path to deal with.
     */
    private int sendBatchHeld(RpmsgLink l, RpmsgEndpoint ep, int dst, RpmsgBatchWriter writer, int max) {
        VirtqueuePort tx = l.tx();
        int n = 0;
        boolean shortBuffer = false;
        boolean gaveBack = false;
        @Nullable VringBuffer b = null;
        try {
            try {
                while (n < max) {
                    b = takeHeldOrGrow(l);
                    if (b == null) {
                        break;
                    }
                    if (b.capacity() < l.txBufferSize()) {
                        VringBuffer shortOne = b;
                        b = null;
                        tx.ungetHeld(shortOne);
                        shortBuffer = true;
                        break;
                    }
                    int length = writeOne(l, ep, b, writer);
                    if (length == RpmsgBatchWriter.NO_MORE) {
                        VringBuffer unused = b;
                        b = null;
                        tx.ungetHeld(unused);
                        gaveBack = true;
                        break;
                    }
                    VringBuffer filled = b;
                    b = null;
                    putFramed(tx, filled, ep.address(), dst, length);
                    n++;
                }
            } catch (Throwable e) {
                if (b != null) {
                    tx.ungetHeld(b);
                    gaveBack = true;
                }
                throw e;
            } finally {
                tx.releaseHold();
            }
        } catch (VringException e) {
            throw device.broken(e);
        } finally {
            if (gaveBack) {
                hooks.fireTxAvailable();
            }
            txWait.signal(); // a sender that found the ring held meanwhile may sleep: the pool changed
        }
        return shortBuffer ? -n - 1 : n;
    }

    /** Another thread holds the ring: each message takes a buffer and queues, and one flush publishes them. */
    private int sendBatchQueued(RpmsgLink l, RpmsgEndpoint ep, int dst, RpmsgBatchWriter writer, int max) {
        int n = 0;
        try {
            while (n < max) {
                VringBuffer b = pool.acquireOnce(l);
                if (b == null) {
                    break;
                }
                int length;
                try {
                    length = writeOne(l, ep, b, writer);
                } catch (Throwable e) {
                    l.tx().release(b);
                    hooks.fireTxAvailable();
                    throw e;
                }
                if (length == RpmsgBatchWriter.NO_MORE) {
                    l.tx().release(b);
                    hooks.fireTxAvailable();
                    break;
                }
                stageTx(l, b, ep.address(), dst, length);
                n++;
            }
        } finally {
            if (n > 0) {
                flushTx(l);
            }
        }
        return n;
    }

    /** One message of a batch into {@code b}: as {@link #writeWith}, and NO_MORE when the writer has no more. */
    private int writeOne(RpmsgLink l, RpmsgEndpoint ep, VringBuffer b, RpmsgBatchWriter writer) {
        return writeWith(l, ep, b, writer, BATCH_WRITE, true);
    }

    void releaseTx(VringBuffer buffer) {
        Objects.requireNonNull(st.link()).tx().release(buffer);
        hooks.fireTxAvailable();
    }

    /** Writes the header and hands the buffer to the ring; a buffer the ring refuses goes back to the pool. */
    private void submitTx(RpmsgLink l, VringBuffer b, int src, int dst, int length) {
        stageTx(l, b, src, dst, length);
        flushTx(l);
    }

    /**
     * Writes the rpmsg header of a filled TX buffer and the length its descriptor (or used element) carries:
     * the driver's TX descriptors carry the whole buffer; the device's used.len says what it wrote.
     */
    private void frame(VringBuffer b, int src, int dst, int length) {
        RpmsgHeaderLayout.write(b.segment(), src, dst, length);
        b.length(role == Role.HOST ? (int) b.capacity() : RpmsgHeaderLayout.SIZE + length);
    }

    /**
     * While holding the TX ring: frames a filled buffer and puts it into the ring with the batch (counted by the
     * port, as {@code submitOwned}'s sends are; its bytes here).
     */
    private void putFramed(VirtqueuePort tx, VringBuffer b, int src, int dst, int length) {
        frame(b, src, dst, length);
        tx.putHeld(b);
        heldBytes += length;
    }

    /** While holding the TX ring: a free buffer, the host carving one more from the heap if none is; or null. */
    private @Nullable VringBuffer takeHeldOrGrow(RpmsgLink l) {
        VringBuffer b = l.tx().takeHeld();
        return b == null && role == Role.HOST ? pool.growTx(l) : b;
    }

    /** Writes the header and queues the buffer for the ring, in this order among all senders. */
    void stageTx(RpmsgLink l, VringBuffer b, int src, int dst, int length) {
        frame(b, src, dst, length);
        try {
            l.tx().stage(b);
        } catch (VringException e) {
            l.tx().release(b);
            throw device.broken(e);
        }
        sent.increment();
        sentBytes.add(length);
    }

    void flushTx(RpmsgLink l) {
        try {
            l.tx().flush();
        } catch (VringException e) {
            throw device.broken(e);
        }
    }

    /** The exception for a payload of {@code length} bytes where at most {@code max} fit. */
    RpmsgException tooLarge(long length, long max) {
        return new RpmsgException(Reason.PAYLOAD_TOO_LARGE, name + ": a payload of " + length + " bytes does not fit"
                + " a TX buffer (at most " + max + " after the 16-byte header)");
    }
}
