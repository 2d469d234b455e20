package io.rptun.core.rpmsg;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.virtio.VringBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * A received message: its addresses and a zero-copy view of its payload in the RX buffer.
 *
 * <h2>Lifetime</h2>
 * A message is valid only while the {@link RpmsgListener#onMessage} it was passed to runs; then its
 * buffer goes back to the peer. To keep it longer, call {@link #hold()} inside the callback and
 * {@link #release()} it later, from any thread. Every accessor of a message that is no longer valid
 * (the callback returned without {@code hold}, or it was released) throws {@link IllegalStateException}:
 * the bytes may already hold someone else's message. The segment {@link #payload()} returns follows the
 * same rule but cannot check it: do not keep it.
 *
 * <p>Delivery allocates nothing in steady state: once a callback returned without taking a reference, the
 * device reuses the same object for the next message to the same device. So a reference kept past its
 * callback is caught (it throws) while the device is between deliveries, but one used <em>during</em> a
 * later delivery sees that later message, as a kept {@link #payload()} segment would. Keep messages only
 * through {@link #hold()}, {@link #retain()} or {@link #copy()}: a held message is never reused.
 *
 * <h2>Reference count</h2>
 * For layers that pass a message on (the reactive one hands it to a subscriber and may keep it queued),
 * {@code hold} is the first of any number of references: {@link #retain()} adds one while the message is
 * valid (inside its callback, or while any reference is left), {@link #release()} drops one, and the
 * buffer goes back to the peer when the last one is dropped. {@link #hold()} keeps its stricter
 * contract: inside the callback, once. {@link #copy()} is the way out of all of it: a message on the heap
 * that stays valid for good, whose {@code hold}, {@code retain} and {@code release} do nothing.
 *
 * <p>A held buffer is one RX buffer the peer cannot use: hold few, briefly.
 */
public final class RpmsgMessage {
    /** In its callback, no reference taken. A positive state is the number of references (held). */
    private static final int LIVE = 0;
    /** The buffer went back to the peer (or, for a copy, never: a copy stays LIVE). */
    private static final int DONE = -1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(RpmsgMessage.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final RpmsgDevice device;
    // Not final: the device reuses a message that was not held for the next delivery (see reuse()).
    private MemorySegment data;
    private long offset;
    private @Nullable VringBuffer buffer;
    private int src;
    private int dst;
    private int length;
    private final boolean copy;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;

    RpmsgMessage(RpmsgDevice device, MemorySegment data, long offset, @Nullable VringBuffer buffer, int src, int dst,
            int length) {
        this(device, data, offset, buffer, src, dst, length, false);
    }

    private RpmsgMessage(RpmsgDevice device, MemorySegment data, long offset, @Nullable VringBuffer buffer, int src,
            int dst, int length, boolean copy) {
        this.device = device;
        this.copy = copy;
        point(data, offset, buffer, src, dst, length);
    }

    /** The sender's address. */
    public int src() {
        check();
        return src;
    }

    /** The address it was sent to (this endpoint's). */
    public int dst() {
        check();
        return dst;
    }

    /** Payload bytes ({@code hdr.len}). */
    public int length() {
        check();
        return length;
    }

    /** The payload in the shared buffer, read-only: valid as long as this message is (see the class doc). */
    public MemorySegment payload() {
        check();
        return data.asSlice(offset, length).asReadOnly();
    }

    /** Payload byte {@code index}. */
    public byte getByte(int index) {
        check();
        checkIndex(index, 1);
        return data.get(ValueLayout.JAVA_BYTE, offset + index);
    }

    /** The little-endian u32 at payload byte {@code index}. */
    public int getIntLE(int index) {
        check();
        checkIndex(index, 4);
        return data.get(WireLayouts.LE_U32, offset + index);
    }

    /** Copies the payload into {@code dst} at {@code offset}; returns the number of bytes, {@link #length()}. */
    public int copyTo(byte[] dst, int offset) {
        check();
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, this.offset, dst, offset, length);
        return length;
    }

    /** A copy of the payload. */
    public byte[] toByteArray() {
        byte[] copy = new byte[length()];
        copyTo(copy, 0);
        return copy;
    }

    /** The payload decoded as UTF-8, up to the first NUL if there is one. */
    public String asString() {
        byte[] bytes = toByteArray();
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /**
     * Keeps the buffer after the callback returns (zero-copy receive); {@link #release()} gives it back.
     * Only inside the callback, once: the first reference (see the class doc). Does nothing on a
     * {@link #copy()}.
     *
     * @return this message
     * @throws IllegalStateException outside the callback, or if already held
     */
    public RpmsgMessage hold() {
        if (copy) {
            return this;
        }
        if (!STATE.compareAndSet(this, LIVE, 1)) {
            throw new IllegalStateException(isDone() ? "hold() after the callback returned: " + this
                    : "already held: " + this);
        }
        heldBuffer();
        return this;
    }

    /**
     * Adds a reference: inside the callback the first one is a {@link #hold()}; afterwards allowed while
     * any reference is left. Each needs its own {@link #release()}. From any thread. Does nothing on a
     * {@link #copy()}.
     *
     * @return this message
     * @throws IllegalStateException once the buffer went back to the peer
     */
    public RpmsgMessage retain() {
        if (copy) {
            return this;
        }
        while (true) {
            int s = (int) STATE.getVolatile(this);
            if (s == DONE) {
                throw new IllegalStateException("retain() of a message whose buffer went back to the peer: " + this);
            }
            if (STATE.compareAndSet(this, s, s + 1)) {
                if (s == LIVE) {
                    heldBuffer();
                }
                return this;
            }
        }
    }

    /**
     * Drops a reference taken by {@link #hold()} or {@link #retain()}; the last one gives the buffer back
     * to the peer. From any thread. Does nothing on a {@link #copy()}.
     *
     * @throws IllegalStateException if no reference is left (never held, or released already)
     */
    public void release() {
        if (copy) {
            return;
        }
        while (true) {
            int s = (int) STATE.getVolatile(this);
            if (s <= LIVE) {
                throw new IllegalStateException(s == DONE ? "released twice: " + this
                        : "release() of a message not held: " + this + " (it goes back by itself when the callback"
                                + " returns)");
            }
            int next = s == 1 ? DONE : s - 1;
            if (STATE.compareAndSet(this, s, next)) {
                if (next == DONE && buffer != null) {
                    device.hooks().heldBufferReleased();
                    device.returnRx(buffer);
                }
                return;
            }
        }
    }

    /**
     * A copy of this message on the heap (addresses and payload), valid for good: for keeping a message
     * without keeping an RX buffer from the peer. A copy's {@code hold}, {@code retain} and {@code release}
     * do nothing; {@code copy()} of a copy is the copy itself.
     *
     * @throws IllegalStateException if this message is no longer valid
     */
    public RpmsgMessage copy() {
        if (copy) {
            return this;
        }
        byte[] bytes = toByteArray();
        return new RpmsgMessage(device, MemorySegment.ofArray(bytes), 0, null, src, dst, bytes.length, true);
    }

    /** True for a {@link #copy()}: on the heap, always valid, not reference-counted. */
    public boolean isCopy() {
        return copy;
    }

    /** True while held or retained and not yet released (false for a copy). */
    public boolean isHeld() {
        return !copy && (int) STATE.getVolatile(this) > LIVE;
    }

    /** References left: 0 when not held, or for a copy. */
    public int refCount() {
        return copy ? 0 : Math.max(LIVE, (int) STATE.getVolatile(this));
    }

    private void heldBuffer() {
        if (buffer != null) {
            device.hooks().heldBufferTaken();
        }
    }

    /**
     * Called by the device for the next delivery, once this message's callback returned without a
     * reference taken ({@link #callbackReturned()} was true): points it at the next message and makes it
     * valid again, so steady-state delivery allocates nothing. A held message is never reused.
     */
    void reuse(MemorySegment data, long offset, @Nullable VringBuffer buffer, int src, int dst, int length) {
        point(data, offset, buffer, src, dst, length);
        STATE.setRelease(this, LIVE);
    }

    /** Points this message at a message in {@code data} (plain stores: made visible by the caller). */
    private void point(MemorySegment data, long offset, @Nullable VringBuffer buffer, int src, int dst, int length) {
        this.data = data;
        this.offset = offset;
        this.buffer = buffer;
        this.src = src;
        this.dst = dst;
        this.length = length;
    }

    /** Called by the device when the callback returned: true if the buffer should go back now. */
    boolean callbackReturned() {
        return STATE.compareAndSet(this, LIVE, DONE);
    }

    private boolean isDone() {
        return (int) STATE.getVolatile(this) == DONE;
    }

    private void check() {
        if (isDone()) {
            throw new IllegalStateException("message used after its buffer went back to the peer (hold() it inside the"
                    + " callback to keep it): src=" + RpmsgAddresses.format(src) + " dst=" + RpmsgAddresses.format(dst)
                    + " len=" + length);
        }
    }

    private void checkIndex(int index, int size) {
        if (index < 0 || index > length - size) {
            throw new IndexOutOfBoundsException("index=" + index + ", length=" + length);
        }
    }

    @Override
    public String toString() {
        return "RpmsgMessage[src=" + RpmsgAddresses.format(src) + ", dst=" + RpmsgAddresses.format(dst) + ", len="
                + length + ", " + (copy ? "copy" : switch ((int) STATE.getVolatile(this)) {
                    case LIVE -> "live";
                    case DONE -> "released";
                    default -> "held";
                }) + "]";
    }
}
